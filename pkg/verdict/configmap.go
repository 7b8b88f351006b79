package verdict

import (
	"context"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/podcred/podcred/pkg/report"
)

// ConfigMapSink writes the report to the ConfigMap ConfigMapName(sa) in the
// subject's namespace (the "configmap" sink). Data: DataReport (the report's
// JSON, as MarshalJSON writes it) and DataVerdict. Labels: LabelManagedBy,
// LabelServiceAccount (LabelValue of the name) and LabelVerdict.
// Annotations: AnnotationCheckedAt, and AnnotationExpiresAt and
// AnnotationRoleArn when the report has them (stale ones are removed).
//
// It creates the ConfigMap or updates it, retrying on conflict. It refuses
// to overwrite a ConfigMap of that name that is not labelled as podcred's.
// Labels and annotations of other owners are kept; the data is replaced.
// RBAC: get, create and update on configmaps in the namespace.
type ConfigMapSink struct {
	client CoreClient
	cfg    sinkConfig
}

var _ report.Sink = (*ConfigMapSink)(nil)

// NewConfigMapSink returns a ConfigMapSink writing through c.
func NewConfigMapSink(c CoreClient, opts ...Option) *ConfigMapSink {
	return &ConfigMapSink{client: c, cfg: newSinkConfig(opts)}
}

// Name returns "configmap".
func (s *ConfigMapSink) Name() string { return "configmap" }

// Write creates or updates the report ConfigMap for r.
func (s *ConfigMapSink) Write(ctx context.Context, r *report.Report) error {
	if err := validateForSink(r, true, false); err != nil {
		return fmt.Errorf("configmap sink: %w", err)
	}
	want, err := desiredConfigMap(r)
	if err != nil {
		return fmt.Errorf("configmap sink: %w", err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		return s.apply(ctx, want)
	})
	if err != nil {
		return fmt.Errorf("write configmap %s/%s: %w", want.Namespace, want.Name, err)
	}
	return nil
}

// apply makes one create-or-update attempt. A conflict is returned as is so
// that RetryOnConflict tries again from a fresh read.
func (s *ConfigMapSink) apply(ctx context.Context, want *corev1.ConfigMap) error {
	get := func() (*corev1.ConfigMap, error) {
		var cur *corev1.ConfigMap
		err := s.cfg.call(ctx, func(ctx context.Context) error {
			var err error
			cur, err = s.client.GetConfigMap(ctx, want.Namespace, want.Name)
			return err
		})
		return cur, err
	}
	cur, err := get()
	if apierrors.IsNotFound(err) {
		err = s.cfg.call(ctx, func(ctx context.Context) error {
			_, err := s.client.CreateConfigMap(ctx, want)
			return err
		})
		if !apierrors.IsAlreadyExists(err) {
			return err // created, or failed for another reason
		}
		cur, err = get() // created meanwhile by someone else: update it
	}
	if err != nil {
		return err
	}
	if cur.Labels[LabelManagedBy] != ManagedByValue {
		return fmt.Errorf("configmap exists and is not labelled %s=%s: refusing to overwrite it", LabelManagedBy, ManagedByValue)
	}
	upd := mergeConfigMap(cur, want)
	return s.cfg.call(ctx, func(ctx context.Context) error {
		_, err := s.client.UpdateConfigMap(ctx, upd)
		return err
	})
}

// MarkPending clears the previous verdict of subj's report ConfigMap before
// a verification starts, so that a run that crashes or hangs never leaves an
// old pass behind for a label-selector gate (a Litmus k8sProbe) to find: the
// verdict label and data become PendingVerdict, report.json is removed and
// AnnotationStartedAt records started. Write replaces all of it with the
// new report. A ConfigMap that does not exist is left absent (no gate opens
// on a missing report); one not labelled as podcred's is refused, as Write
// refuses it.
func (s *ConfigMapSink) MarkPending(ctx context.Context, subj report.Subject, started time.Time) error {
	name := ConfigMapName(subj.ServiceAccount)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cur *corev1.ConfigMap
		err := s.cfg.call(ctx, func(ctx context.Context) error {
			var err error
			cur, err = s.client.GetConfigMap(ctx, subj.Namespace, name)
			return err
		})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.Labels[LabelManagedBy] != ManagedByValue {
			return fmt.Errorf("configmap exists and is not labelled %s=%s: refusing to touch it", LabelManagedBy, ManagedByValue)
		}
		upd := cur.DeepCopy()
		upd.Labels[LabelVerdict] = PendingVerdict
		upd.Data = map[string]string{DataVerdict: PendingVerdict}
		upd.BinaryData = nil
		if upd.Annotations == nil {
			upd.Annotations = map[string]string{}
		}
		for _, k := range []string{AnnotationCheckedAt, AnnotationExpiresAt, AnnotationRoleArn} {
			delete(upd.Annotations, k)
		}
		upd.Annotations[AnnotationStartedAt] = formatTime(started)
		return s.cfg.call(ctx, func(ctx context.Context) error {
			_, err := s.client.UpdateConfigMap(ctx, upd)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("mark configmap %s/%s pending: %w", subj.Namespace, name, err)
	}
	return nil
}

// desiredConfigMap builds the ConfigMap that carries r.
func desiredConfigMap(r *report.Report) (*corev1.ConfigMap, error) {
	body, err := report.MarshalJSON(r)
	if err != nil {
		return nil, err
	}
	ann := map[string]string{AnnotationCheckedAt: formatTime(r.FinishedAt)}
	if r.ExpiresAt != nil {
		ann[AnnotationExpiresAt] = formatTime(*r.ExpiresAt)
	}
	if r.Subject.RoleArn != "" {
		ann[AnnotationRoleArn] = r.Subject.RoleArn
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ConfigMapName(r.Subject.ServiceAccount),
			Namespace: r.Subject.Namespace,
			Labels: map[string]string{
				LabelManagedBy:      ManagedByValue,
				LabelServiceAccount: LabelValue(r.Subject.ServiceAccount),
				LabelVerdict:        string(r.Verdict),
			},
			Annotations: ann,
		},
		Data: map[string]string{
			DataReport:  string(body),
			DataVerdict: string(r.Verdict),
		},
	}, nil
}

// mergeConfigMap returns cur updated to carry want: podcred's labels and
// annotations set (optional annotations removed when want lacks them),
// others kept, data replaced.
func mergeConfigMap(cur, want *corev1.ConfigMap) *corev1.ConfigMap {
	upd := cur.DeepCopy()
	if upd.Labels == nil {
		upd.Labels = map[string]string{}
	}
	maps.Copy(upd.Labels, want.Labels)
	if upd.Annotations == nil {
		upd.Annotations = map[string]string{}
	}
	delete(upd.Annotations, AnnotationExpiresAt)
	delete(upd.Annotations, AnnotationRoleArn)
	delete(upd.Annotations, AnnotationStartedAt)
	maps.Copy(upd.Annotations, want.Annotations)
	upd.Data = maps.Clone(want.Data)
	upd.BinaryData = nil
	return upd
}
