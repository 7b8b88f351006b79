package report

import "context"

// Sink publishes a finished report somewhere the experiment can gate on.
type Sink interface {
	// Name returns the sink's --sink name, for logs and errors.
	Name() string
	// Write publishes r. It never modifies r.
	Write(ctx context.Context, r *Report) error
}

// Valid reports whether v is one of the four verdicts.
func (v Verdict) Valid() bool {
	switch v {
	case VerdictPass, VerdictWarn, VerdictFail, VerdictError:
		return true
	}
	return false
}
