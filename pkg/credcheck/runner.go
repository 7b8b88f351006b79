package credcheck

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
)

// runner runs Collect's collectors concurrently and gathers their answers
// until the run's deadline.
type runner struct {
	ctx     context.Context
	log     *zerolog.Logger
	results chan answer
	pending map[string]bool
}

// answer is a collector's result, applied to the facts by Collect's goroutine.
type answer struct {
	name  string
	apply func(*Facts)
}

// newRunner makes a runner for at most n collectors: the results channel is
// buffered for all of them, so one that answers after Collect returned never blocks.
func newRunner(ctx context.Context, n int) *runner {
	return &runner{ctx: ctx, log: zerolog.Ctx(ctx), results: make(chan answer, n), pending: map[string]bool{}}
}

// run starts collector name.
func (r *runner) run(name string, fn func() func(*Facts)) {
	r.pending[name] = true
	go func() {
		start := time.Now()
		apply := fn()
		r.log.Debug().Str("collector", name).Dur("took", time.Since(start)).Msg("collected")
		r.results <- answer{name, apply}
	}()
}

// wait applies answers to f until every collector answered or the run's
// context ended; the collectors still pending then are recorded in
// f.Unfinished with the reason.
func (r *runner) wait(f *Facts) {
	for len(r.pending) > 0 {
		select {
		case a := <-r.results:
			a.apply(f)
			delete(r.pending, a.name)
		case <-r.ctx.Done():
			reason := "no answer before the run's deadline (--timeout)"
			if !errors.Is(r.ctx.Err(), context.DeadlineExceeded) {
				reason = "the run was cancelled (SIGTERM or SIGINT) before it answered"
			}
			f.Unfinished = map[string]string{}
			for name := range r.pending {
				f.Unfinished[name] = reason
				r.log.Warn().Str("collector", name).Msg(reason)
			}
			return
		}
	}
}
