// Package cli holds what podcred's commands share: flags that also read
// PODCRED_<FLAG> from the environment, the zerolog logger on stderr, signal
// handling and the mapping from errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix prefixes the environment variable that backs every flag:
// --imds-timeout reads PODCRED_IMDS_TIMEOUT.
const EnvPrefix = "PODCRED_"

// EnvName returns the environment variable backing a flag.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets every flag of cmd that was not given on the command line from
// its PODCRED_<FLAG> variable. Slice flags take a comma-separated list. A
// value that does not parse is a usage error naming the variable.
func ApplyEnv(cmd *cobra.Command, lookup func(string) (string, bool)) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		v, ok := lookup(EnvName(f.Name))
		if !ok {
			return
		}
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
			if e := sv.Replace(splitList(v)); e != nil {
				err = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, e)
			}
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, e)
		}
	})
	if err != nil {
		return UsageError(err)
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// NewLogger builds the zerolog logger: always stderr (stdout carries the
// report), human-readable on a terminal, JSON lines otherwise.
func NewLogger(w io.Writer, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		return zerolog.Nop(), UsageError(fmt.Errorf("invalid --log-level %q: use trace, debug, info, warn, error", level))
	}
	if IsTerminal(w) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	w = zerolog.SyncWriter(w) // collectors log from concurrent goroutines
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// SignalContext is cancelled on SIGINT or SIGTERM (a pod being deleted).
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// Main runs cmd and returns the process exit code: ExitError codes as
// given, cobra's own flag errors as usage errors (2), anything else 1.
func Main(cmd *cobra.Command, stderr io.Writer) int {
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError(err) })
	err := cmd.Execute()
	if err == nil {
		return ExitPass
	}
	code := CodeOf(err)
	var ee *ExitError
	if !errors.As(err, &ee) && strings.HasPrefix(err.Error(), "unknown command") {
		code = ExitUsage
	}
	if msg := err.Error(); msg != "" && !silent(err) {
		fmt.Fprintf(stderr, "%s: %s\n", cmd.Name(), msg)
	}
	return code
}

// Silent wraps an exit code whose reason was already reported (the report itself).
func Silent(code int) error { return &ExitError{Code: code, Err: errSilent} }

var errSilent = errors.New("")

func silent(err error) bool { return errors.Is(err, errSilent) }
