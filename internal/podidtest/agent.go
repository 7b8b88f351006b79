// Package podidtest is an httptest stand-in for the EKS Pod Identity agent
// (aws/eks-pod-identity-agent): GET /v1/credentials with the projected
// token as the Authorization header, answered with the agent's JSON
// credentials (pkg/credentials/model.go, EksCredentialsResponse) or an
// error, for the SDK's real container credentials provider. Tests of the
// agent's Pod Identity checks use it with an ststest STS that knows the
// keys it issues.
package podidtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/ststest"
)

// Secrets the stand-in issues; tests assert they never appear in any output.
const (
	SecretKey    = "PodIdentitySecret/DoNotLeak/0123456789"
	SessionToken = "PODIDENTITYSESSIONTOKEN//DoNotLeak+abcdefghijklmnop=="
)

// Names of the association the stand-in answers for.
const (
	Account = "123456789012"
	Role    = "chaos-pod-identity"
	RoleARN = "arn:aws:iam::" + Account + ":role/" + Role
	Cluster = "chaos-lab"
)

// Answer is how the stand-in answers: success (zero value), an error
// (Status with Code and Message: JSON {"code","message"} as the contract
// and the SDK's parser expect, or, with Text, a plain-text body as the real
// agent's http.Error writes), or a fault.
type Answer struct {
	Status  int
	Code    string
	Message string
	// Text writes the error as the real agent does: text/plain
	// "(Code): Message, fault: client" (pkg/errors/errors.go).
	Text bool
	// EchoToken puts the received Authorization header into the error body.
	EchoToken bool
	// Delay holds the answer back (to test deadlines).
	Delay time.Duration
	// Garbage answers HTTP 200 with a body that is not JSON.
	Garbage bool
	// Endless answers HTTP 200 with a body that never ends.
	Endless bool
	// Session overrides the role session name of the issued credentials.
	Session string
}

// Agent is the stand-in.
type Agent struct {
	*httptest.Server
	sts    *ststest.Server
	token  string
	mu     sync.Mutex
	answer Answer
	calls  atomic.Int32
}

// New starts a stand-in that accepts token only and registers the keys it
// issues with sts; it is closed when the test ends.
func New(t *testing.T, sts *ststest.Server, token string) *Agent {
	t.Helper()
	a := &Agent{sts: sts, token: token}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// URI is the stand-in's AWS_CONTAINER_CREDENTIALS_FULL_URI.
func (a *Agent) URI() string { return a.URL + "/v1/credentials" }

// Answer makes every later request get ans.
func (a *Agent) Answer(ans Answer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answer = ans
}

// Calls is how many requests reached the stand-in.
func (a *Agent) Calls() int { return int(a.calls.Load()) }

func (a *Agent) serve(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	a.mu.Lock()
	ans := a.answer
	a.mu.Unlock()
	if ans.Delay > 0 {
		select {
		case <-time.After(ans.Delay):
		case <-r.Context().Done():
			return
		}
	}
	auth := r.Header.Get("Authorization")
	switch {
	case r.Method != http.MethodGet || r.URL.Path != "/v1/credentials":
		http.NotFound(w, r)
	case auth == "":
		// What the real agent answers (internal/validation/request.go).
		http.Error(w, "Service account token cannot be empty", http.StatusBadRequest)
	case ans.Endless:
		ststest.Endless(w, r)
	case ans.Garbage:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "<html>not the agent</html>")
	case ans.Status != 0:
		msg := ans.Message
		if ans.EchoToken {
			msg += " (token " + auth + ")"
		}
		writeError(w, ans, msg)
	case auth != a.token:
		writeError(w, Answer{Status: http.StatusBadRequest, Code: "InvalidTokenException"}, "the token is not the pod's")
	default:
		a.issue(w, ans.Session)
	}
}

func writeError(w http.ResponseWriter, ans Answer, msg string) {
	if ans.Text {
		http.Error(w, fmt.Sprintf("[req-1]: (%s): %s, fault: client", ans.Code, msg), ans.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ans.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": ans.Code, "message": msg})
}

// issue answers credentials of an eks- session, registered with the STS.
func (a *Agent) issue(w http.ResponseWriter, session string) {
	if session == "" {
		session = "eks-" + Cluster + "-" + ststest.PodName + "-6f1c2d3e"
	}
	arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", Account, Role, session)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId": a.sts.IssueKey(arn), "SecretAccessKey": SecretKey, "Token": SessionToken,
		"AccountId": Account, "Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano),
	})
}

// Secrets lists what the stand-in issues, the token included, for secret scans.
func (a *Agent) Secrets() []string {
	s := []string{SecretKey, SessionToken, ststest.AccessKeyPrefix, a.token}
	if parts := strings.Split(a.token, "."); len(parts) == 3 {
		s = append(s, parts[1], parts[2])
	}
	return s
}
