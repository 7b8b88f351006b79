// Command podcred-sandbox runs a local EKS-like world — kube-apiserver and etcd,
// moto behind a validating STS front, optionally an IMDS mock — to demo, test
// and benchmark podcred without an AWS account.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/podcred/podcred/pkg/report"
)

// main runs the command and maps its error to podcred's exit codes.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "podcred-sandbox:", err)
	}
	os.Exit(report.CodeOf(err))
}
