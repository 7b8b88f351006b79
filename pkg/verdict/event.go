package verdict

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/podcred/podcred/pkg/report"
)

// maxEventMessage bounds an event's message, as the events API does.
const maxEventMessage = 1024

// EventSink records a core/v1 Event on the checked pod (the "event" sink):
// ReasonCheckPassed (Normal) for pass and warn, ReasonCheckFailed (Warning)
// for fail and error, with the verdict and the failing check IDs in the
// message. Events are created directly, not through a broadcaster, so that
// the event exists when Write returns. RBAC: create on events.
type EventSink struct {
	client CoreClient
	cfg    sinkConfig
}

var _ report.Sink = (*EventSink)(nil)

// NewEventSink returns an EventSink creating events through c.
func NewEventSink(c CoreClient, opts ...Option) *EventSink {
	return &EventSink{client: c, cfg: newSinkConfig(opts)}
}

// Name returns "event".
func (s *EventSink) Name() string { return "event" }

// Write records the event for r.
func (s *EventSink) Write(ctx context.Context, r *report.Report) error {
	if err := validateForSink(r, false, true); err != nil {
		return fmt.Errorf("event sink: %w", err)
	}
	ev := buildEvent(r, metav1.NewTime(s.cfg.now()))
	err := s.cfg.call(ctx, func(ctx context.Context) error {
		_, err := s.client.CreateEvent(ctx, ev)
		return err
	})
	if err != nil {
		return fmt.Errorf("record event on pod %s/%s: %w", r.Subject.Namespace, r.Subject.Pod, err)
	}
	return nil
}

// buildEvent returns the event for r at time now. Its name is the pod's
// name, a dot and the time in hex nanoseconds, like kubectl's recorder.
func buildEvent(r *report.Report, now metav1.Time) *corev1.Event {
	reason, typ := ReasonCheckFailed, corev1.EventTypeWarning
	if r.Verdict == report.VerdictPass || r.Verdict == report.VerdictWarn {
		reason, typ = ReasonCheckPassed, corev1.EventTypeNormal
	}
	stamp := fmt.Sprintf("%x", now.UnixNano())
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      shorten(r.Subject.Pod, maxNameLen-1-len(stamp)) + "." + stamp,
			Namespace: r.Subject.Namespace,
		},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "v1",
			Kind:       "Pod",
			Name:       r.Subject.Pod,
			Namespace:  r.Subject.Namespace,
			UID:        types.UID(r.Subject.PodUID),
		},
		Reason:              reason,
		Message:             eventMessage(r),
		Type:                typ,
		Source:              corev1.EventSource{Component: EventComponent},
		ReportingController: EventComponent,
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
	}
}

// eventMessage says the verdict, the role and which checks failed or warned.
func eventMessage(r *report.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "podcred verdict %s", r.Verdict)
	if r.Subject.RoleArn != "" {
		fmt.Fprintf(&b, " for role %s", r.Subject.RoleArn)
	}
	if ids := r.FailingIDs(); len(ids) > 0 {
		fmt.Fprintf(&b, "; failing checks: %s", strings.Join(ids, ", "))
	}
	if ids := idsWithStatus(r.Checks, report.StatusWarn); len(ids) > 0 {
		fmt.Fprintf(&b, "; warnings: %s", strings.Join(ids, ", "))
	}
	msg := b.String()
	if len(msg) > maxEventMessage {
		msg = msg[:maxEventMessage-3] + "..."
	}
	return msg
}

// idsWithStatus lists the IDs of checks with status st, in report order.
func idsWithStatus(checks []report.Check, st report.Status) []string {
	var ids []string
	for _, c := range checks {
		if c.Status == st {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
