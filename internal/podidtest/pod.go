package podidtest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/podiam"
)

// Pod is the process environment of a Pod-Identity-only pod as the EKS
// webhook injects it, with AWS_CONTAINER_CREDENTIALS_FULL_URI pointed at a
// loopback stand-in of the agent (the sandbox's deviation: the real agent's
// link-local address is never dialled in tests).
type Pod struct {
	*ststest.Pod
	Agent *Agent
	// PITokenPath and PIToken are the Pod Identity token file and its contents.
	PITokenPath string
	PIToken     string
}

// Claims are those of the projected Pod Identity token for litmus/litmus-admin
// bound to pod chaos-pod, issued at now.
func Claims(now time.Time) map[string]any {
	c := ststest.PodClaims(now)
	c["aud"] = []string{podiam.PodIdentityAudience}
	return c
}

// NewPod sets the environment (t.Setenv) of a healthy Pod-Identity-only pod:
// the IRSA variables unset, the Pod Identity ones set.
func NewPod(t *testing.T) *Pod {
	t.Helper()
	p := &Pod{Pod: ststest.NewPod(t)}
	ststest.Unsetenv(t, podiam.EnvRoleARN)
	ststest.Unsetenv(t, podiam.EnvTokenFile)
	p.PIToken = ststest.JWT(t, Claims(time.Now()))
	p.PITokenPath = filepath.Join(p.Dir, "eks-pod-identity-token")
	if err := os.WriteFile(p.PITokenPath, []byte(p.PIToken), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Agent = New(t, p.STS, p.PIToken)
	t.Setenv(podiam.EnvContainerCredsFullURI, p.Agent.URI())
	t.Setenv(podiam.EnvContainerAuthTokenFile, p.PITokenPath)
	return p
}

// WithIRSA adds the IRSA variables back: a pod with both mechanisms.
func (p *Pod) WithIRSA(t *testing.T) {
	t.Helper()
	t.Setenv(podiam.EnvRoleARN, ststest.RoleARN)
	t.Setenv(podiam.EnvTokenFile, p.TokenPath)
}
