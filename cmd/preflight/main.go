// Command podcred-preflight checks, from a laptop or a CI job, every step of
// the IRSA set-up a chaos experiment's ServiceAccount needs, with the exact
// fix for each failure. See DESIGN.md, "Preflight checks". Installed as
// kubectl-podcred (krew), it is `kubectl podcred ...`, with help and
// examples in that form.
package main

import (
	"os"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/preflightcli"
)

func main() {
	s := preflightcli.DefaultStreams()
	root := preflightcli.NewCommand(s, preflightcli.Deps{})
	if invokedAsPlugin(os.Args[0]) {
		asKubectlPlugin(root)
	}
	os.Exit(cli.Main(root, s.Err))
}
