package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/version"
)

// commonOptions are the flags every subcommand shares.
type commonOptions struct {
	dir      string
	binDir   string
	logLevel string
}

// addFlags registers the shared flags on cmd.
func (o *commonOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.dir, "dir", "", "working directory for keys, logs, kubeconfigs and tokens (default: a temporary directory, removed on exit)")
	cmd.Flags().StringVar(&o.binDir, "bin-dir", "", "directory holding kube-apiserver, etcd and ec2-metadata-mock (default: $PODCRED_BIN_DIR or the repository's bin/)")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
}

// logger writes to stderr (stdout is for export lines and tables).
func (o *commonOptions) logger() (*zerolog.Logger, error) { return o.loggerTo(os.Stderr) }

// loggerTo writes human-readable lines to w, coloured only when w is a
// terminal: in a file or a CI log, ANSI codes are noise.
func (o *commonOptions) loggerTo(w io.Writer) (*zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(o.logLevel)
	if err != nil {
		return nil, cli.UsageError(err)
	}
	l := zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05", NoColor: !cli.IsTerminal(w)}).
		Level(level).With().Timestamp().Logger()
	return &l, nil
}

// agentBinary resolves --bin-dir (default FindBinDir) and the podcred-agent
// binary (default <bin-dir>/podcred-agent), which must exist.
func (o *commonOptions) agentBinary(agent string) (string, error) {
	if o.binDir == "" {
		dir, err := proc.FindBinDir()
		if err != nil {
			return "", cli.UsageError(err)
		}
		o.binDir = dir
	}
	if agent == "" {
		agent = filepath.Join(o.binDir, "podcred-agent")
	}
	if _, err := os.Stat(agent); err != nil {
		return "", cli.UsageError(fmt.Errorf("%s is missing: build it with `make build`", agent))
	}
	return agent, nil
}

// newRootCmd builds the podcred-sandbox command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "podcred-sandbox",
		Short:         "A local EKS-like world (kube-apiserver, moto behind a validating STS front, IMDS mock) for podcred",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCmd(), newDemoCmd(), newBenchCmd())
	return root
}
