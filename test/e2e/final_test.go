package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
)

// finalChecks runs once every test has run, and reports like go test does:
//   - secret scan: no secret the sandbox issued or handed out (raw tokens,
//     secret keys and session tokens moto issued, the IMDS node credentials,
//     the static keys given to the agent) appears in any output of the suite;
//   - every sandbox server still listens on 127.0.0.1 only;
//   - after stop, every process the sandbox started is gone, by PID.
//
// It returns false when one of them fails.
func finalChecks() bool {
	ok := true
	check := func(name string, fn func() []string) {
		started := time.Now()
		fmt.Printf("=== SUITE %s\n", name)
		problems := fn()
		elapsed := time.Since(started).Seconds()
		if len(problems) == 0 {
			fmt.Printf("--- PASS: %s (%.2fs)\n", name, elapsed)
			return
		}
		ok = false
		fmt.Printf("--- FAIL: %s (%.2fs)\n", name, elapsed)
		for _, p := range problems {
			fmt.Printf("    %s\n", p)
		}
	}
	check("no secret in any output of the suite", secretScan)
	check("every sandbox server listens on 127.0.0.1 only", listenProblems)
	pids := sandboxPIDs()
	front := suite.sb.EndpointURL()
	stopSandbox(endOfSuite)
	check("every process the sandbox started is gone", func() []string { return stoppedProblems(pids, front) })
	return ok
}

// secretScan looks for every secret in every collected output.
func secretScan() []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := suite.outputs.snapshot(ctx, ""); err != nil { // whatever the last world holds
		return []string{"collect the last outputs: " + err.Error()}
	}
	secrets, err := suite.sb.Secrets(ctx)
	if err != nil {
		return []string{"list the sandbox's secrets: " + err.Error()}
	}
	if problem := proves(secrets); problem != "" {
		return []string{problem}
	}
	secrets = append(secrets, suite.outputs.givenSecrets()...)
	outputs, size := suite.outputs.size()
	if outputs == 0 {
		return []string{"nothing was collected: did any test run the agent?"}
	}
	var problems []string
	for _, l := range suite.outputs.scan(secrets) {
		problems = append(problems, fmt.Sprintf("LEAK: %s appears in %s", l.secret, l.where))
	}
	if len(problems) == 0 {
		fmt.Printf("    %d secrets looked for in %d outputs (%d bytes): none found\n", len(secrets), outputs, size)
	}
	return problems
}

// proves says why a scan for secrets would prove nothing: the sandbox must
// have minted raw tokens and moto must have issued credentials ("" when both).
func proves(secrets []string) string {
	var jwts, keys int
	for _, s := range secrets {
		if isJWT(s) {
			jwts++
		} else {
			keys++
		}
	}
	if jwts == 0 || keys == 0 {
		return fmt.Sprintf("the sandbox reports %d raw tokens and %d keys: a scan for them would prove nothing", jwts, keys)
	}
	return ""
}

// sandboxPIDs are the PIDs (and process groups) of the sandbox's children.
func sandboxPIDs() map[int]string {
	pids := map[int]string{}
	for _, p := range suite.sb.Procs() {
		pids[p.PID()] = p.Name()
	}
	return pids
}

// listenProblems lists listening sockets of the sandbox's processes, and of
// this process (the STS front runs in it), that are not on 127.0.0.1, and
// servers that listen nowhere.
func listenProblems() []string {
	loopback := netip.MustParseAddr("127.0.0.1")
	var problems []string
	check := func(name string, pid int, mustListen bool) {
		addrs, err := proc.ListenAddrs(pid)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (pid %d): %v", name, pid, err))
			return
		}
		if mustListen && len(addrs) == 0 {
			problems = append(problems, fmt.Sprintf("%s (pid %d) listens nowhere", name, pid))
		}
		for _, a := range addrs {
			if a.Addr() != loopback {
				problems = append(problems, fmt.Sprintf("%s (pid %d) listens on %s", name, pid, a))
			}
		}
	}
	for _, p := range suite.sb.Procs() {
		check(p.Name(), p.PID(), true)
	}
	check("the test process (STS front)", os.Getpid(), true)
	return problems
}

// stoppedProblems lists processes (or process groups) that outlived the
// sandbox, and the front if it still answers.
func stoppedProblems(pids map[int]string, front string) []string {
	var problems []string
	if len(pids) == 0 {
		problems = append(problems, "the sandbox reported no processes")
	}
	for pid, name := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			problems = append(problems, fmt.Sprintf("%s (pid %d) still exists (kill -0: %v)", name, pid, err))
		}
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			problems = append(problems, fmt.Sprintf("process group %d of %s still has members (kill -0: %v)", pid, name, err))
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(front); err == nil {
		resp.Body.Close()
		problems = append(problems, "the STS front still answers at "+front)
	}
	if len(problems) == 0 {
		fmt.Printf("    %d processes stopped by PID, the front closed\n", len(pids))
	}
	return problems
}
