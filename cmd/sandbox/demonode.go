package main

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/verdict"
)

// nodeJobLine runs deploy/job.yaml (image replaced by the agent image built
// from this repository) on the sandbox's node and prints one line about it;
// a Job that does not pass ends the demo with exit 3.
func nodeJobLine(ctx context.Context, out io.Writer, sb *sandbox.Sandbox) error {
	started := time.Now()
	pod, err := sb.RunShippedJob(ctx)
	if err != nil {
		return err
	}
	v := pod.Annotations[verdict.AnnotationVerdict]
	fmt.Fprintf(out, "node: deploy/job.yaml ran as pod %s/%s on %s (image %s): phase %s, verdict %q, %s\n\n",
		pod.Namespace, pod.Name, pod.Spec.NodeName, node.AgentImageRef, pod.Status.Phase, v, time.Since(started).Round(time.Millisecond))
	if pod.Status.Phase != corev1.PodSucceeded || v != "pass" {
		return &cli.ExitError{Code: cli.ExitFail, Err: fmt.Errorf("the shipped Job did not pass on the node")}
	}
	return nil
}

// runScenario runs the agent for sc as a real pod on the node when there is
// one and the scenario allows it (marked " [pod]" in the table), else as a
// local process with the pod's environment.
func (o *demoOptions) runScenario(ctx context.Context, sb *sandbox.Sandbox, sc world.Scenario) (*sandbox.AgentRun, string, error) {
	if o.node {
		if ok, _ := sb.CanRunInPod(sc); ok {
			run, err := sb.RunAgentInPod(ctx, sc)
			return run, " [pod]", err
		}
	}
	run, err := sb.RunAgent(ctx, o.agent, sc)
	return run, "", err
}
