// Package agentcli is podcred-agent's command line: `verify` (the default)
// runs the checks and publishes the report to its sinks; `gate` reads a
// published report and exits 0 only when it vouches for the ServiceAccount.
package agentcli

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Streams are the command's standard streams and environment.
type Streams struct {
	Out, Err  io.Writer
	LookupEnv func(string) (string, bool)
}

// DefaultStreams are the process's own.
func DefaultStreams() Streams {
	return Streams{Out: os.Stdout, Err: os.Stderr, LookupEnv: os.LookupEnv}
}

// NewCommand builds `podcred-agent` with its `verify` and `gate` subcommands.
// Running the root command alone is `verify`.
func NewCommand(s Streams) *cobra.Command {
	verify := newVerifyCommand(s)
	root := &cobra.Command{
		Use:   "podcred-agent",
		Short: "Prove this pod gets its own IAM role through IRSA, and nothing else",
		Long: `podcred-agent runs inside the experiment pod (init container or one-off Job) under the
experiment's ServiceAccount. It reads the web identity token, calls AssumeRoleWithWebIdentity and
GetCallerIdentity, proves no other credentials are reachable, and publishes the verdict as a ConfigMap,
a pod annotation and an Event that the experiment can gate on.

Exit codes: 0 pass (or warn without --strict), 3 fail, 1 could not verify, 2 bad usage, 4 warn with --strict.
Every flag also reads PODCRED_<FLAG> from the environment (--imds-timeout: PODCRED_IMDS_TIMEOUT).`,
		Args: cobra.NoArgs,
		RunE: verify.RunE,
	}
	root.CompletionOptions.DisableDefaultCmd = true // an init container has no shell to complete in
	root.Flags().AddFlagSet(verify.Flags())
	root.AddCommand(verify, newGateCommand(s))
	return root
}
