package verdict

import (
	"context"
	"testing"
	"time"
)

func TestSinkCallsCarryTheirOwnDeadline(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"the default per-call timeout is 10s", nil, 10 * time.Second},
		{"WithTimeout sets it", []Option{WithTimeout(2 * time.Second)}, 2 * time.Second},
		{"a non-positive timeout keeps the default", []Option{WithTimeout(0)}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newSinkConfig(tt.opts)
			start := time.Now()
			var deadline time.Time
			_ = cfg.call(context.Background(), func(ctx context.Context) error {
				deadline, _ = ctx.Deadline()
				return nil
			})
			end := time.Now()
			if deadline.Before(start.Add(tt.want)) || deadline.After(end.Add(tt.want)) {
				t.Errorf("deadline %s after start, want %s", deadline.Sub(start), tt.want)
			}
		})
	}
	t.Run("a shorter caller deadline wins", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		want, _ := ctx.Deadline()
		_ = newSinkConfig(nil).call(ctx, func(ctx context.Context) error {
			if got, _ := ctx.Deadline(); !got.Equal(want) {
				t.Errorf("deadline %s, want the caller's %s", got, want)
			}
			return nil
		})
	})
}
