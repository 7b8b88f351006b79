// Command podcred-preflight checks, from a laptop or a CI job, every step of
// the IRSA set-up a chaos experiment's ServiceAccount needs, with the exact
// fix for each failure. See DESIGN.md, "Preflight checks".
package main

import (
	"os"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/preflightcli"
)

func main() {
	s := preflightcli.DefaultStreams()
	os.Exit(cli.Main(preflightcli.NewCommand(s, preflightcli.Deps{}), s.Err))
}
