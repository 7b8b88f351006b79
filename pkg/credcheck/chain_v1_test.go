package credcheck

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/ststest"
	"github.com/podcred/podcred/pkg/report"

	"github.com/podcred/podcred/pkg/podiam"
)

func goV1(o *Options) { o.ExperimentSDK = SDKGoV1 }

func TestTheGoV1ChainOfAHealthyPodIsWebIdentityForTheRole(t *testing.T) {
	w := ststest.NewPod(t)
	r := verify(t, w, goV1)
	assertStatus(t, r, IDChainSource, report.StatusPass, "aws-sdk-go v1.38.59", "WebIdentityCredentials", "chaos-ec2")
	if c := statusOf(t, r, IDChainSource); c.Evidence["sdk"] != "aws-sdk-go v1.38.59" || c.Evidence["stsEndpoint"] == "" {
		t.Errorf("evidence %v, want the SDK and the STS endpoint it resolves", c.Evidence)
	}
	// The explicit call and aws-sdk-go v1's web identity provider each assume the role once.
	if n := w.STS.Count("AssumeRoleWithWebIdentity"); n != 2 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times, want 2", n)
	}
	assertNoSecrets(t, r, w.Token)
}

// A leftover AWS_PROFILE naming a profile that does not exist: aws-sdk-go-v2
// refuses to load its config at all, aws-sdk-go v1.38.59 ignores the missing
// profile (aws/session/session.go, SharedConfigProfileNotExistsError) and
// uses web identity. The two SDKs' experiments get different answers.
func TestAMissingProfileBreaksGoV2ButNotGoV1(t *testing.T) {
	w := ststest.NewPod(t)
	t.Setenv(podiam.EnvProfile, "left-over")
	v2 := verify(t, w)
	assertStatus(t, v2, IDChainSource, report.StatusFail, "aws-sdk-go-v2", "left-over")
	v1 := verify(t, w, goV1)
	assertStatus(t, v1, IDChainSource, report.StatusPass, "aws-sdk-go v1.38.59", "WebIdentityCredentials")
}

func TestEnvironmentKeysWinInGoV1Too(t *testing.T) {
	w := ststest.NewPod(t)
	t.Setenv(podiam.EnvAccessKeyID, "AKIAIOSFODNN7EXAMPLE")
	t.Setenv(podiam.EnvSecretAccessKey, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	r := verify(t, w, goV1)
	assertStatus(t, r, IDChainSource, report.StatusFail, "aws-sdk-go v1.38.59 resolves to EnvConfigCredentials")
}

func TestGoV1NeverReadsAnUnsafeTokenFile(t *testing.T) {
	w := ststest.NewPod(t)
	fifo := mkfifo(t, t.TempDir())
	t.Setenv(podiam.EnvTokenFile, fifo)
	r := verify(t, w, goV1)
	assertStatus(t, r, IDChainSource, report.StatusFail, "the SDK would read "+fifo, "not a regular file")
	if n := w.STS.Count("AssumeRoleWithWebIdentity"); n != 0 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times with an unreadable token", n)
	}
}

func TestGoV1CutsEndlessBodiesOff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setUp func(t *testing.T, w *ststest.Pod)
	}{
		{"STS", func(t *testing.T, w *ststest.Pod) { w.STS.AnswerAssume("", ststest.Answer{Endless: true}) }},
		{"IMDS, when the chain falls through to the instance role", func(t *testing.T, w *ststest.Pod) {
			ststest.Unsetenv(t, podiam.EnvRoleARN)
			ststest.Unsetenv(t, podiam.EnvTokenFile)
			ststest.Unsetenv(t, podiam.EnvIMDSDisabled)
			imds := httptest.NewServer(http.HandlerFunc(ststest.Endless))
			t.Cleanup(imds.Close)
			t.Setenv(podiam.EnvIMDSEndpoint, imds.URL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ststest.NewPod(t)
			tc.setUp(t, w)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := verifyWithin(t, w, 10*time.Second, goV1, func(o *Options) { o.IMDSTimeout = 5 * time.Second })
			runtime.ReadMemStats(&after)
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("took %s: an endless body must be cut off by size, not by the deadline", d)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB reading endless bodies", alloc>>20)
			}
			if c := statusOf(t, r, IDChainSource); c.Status == report.StatusPass {
				t.Errorf("chain.source passed on an endless body: %s", c.Message)
			}
		})
	}
}
