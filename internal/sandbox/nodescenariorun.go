package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/report"
)

// RunAgentInPod runs a scenario as a real pod on the node (see CanRunInPod):
// the agent image, in-cluster configuration, the token the kubelet projects,
// IRSA from the node's webhook. Its stdout and stderr are read from the log
// file the kubelet wrote, its exit code from the pod's status.
func (s *Sandbox) RunAgentInPod(ctx context.Context, sc world.Scenario) (*AgentRun, error) {
	if ok, why := s.CanRunInPod(sc); !ok {
		return nil, fmt.Errorf("scenario %s cannot run as a pod: %s", sc.Name, why)
	}
	stand, err := s.cp.Client.CoreV1().Pods(sc.Namespace).Get(ctx, sc.Pod, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	if sc.ServiceAccount != "" && stand.Spec.ServiceAccountName != sc.ServiceAccount {
		return nil, fmt.Errorf("scenario %s: pod %s runs as %q, not %q", sc.Name, sc.Pod, stand.Spec.ServiceAccountName, sc.ServiceAccount)
	}
	pod := s.scenarioPod(stand, sc)
	start := time.Now()
	if err := s.createScenarioPod(ctx, pod, s.predatesAnnotation(sc.Namespace, sc.Pod)); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	ended, err := s.waitPodEnded(ctx, pod.Namespace, pod.Name)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	run := &AgentRun{Scenario: sc, Elapsed: time.Since(start)}
	if len(ended.Status.ContainerStatuses) == 1 && ended.Status.ContainerStatuses[0].State.Terminated != nil {
		run.ExitCode = int(ended.Status.ContainerStatuses[0].State.Terminated.ExitCode)
	}
	if run.Stdout, run.Stderr, err = s.containerLog(ended, "podcred-agent"); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	var r report.Report
	if json.Unmarshal(bytes.TrimSpace(run.Stdout), &r) == nil && r.SchemaVersion != "" {
		run.Report = &r
	}
	return run, nil
}

// predatesAnnotation reports whether the world says pod ns/name was created
// before its ServiceAccount was annotated.
func (s *Sandbox) predatesAnnotation(ns, name string) bool {
	for _, n := range s.World().Namespaces {
		for _, p := range n.Pods {
			if n.Name == ns && p.Name == name {
				return p.CreatedBeforeAnnotation
			}
		}
	}
	return false
}

// maxLogBytes bounds a container log read back from the kubelet's files.
const maxLogBytes = 4 << 20

// containerLog reads the first run's log of container in pod from the
// kubelet's pod log directory (CRI format: time, stream, P/F tag, content;
// P marks a line continued in the next record) and splits it by stream.
func (s *Sandbox) containerLog(p *corev1.Pod, container string) (stdout, stderr []byte, err error) {
	dir := filepath.Join(s.node.Dir(), "kubelet", "pod-logs", p.Namespace+"_"+p.Name+"_"+string(p.UID), container)
	f, err := os.Open(filepath.Join(dir, "0.log"))
	if err != nil {
		return nil, nil, fmt.Errorf("container log: %w", err)
	}
	defer f.Close()
	var out, errOut bytes.Buffer
	sc := bufio.NewScanner(io.LimitReader(f, maxLogBytes))
	sc.Buffer(make([]byte, 64<<10), maxLogBytes)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 4)
		if len(parts) < 3 {
			continue
		}
		content := ""
		if len(parts) == 4 {
			content = parts[3]
		}
		w := &out
		if parts[1] == "stderr" {
			w = &errOut
		}
		w.WriteString(content)
		if parts[2] == "F" {
			w.WriteByte('\n')
		}
	}
	return out.Bytes(), errOut.Bytes(), sc.Err()
}
