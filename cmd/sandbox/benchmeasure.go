package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/credcheck"
)

// sample is one timed process run.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // KiB
}

// gnuTime measures a child's peak RSS. The rusage Go reads after wait4 is
// not enough: the child is forked with the parent's address space shared
// until exec (CLONE_VM), so its ru_maxrss starts at the parent's RSS. GNU
// time forks with a fresh one.
const gnuTime = "/usr/bin/time"

// timed runs a process with a deadline and returns its wall time, CPU time
// (user + system; through GNU time it includes time's own fraction of a
// millisecond), peak RSS and stdout.
func timed(ctx context.Context, env []string, name string, args ...string) (sample, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rssFile := ""
	if _, err := os.Stat(gnuTime); err == nil {
		dir, err := os.MkdirTemp("", "podcred-bench-")
		if err != nil {
			return sample{}, nil, err
		}
		defer os.RemoveAll(dir)
		rssFile = filepath.Join(dir, "maxrss")
		args = append([]string{"-f", "%M", "-o", rssFile, name}, args...)
		name = gnuTime
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		s.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if rssFile != "" {
		s.maxRSS = readMaxRSS(rssFile)
	}
	if err != nil {
		return s, nil, fmt.Errorf("%w (exit output: %.300s)", err, errb.String())
	}
	return s, out.Bytes(), nil
}

// readMaxRSS reads the KiB GNU time wrote (a few bytes; read with a limit).
func readMaxRSS(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 4096))
	n, _ := strconv.ParseInt(strings.TrimSpace(lastLine(string(b))), 10, 64)
	return n
}

// lastLine is the last non-empty line of s (GNU time prefixes a line when
// the command exits non-zero).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func percentile(xs []sample, p float64, f func(sample) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[int(p*float64(len(v)-1)+0.5)]
}

// Targets of DESIGN.md ("Performance targets").
const (
	targetMedianMs = 50
	targetRatio    = 25
	targetCPUMs    = 15
	targetBinaryMB = 25
	targetRSSMiB   = 40
)

func benchMarkdown(agent, cli []sample, size int64) string {
	ms := func(s sample) float64 { return float64(s.wall.Microseconds()) / 1000 }
	cpu := func(s sample) float64 { return float64(s.cpu.Microseconds()) / 1000 }
	rss := func(s sample) float64 { return float64(s.maxRSS) / 1024 }
	am, ap := percentile(agent, 0.5, ms), percentile(agent, 0.95, ms)
	cm, cp := percentile(cli, 0.5, ms), percentile(cli, 0.95, ms)
	var b strings.Builder
	fmt.Fprintf(&b, "## Agent vs AWS CLI on the sandbox (%d runs each, interleaved)\n\n", len(agent))
	fmt.Fprintf(&b, "Machine: %s/%s, %d CPUs, %s. Date: %s.\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.RFC3339))
	b.WriteString("| | median | p95 | CPU (median) | peak RSS (max) |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| podcred-agent, whole verification of an IRSA pod (%d checks) | %.1f ms | %.1f ms | %.1f ms | %.1f MiB |\n", len(credcheck.AgentSpecs), am, ap, percentile(agent, 0.5, cpu), percentile(agent, 1, rss))
	fmt.Fprintf(&b, "| AWS CLI: assume-role-with-web-identity + get-caller-identity | %.1f ms | %.1f ms | %.1f ms | %.1f MiB |\n", cm, cp, percentile(cli, 0.5, cpu), percentile(cli, 1, rss))
	fmt.Fprintf(&b, "\n**Ratio (CLI median / agent median): %.1fx.** Targets: agent median <= %d ms, >= %dx faster than the CLI, CPU <= %d ms a run.\n\n",
		cm/am, targetMedianMs, targetRatio, targetCPUMs)
	fmt.Fprintf(&b, "Agent binary: %.1f MB (%d bytes; static, stripped). Target <= %d MB; peak RSS target <= %d MiB.\n",
		float64(size)/1e6, size, targetBinaryMB, targetRSSMiB)
	return b.String()
}
