package awsemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// MotoInstallHint is printed when moto's server cannot be imported.
const MotoInstallHint = "pip install 'moto[server]'"

// Moto is a moto server (the AWS emulator behind the STS front) on a loopback port.
type Moto struct {
	// URL is http://127.0.0.1:PORT.
	URL        string
	proc       *proc.Proc
	http       *http.Client
	awsManaged bool
}

// MotoOptions configures StartMoto.
type MotoOptions struct {
	// Dir receives moto.log.
	Dir string
	// Python is the interpreter; default "python3".
	Python string
	// Account is the AWS account every request is served in (MOTO_ACCOUNT_ID); default DefaultAccount.
	Account string
	// AWSManagedPolicies loads AWS managed policies into IAM (slower: about 3 s).
	AWSManagedPolicies bool
}

// CheckMoto reports whether python (default python3) can import moto's server,
// with the install hint when not.
func CheckMoto(python string) error {
	_, err := motoInterpreter(python)
	return err
}

// motoInterpreter returns the real interpreter behind python (not a pyenv
// shim), so that the moto process is the one the sandbox started and stops.
func motoInterpreter(python string) (string, error) {
	if python == "" {
		python = "python3"
	}
	out, err := exec.Command(python, "-c", "import sys, moto.server, flask; print(sys.executable)").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("moto server is not installed for %s (%s): run `%s`", python, strings.TrimSpace(lastLine(string(out), err)), MotoInstallHint)
	}
	exe := strings.TrimSpace(lastLine(string(out), nil))
	if exe == "" {
		return python, nil
	}
	return exe, nil
}

// StartMoto starts `python3 -m moto.server -H 127.0.0.1 -p PORT` and waits until it answers.
func StartMoto(ctx context.Context, opts MotoOptions) (*Moto, error) {
	if opts.Account == "" {
		opts.Account = world.DefaultAccount
	}
	python, err := motoInterpreter(opts.Python)
	if err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	env := append(proc.ScrubbedEnv(),
		"MOTO_ACCOUNT_ID="+opts.Account,
		"MOTO_IAM_LOAD_MANAGED_POLICIES="+strconv.FormatBool(opts.AWSManagedPolicies),
		"PYTHONUNBUFFERED=1",
	)
	child, err := proc.StartProc(proc.ProcSpec{
		Name:   "moto",
		Path:   python,
		Args:   []string{"-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port)},
		Env:    env,
		LogDir: opts.Dir,
	})
	if err != nil {
		return nil, err
	}
	m := &Moto{URL: proc.LoopbackURL("http", port), proc: child, http: &http.Client{Timeout: 10 * time.Second}, awsManaged: opts.AWSManagedPolicies}
	if err := child.WaitReady(ctx, 30*time.Second, func(ctx context.Context) error {
		return m.get(ctx, "/moto-api/")
	}); err != nil {
		_ = child.Stop(0)
		return nil, err
	}
	return m, nil
}

// Proc is moto's process.
func (m *Moto) Proc() *proc.Proc { return m.proc }

// Reset clears every service's state (POST /moto-api/reset).
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	return m.do(req)
}

// State returns moto's state dump (GET /moto-api/data.json). It holds issued
// credentials: use it to scan outputs for leaks, never print it.
func (m *Moto) State(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/data.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("moto state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("moto state: HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// LoadsAWSManagedPolicies tells whether moto was started with MotoOptions.AWSManagedPolicies.
func (m *Moto) LoadsAWSManagedPolicies() bool { return m.awsManaged }

// Stop stops moto by its PID.
func (m *Moto) Stop() error { return m.proc.Stop(0) }

// get GETs path on moto and wants a 2xx answer.
func (m *Moto) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+path, nil)
	if err != nil {
		return err
	}
	return m.do(req)
}

// do sends req to moto and wants a 2xx answer.
func (m *Moto) do(req *http.Request) error {
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("moto %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("moto %s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return nil
}

// lastLine is the last non-empty line of out, or err's text.
func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if l := lines[len(lines)-1]; l != "" || err == nil {
		return l
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "python not found"
	}
	return err.Error()
}
