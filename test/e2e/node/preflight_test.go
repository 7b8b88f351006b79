package node

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// TestPreflightRunJobRunsARealJobOnTheNode: `podcred-preflight check --run-job`
// without --local-agent creates the verification Job; the Job controller makes
// its pod, the scheduler places it on the node, the kubelet runs the agent
// image, and preflight reads the verdict the agent published.
func TestPreflightRunJobRunsARealJobOnTheNode(t *testing.T) {
	s := sb(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := s.ControlPlane().Client
	deleteJob(ctx, c, "litmus", preflight.JobName("litmus-admin"))
	defer deleteJob(context.Background(), c, "litmus", preflight.JobName("litmus-admin"))
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(suite.binDir, "podcred-preflight"), "check",
		"-n", "litmus", "--service-account", "litmus-admin", "--cluster", s.World().Cluster.Name,
		"--run-job", "--image", node.AgentImageRef, "--job-timeout", "150s", "--keep-job", "--format", "json")
	cmd.Env = append(s.Env(), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var r report.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("preflight printed no JSON report (%v, run: %v)\nstderr: %s", err, runErr, stderr.String())
	}
	job := r.Check(preflight.IDJobVerification)
	if job == nil || job.Status != report.StatusPass {
		t.Fatalf("job.verification = %+v\nstderr: %s", job, stderr.String())
	}
	if r.Identity == nil || !strings.Contains(r.Identity.Arn, ":assumed-role/chaos-ec2/") {
		t.Errorf("the Job's agent report was not merged: identity %+v", r.Identity)
	}
	// The pod really ran on the node: the kept Job's pod, made by the Job
	// controller, ends Succeeded on podcred-node (preflight may read the
	// verdict while the agent is still exiting).
	p := waitPod(ctx, t, c, "litmus", "batch.kubernetes.io/job-name="+preflight.JobName("litmus-admin"), func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	if p.Spec.NodeName != controlplane.KubeletNodeName || p.Status.Phase != corev1.PodSucceeded {
		t.Errorf("the Job's pod did not run to success on the node: %s on %q", podSummary(p), p.Spec.NodeName)
	}
	if !strings.Contains(stderr.String(), "agent verdict pass") {
		t.Errorf("progress lacks the agent's verdict:\n%s", stderr.String())
	}
}
