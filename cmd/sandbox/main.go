// Command podcred-sandbox runs a local EKS-like world — kube-apiserver and etcd,
// moto behind a validating STS front, optionally an IMDS mock — to demo, test
// and benchmark podcred without an AWS account.
package main

import (
	"context"
	"os"

	"github.com/podcred/podcred/internal/cli"
)

// main runs the command under a signal context and exits through the shared
// CLI main, so flag and usage errors exit 2 as they do for the other programs.
func main() {
	ctx, stop := cli.SignalContext(context.Background())
	cmd := newRootCmd()
	cmd.SetContext(ctx)
	code := cli.Main(cmd, os.Stderr)
	stop()
	os.Exit(code)
}
