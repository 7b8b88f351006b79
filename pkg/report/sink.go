package report

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sink publishes a finished report somewhere the experiment can gate on.
type Sink interface {
	// Name returns the sink's --sink name, for logs and errors.
	Name() string
	// Write publishes r. It never modifies r.
	Write(ctx context.Context, r *Report) error
}

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

// validVerdict reports whether v is one of the four verdicts.
func validVerdict(v Verdict) bool {
	switch v {
	case VerdictPass, VerdictWarn, VerdictFail, VerdictError:
		return true
	}
	return false
}

// validateForSink checks that r can be published: a finished report with a
// known verdict, and the subject fields the sink needs (namespace always,
// the ServiceAccount for the ConfigMap, the pod for annotations and events).
func validateForSink(r *Report, needSA, needPod bool) error {
	if r == nil {
		return errNilReport
	}
	switch {
	case !validVerdict(r.Verdict):
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
