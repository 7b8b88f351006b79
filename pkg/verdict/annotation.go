package verdict

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/podcred/podcred/pkg/report"
)

// MaxSummaryBytes bounds the size of the AnnotationReport value.
const MaxSummaryBytes = 2048

// PodSummary is the compact report stored in the pod's AnnotationReport:
// enough to see the outcome with kubectl, with the full report in ConfigMap.
type PodSummary struct {
	Verdict     report.Verdict `json:"verdict"`
	RoleArn     string         `json:"roleArn,omitempty"`
	IdentityArn string         `json:"identityArn,omitempty"`
	Failing     []string       `json:"failing,omitempty"`
	// Truncated is true when fields were dropped to stay within
	// MaxSummaryBytes.
	Truncated bool `json:"truncated,omitempty"`
	// ConfigMap names the ConfigMap holding the full report, in the pod's
	// namespace.
	ConfigMap string `json:"configMap,omitempty"`
}

// Summarize returns the compact summary of r. configMap is the name of the
// ConfigMap holding the full report ("" for none).
func Summarize(r *report.Report, configMap string) PodSummary {
	s := PodSummary{
		Verdict:   r.Verdict,
		RoleArn:   r.Subject.RoleArn,
		Failing:   r.FailingIDs(),
		ConfigMap: configMap,
	}
	if r.Identity != nil {
		s.IdentityArn = r.Identity.Arn
	}
	return s
}

// marshalSummary encodes s within MaxSummaryBytes, dropping failing IDs from
// the end, then the identity and role ARNs, and marking it Truncated.
func marshalSummary(s PodSummary) ([]byte, error) {
	for {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encode pod summary: %w", err)
		}
		if len(b) <= MaxSummaryBytes {
			return b, nil
		}
		s.Truncated = true
		switch {
		case len(s.Failing) > 0:
			s.Failing = s.Failing[:len(s.Failing)-1]
		case s.IdentityArn != "":
			s.IdentityArn = ""
		case s.RoleArn != "":
			s.RoleArn = ""
		case s.ConfigMap != "":
			s.ConfigMap = ""
		default:
			return nil, fmt.Errorf("pod summary is %d bytes: over the %d-byte limit", len(b), MaxSummaryBytes)
		}
	}
}

// AnnotationSink annotates the checked pod (the "annotation" sink) with
// AnnotationVerdict, AnnotationCheckedAt and AnnotationReport (a
// PodSummary), through a JSON merge patch so that it never conflicts.
// RBAC: patch on pods in the namespace.
type AnnotationSink struct {
	client CoreClient
	cfg    sinkConfig
}

var _ report.Sink = (*AnnotationSink)(nil)

// NewAnnotationSink returns an AnnotationSink patching through c. The
// summary names the report ConfigMap (ConfigMapName of the ServiceAccount)
// unless WithoutConfigMapLink is given.
func NewAnnotationSink(c CoreClient, opts ...Option) *AnnotationSink {
	return &AnnotationSink{client: c, cfg: newSinkConfig(opts)}
}

// Name returns "annotation".
func (s *AnnotationSink) Name() string { return "annotation" }

// Write merge-patches the pod's annotations with r's outcome.
func (s *AnnotationSink) Write(ctx context.Context, r *report.Report) error {
	if err := validateForSink(r, false, true); err != nil {
		return fmt.Errorf("annotation sink: %w", err)
	}
	patch, err := annotationPatch(r, !s.cfg.noConfigMapLink)
	if err != nil {
		return fmt.Errorf("annotation sink: %w", err)
	}
	ns, pod := r.Subject.Namespace, r.Subject.Pod
	err = s.cfg.call(ctx, func(ctx context.Context) error {
		err := s.client.PatchPod(ctx, ns, pod, patch)
		return err
	})
	if err != nil {
		return fmt.Errorf("annotate pod %s/%s: %w", ns, pod, err)
	}
	return nil
}

// annotationPatch returns the merge patch that sets the pod annotations.
func annotationPatch(r *report.Report, link bool) ([]byte, error) {
	cm := ""
	if link && r.Subject.ServiceAccount != "" {
		cm = ConfigMapName(r.Subject.ServiceAccount)
	}
	summary, err := marshalSummary(Summarize(r, cm))
	if err != nil {
		return nil, err
	}
	patch := map[string]any{
		"metadata": map[string]any{
			"annotations": map[string]string{
				AnnotationVerdict:   string(r.Verdict),
				AnnotationCheckedAt: formatTime(r.FinishedAt),
				AnnotationReport:    string(summary),
			},
		},
	}
	b, err := json.Marshal(patch)
	if err != nil {
		return nil, fmt.Errorf("encode annotation patch: %w", err)
	}
	return b, nil
}
