// Command podcred-agent proves, from inside an experiment pod, that the pod
// gets its own IAM role through IRSA and nothing else. See DESIGN.md.
package main

import (
	"os"

	"github.com/podcred/podcred/internal/agentcli"
	"github.com/podcred/podcred/internal/cli"
)

func main() {
	s := agentcli.DefaultStreams()
	os.Exit(cli.Main(agentcli.NewCommand(s), s.Err))
}
