package verdict

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/podcred/podcred/pkg/report"
)

// errNilReport is returned by sinks given a nil report.
var errNilReport = errors.New("report is nil")

// DefaultCallTimeout bounds each Kubernetes API call a sink makes, on top of
// the caller's context deadline.
const DefaultCallTimeout = 10 * time.Second

// Option configures a Kubernetes sink.
type Option func(*sinkConfig)

// sinkConfig holds what the options set.
type sinkConfig struct {
	timeout         time.Duration
	now             func() time.Time
	noConfigMapLink bool
}

// WithTimeout sets the per-call timeout of a sink (default
// DefaultCallTimeout). A non-positive d keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(c *sinkConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithClock sets the clock a sink stamps events with (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *sinkConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// WithoutConfigMapLink makes the annotation sink's PodSummary name no
// ConfigMap: use it when the configmap sink is not enabled. Other sinks
// ignore it.
func WithoutConfigMapLink() Option {
	return func(c *sinkConfig) { c.noConfigMapLink = true }
}

// newSinkConfig applies opts over the defaults.
func newSinkConfig(opts []Option) sinkConfig {
	c := sinkConfig{timeout: DefaultCallTimeout, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// call runs fn with a context bounded by the per-call timeout.
func (c sinkConfig) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return fn(ctx)
}

// validateForSink checks that r can be published: a finished report with a
// known verdict, and the subject fields the sink needs (namespace always,
// the ServiceAccount for the ConfigMap, the pod for annotations and events).
func validateForSink(r *report.Report, needSA, needPod bool) error {
	if r == nil {
		return errNilReport
	}
	switch {
	case !r.Verdict.Valid():
		return fmt.Errorf("invalid report: verdict %q is not one of pass, warn, fail, error", r.Verdict)
	case r.Subject.Namespace == "":
		return errors.New("invalid report: subject has no namespace")
	case needSA && r.Subject.ServiceAccount == "":
		return errors.New("invalid report: subject has no service account")
	case needPod && r.Subject.Pod == "":
		return errors.New("invalid report: subject has no pod")
	}
	return nil
}

// formatTime returns t in UTC as RFC 3339, the form of every time annotation.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
