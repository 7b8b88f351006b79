package credcheck

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/podidtest"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// podIdentityChecks are the registry's Pod Identity checks; irsaChecks its IRSA ones.
func checksOf(m podiam.Mechanism) []string {
	var ids []string
	for _, e := range registry {
		if e.mechanism == m {
			ids = append(ids, e.spec.ID)
		}
	}
	return ids
}

// assertNoPodIdentitySecrets checks the report's JSON for everything the
// stand-in agent and STS issued and for the raw Pod Identity token.
func assertNoPodIdentitySecrets(t *testing.T, r *report.Report, p *podidtest.Pod) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Agent.Secrets() {
		if s != "" && strings.Contains(string(b), s) {
			t.Errorf("report leaks a secret (%.12s...)", s)
		}
	}
	assertNoSecrets(t, r, p.Token)
}

func TestVerifyPodIdentityOnlyPodPasses(t *testing.T) {
	p := podidtest.NewPod(t)
	r := verify(t, p.Pod)
	if r.Verdict != report.VerdictPass {
		t.Errorf("verdict %s, want pass", r.Verdict)
	}
	for _, id := range checksOf(podiam.MechanismPodIdentity) {
		assertStatus(t, r, id, report.StatusPass)
	}
	for _, id := range checksOf(podiam.MechanismIRSA) {
		assertStatus(t, r, id, report.StatusSkip, "EKS Pod Identity", podiam.EnvContainerCredsFullURI)
	}
	assertStatus(t, r, IDChainSource, report.StatusPass, "CredentialsEndpointProvider", "EKS Pod Identity")
	c := statusOf(t, r, IDChainSource)
	if c.Evidence["mechanism"] != "pod-identity" || c.Evidence["experimentMechanism"] != "pod-identity" {
		t.Errorf("chain.source evidence %v: want mechanism and experimentMechanism pod-identity", c.Evidence)
	}
	assertStatus(t, r, IDPodIdentityCaller, report.StatusPass, "assumed-role/"+podidtest.Role+"/eks-")
	if r.Subject.RoleArn != podidtest.RoleARN || r.Subject.ServiceAccount != "litmus-admin" {
		t.Errorf("subject %+v: want the Pod Identity role, from the caller identity", r.Subject)
	}
	if r.Identity == nil || !strings.Contains(r.Identity.Arn, "/eks-") || r.Identity.Source != "CredentialsEndpointProvider" {
		t.Errorf("identity %+v", r.Identity)
	}
	if n := p.Agent.Calls(); n != 2 {
		t.Errorf("the agent was called %d times, want 2 (the explicit call and the SDK chain)", n)
	}
	if n := p.STS.Count("AssumeRoleWithWebIdentity"); n != 0 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times on a Pod-Identity-only pod", n)
	}
	assertNoPodIdentitySecrets(t, r, p)
}

func TestVerifyPodIdentityAgentAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer podidtest.Answer
		status report.Status
		says   []string
		code   string
	}{
		{"trust refuses the service principal (JSON error)", podidtest.Answer{Status: 400, Code: "AccessDeniedException", Message: "not authorized to perform sts:TagSession"},
			report.StatusFail, []string{"trust policy", `{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}`}, "AccessDeniedException"},
		{"the real agent's plain-text refusal", podidtest.Answer{Status: 403, Code: "AccessDeniedException", Message: "denied", Text: true},
			report.StatusFail, []string{"update-assume-role-policy"}, "AccessDeniedException"},
		{"no association", podidtest.Answer{Status: 400, Code: "ResourceNotFoundException", Message: "no association"},
			report.StatusFail, []string{"aws eks create-pod-identity-association --cluster-name <cluster> --namespace litmus --service-account litmus-admin"}, "ResourceNotFoundException"},
		{"a 500 is retried, then an error", podidtest.Answer{Status: 500, Code: "InternalServerException", Message: "boom"},
			report.StatusError, []string{"no usable answer", "nothing was verified"}, "InternalServerException"},
		{"an endless body is cut off", podidtest.Answer{Endless: true}, report.StatusError, []string{"no usable answer"}, "MalformedResponse"},
		{"garbage JSON", podidtest.Answer{Garbage: true}, report.StatusError, []string{"no usable answer"}, "MalformedResponse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := podidtest.NewPod(t)
			p.Agent.Answer(tt.answer)
			start := time.Now()
			r := verify(t, p.Pod)
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("took %s", d)
			}
			assertStatus(t, r, IDPodIdentityCreds, tt.status, tt.says...)
			if c := statusOf(t, r, IDPodIdentityCreds); c.Evidence["errorCode"] != tt.code {
				t.Errorf("evidence %v, want errorCode %s", c.Evidence, tt.code)
			}
			assertStatus(t, r, IDPodIdentityCaller, report.StatusSkip, "(see podidentity.credentials: "+string(tt.status)+")")
			if r.Verdict == report.VerdictPass {
				t.Error("verdict pass")
			}
			assertNoPodIdentitySecrets(t, r, p)
		})
	}
}

func TestVerifyPodIdentityTokenEchoedByTheEndpointIsScrubbed(t *testing.T) {
	p := podidtest.NewPod(t)
	p.Agent.Answer(podidtest.Answer{Status: 400, Code: "InvalidTokenException", Message: "bad", EchoToken: true, Text: true})
	r := verify(t, p.Pod)
	assertStatus(t, r, IDPodIdentityCreds, report.StatusFail, "<token>")
	assertNoPodIdentitySecrets(t, r, p)
}

func TestVerifyPodIdentitySlowAgentEndsAtTheDeadline(t *testing.T) {
	p := podidtest.NewPod(t)
	// The answer comes after the run's deadline but within the per-call
	// timeout (2s): only the run's deadline can end the wait.
	p.Agent.Answer(podidtest.Answer{Delay: 3 * time.Second})
	r := verifyWithin(t, p.Pod, 800*time.Millisecond)
	assertStatus(t, r, IDPodIdentityCreds, report.StatusError, "no answer before the run's deadline")
	if r.Verdict != report.VerdictError {
		t.Errorf("verdict %s, want error", r.Verdict)
	}
}

func TestVerifyPodIdentityWithGoV1FailsWithWhatV1Resolved(t *testing.T) {
	p := podidtest.NewPod(t)
	r := verify(t, p.Pod, func(o *Options) { o.ExperimentSDK = SDKGoV1 })
	assertStatus(t, r, IDChainSource, report.StatusFail,
		"aws-sdk-go v1.38.59 cannot use EKS Pod Identity (needs ≥ v1.47.11)", "its default chain resolved: no credentials from aws-sdk-go v1.38.59",
		"CredentialsEndpointError", "status code: 400", "give this ServiceAccount IRSA")
	assertStatus(t, r, IDPodIdentityCreds, report.StatusPass)
	if c := statusOf(t, r, IDChainSource); c.Evidence["mechanism"] != "pod-identity" || c.Evidence["experimentMechanism"] != "none" {
		t.Errorf("evidence %v", c.Evidence)
	}
	if r.Verdict != report.VerdictFail {
		t.Errorf("verdict %s, want fail", r.Verdict)
	}
}

func TestVerifyBothMechanismsWarnsThatTheSDKUsesIRSA(t *testing.T) {
	for _, sdk := range []string{SDKGoV2, SDKGoV1} {
		t.Run(sdk, func(t *testing.T) {
			p := podidtest.NewPod(t)
			p.WithIRSA(t)
			r := verify(t, p.Pod, func(o *Options) { o.ExperimentSDK = sdk })
			assertStatus(t, r, IDChainSource, report.StatusWarn, "WebIdentityCredentials", "also has EKS Pod Identity", "never uses while IRSA is injected")
			if c := statusOf(t, r, IDChainSource); c.Evidence["mechanism"] != "irsa" || c.Evidence["experimentMechanism"] != "irsa" {
				t.Errorf("evidence %v", c.Evidence)
			}
			assertStatus(t, r, IDSTSAssumeRole, report.StatusPass)
			assertStatus(t, r, IDPodIdentityCreds, report.StatusPass)
			if r.Verdict != report.VerdictWarn || r.Subject.RoleArn != testRole {
				t.Errorf("verdict %s, role %s: want warn for the IRSA role", r.Verdict, r.Subject.RoleArn)
			}
		})
	}
}

func TestVerifyNeitherMechanismFailsNamingBoth(t *testing.T) {
	p := podidtest.NewPod(t)
	for _, k := range []string{podiam.EnvContainerCredsFullURI, podiam.EnvContainerAuthTokenFile} {
		t.Setenv(k, "")
	}
	r := verify(t, p.Pod)
	assertStatus(t, r, IDEnvRoleArn, report.StatusFail, "neither IRSA nor EKS Pod Identity", "create-pod-identity-association", "kubectl annotate")
	for _, id := range checksOf(podiam.MechanismPodIdentity) {
		assertStatus(t, r, id, report.StatusSkip, "neither IRSA nor EKS Pod Identity")
	}
	if c := statusOf(t, r, IDChainSource); c.Evidence["mechanism"] != "none" {
		t.Errorf("evidence %v", c.Evidence)
	}
}
