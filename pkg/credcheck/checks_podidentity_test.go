package credcheck

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// podIdentityFacts are the facts of a healthy Pod-Identity-only pod.
func podIdentityFacts() Facts {
	f := healthyFacts()
	f.RoleARN, f.TokenFile, f.Claims, f.Assume, f.Caller = "", "", nil, nil, nil
	f.PodIdentity = PodIdentityFacts{
		FullURI: podiam.PodIdentityAgentURI, TokenFile: podiam.PodIdentityTokenPath,
		Claims: &Claims{Issuer: testIssuer, Subject: "system:serviceaccount:litmus:litmus-admin", Audience: Audience{podiam.PodIdentityAudience},
			Expiry: &NumericDate{now.Add(time.Hour)}, Kubernetes: &KubernetesClaims{Namespace: "litmus", Pod: &ObjectRef{Name: "chaos-pod", UID: "pod-uid"}}},
		Creds:  &ContainerCredsResult{Endpoint: podiam.PodIdentityAgentURI, AccountID: "123456789012", Expiration: now.Add(time.Hour)},
		Caller: &CallerResult{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/chaos-pi/eks-chaos-lab-chaos-pod-1"},
	}
	f.Chain = &ChainResult{SDK: "aws-sdk-go-v2", Source: "CredentialsEndpointProvider", ARN: "arn:aws:sts::123456789012:assumed-role/chaos-pi/eks-chaos-lab-chaos-pod-2", Account: "123456789012"}
	return f
}

func evaluated(t *testing.T, f Facts, id string) report.Check {
	t.Helper()
	for _, c := range Evaluate(f) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return report.Check{}
}

func TestPodIdentityChecksPassOnAHealthyPodIdentityPod(t *testing.T) {
	t.Parallel()
	for _, c := range Evaluate(podIdentityFacts()) {
		want := report.StatusPass
		if c.ID == IDIsolationCross || slices.Contains(checksOf(podiam.MechanismIRSA), c.ID) {
			want = report.StatusSkip
		}
		if c.Status != want {
			t.Errorf("%s: %s (%s), want %s", c.ID, c.Status, c.Message, want)
		}
	}
}

func TestPodIdentityChecksFailWithTheDocumentedCause(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		mutate func(*Facts)
		want   report.Status
		says   []string
	}{
		{"loopback stand-in accepted", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = "http://127.0.0.1:9/v1/credentials" }, report.StatusPass, nil},
		{"IPv6 agent accepted", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = podiam.PodIdentityAgentURIv6 }, report.StatusPass, nil},
		{"https anywhere accepted", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = "https://creds.example.com/v1" }, report.StatusPass, nil},
		{"http to another host", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = "http://10.0.0.5/v1/credentials" }, report.StatusFail,
			[]string{"only loopback or the EKS Pod Identity agent", "10.0.0.5"}},
		{"the ECS agent is not Pod Identity", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = "http://169.254.170.2/v1/credentials" }, report.StatusFail, nil},
		{"token file without URI", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.FullURI = "" }, report.StatusFail, []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI is not"}},
		{"URI without token file", IDPodIdentityEnv, func(f *Facts) { f.PodIdentity.TokenFile = "" }, report.StatusFail, []string{"refuses a request without the token"}},
		{"token unreadable by non-root", IDPodIdentityToken, func(f *Facts) {
			f.PodIdentity.Claims, f.PodIdentity.TokenReadErr, f.PodIdentity.TokenPermissionDenied = nil, fs.ErrPermission, true
		}, report.StatusFail, []string{"permission denied", "fsGroup"}},
		{"token missing", IDPodIdentityToken, func(f *Facts) { f.PodIdentity.Claims, f.PodIdentity.TokenReadErr = nil, errors.New("no such file") },
			report.StatusFail, []string{"eks-pod-identity-token"}},
		{"IRSA audience", IDPodIdentityToken, func(f *Facts) { f.PodIdentity.Claims.Audience = Audience{podiam.DefaultAudience} }, report.StatusFail,
			[]string{`does not contain "pods.eks.amazonaws.com"`}},
		{"expired", IDPodIdentityToken, func(f *Facts) { f.PodIdentity.Claims.Expiry = &NumericDate{now.Add(-time.Minute)} }, report.StatusFail, []string{"expired"}},
		{"another ServiceAccount", IDPodIdentityToken, func(f *Facts) { f.PodIdentity.Claims.Subject = "system:serviceaccount:litmus:default" }, report.StatusFail,
			[]string{"system:serviceaccount:litmus:default", "runs as system:serviceaccount:litmus:litmus-admin"}},
		{"a line break", IDPodIdentityToken, func(f *Facts) { f.PodIdentity.TokenHasNewline = true }, report.StatusFail, []string{"line break"}},
		{"agent refuses", IDPodIdentityCreds, func(f *Facts) {
			f.PodIdentity.Creds.Err = &podiam.CallError{Operation: "GetCredentials", Code: "AccessDeniedException", Kind: podiam.KindRefused, HTTPStatus: 400}
			f.PodIdentity.Caller = nil
		}, report.StatusFail, []string{"sts:TagSession", "update-assume-role-policy"}},
		{"agent unreachable", IDPodIdentityCreds, func(f *Facts) {
			f.PodIdentity.Creds.Err = &podiam.CallError{Operation: "GetCredentials", Code: "NetworkError", Kind: podiam.KindUnavailable}
		}, report.StatusError, []string{"eks-pod-identity-agent"}},
		{"not an eks- session", IDPodIdentityCaller, func(f *Facts) {
			f.PodIdentity.Caller.ARN = "arn:aws:sts::123456789012:assumed-role/chaos-pi/podcred-x"
		}, report.StatusFail, []string{`does not start with "eks-"`}},
		{"a user, not a role", IDPodIdentityCaller, func(f *Facts) { f.PodIdentity.Caller.ARN = "arn:aws:iam::123456789012:user/static" }, report.StatusFail,
			[]string{"not to an assumed-role session"}},
		{"another account than the agent said", IDPodIdentityCaller, func(f *Facts) { f.PodIdentity.Caller.Account = "999999999999" }, report.StatusFail, []string{"999999999999"}},
		{"chain as another role", IDChainSource, func(f *Facts) { f.Chain.ARN = "arn:aws:sts::123456789012:assumed-role/other/eks-1" }, report.StatusFail,
			[]string{"not as the Pod Identity role arn:aws:iam::123456789012:role/chaos-pi"}},
		{"chain falls to IMDS", IDChainSource, func(f *Facts) { f.Chain.Source = "EC2RoleProvider" }, report.StatusFail, []string{"not to the container credentials provider"}},
		{"go-v1 cannot use it", IDChainSource, func(f *Facts) {
			f.ExperimentSDK, f.Chain = SDKGoV1, &ChainResult{SDK: "aws-sdk-go v1.38.59", LoadErr: errors.New("NoCredentialProviders: invalid endpoint host")}
		}, report.StatusFail, []string{"aws-sdk-go v1.38.59 cannot use EKS Pod Identity (needs ≥ v1.47.11)", "its default chain resolved: NoCredentialProviders: invalid endpoint host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := podIdentityFacts()
			tt.mutate(&f)
			got := evaluated(t, f, tt.id)
			if got.Status != tt.want {
				t.Errorf("status %s (%s), want %s", got.Status, got.Message, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(got.Message+" | "+got.Remedy, s) {
					t.Errorf("lacks %q: %s | %s", s, got.Message, got.Remedy)
				}
			}
		})
	}
}

func TestBothMechanismsWarnOnChainSource(t *testing.T) {
	t.Parallel()
	f := podIdentityFacts()
	h := healthyFacts()
	f.RoleARN, f.TokenFile, f.Claims, f.Assume, f.Caller, f.Chain = h.RoleARN, h.TokenFile, h.Claims, h.Assume, h.Caller, h.Chain
	c := evaluated(t, f, IDChainSource)
	if c.Status != report.StatusWarn || !strings.Contains(c.Message, "another role, arn:aws:iam::123456789012:role/chaos-pi") {
		t.Errorf("chain.source %s: %s", c.Status, c.Message)
	}
	if c.Evidence["mechanism"] != "irsa" || c.Evidence["experimentMechanism"] != "irsa" {
		t.Errorf("evidence %v", c.Evidence)
	}
}

func TestSkipMessagesNameTheirNeedsFromTheRegistry(t *testing.T) {
	t.Parallel()
	f := healthyFacts()
	f.RoleARN, f.Assume, f.Caller = "arn:aws:iam::12345:role/x", nil, nil
	if c := evaluated(t, f, IDSTSAssumeRole); c.Status != report.StatusSkip || !strings.HasSuffix(c.Message, "(see env.role-arn: fail)") {
		t.Errorf("sts.assume-role: %s %q", c.Status, c.Message)
	}
	if c := evaluated(t, f, IDSTSCallerIdentity); !strings.HasSuffix(c.Message, "(see sts.assume-role: skip)") {
		t.Errorf("sts.caller-identity: %q", c.Message)
	}
	f = healthyFacts()
	f.Unfinished = map[string]string{collectorSTS: "no answer before the run's deadline (--timeout)"}
	for _, id := range []string{IDSTSAssumeRole, IDSTSCallerIdentity} {
		if c := evaluated(t, f, id); c.Status != report.StatusError || c.Evidence["collector"] != collectorSTS {
			t.Errorf("%s: %s %v, want an error naming the collector", id, c.Status, c.Evidence)
		}
	}
}

func TestTheRegistryIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	collectors := []string{collectorSTS, collectorCrossRole, collectorPodIdentity, collectorChain, collectorIMDS}
	for _, e := range registry {
		for _, need := range e.needs {
			if !seen[need] && !slices.Contains(collectors, need) {
				t.Errorf("%s needs %s, which is neither an earlier check nor a collector", e.spec.ID, need)
			}
		}
		if seen[e.spec.ID] {
			t.Errorf("%s registered twice", e.spec.ID)
		}
		seen[e.spec.ID] = true
	}
	want := map[string][]string{
		"irsa":         {IDEnvRoleArn, IDEnvTokenFile, IDTokenSubject, IDSTSAssumeRole, IDSTSCallerIdentity, IDChainSource},
		"pod-identity": {IDPodIdentityEnv, IDPodIdentityToken, IDPodIdentityCreds, IDPodIdentityCaller, IDChainSource},
	}
	for m, ids := range want {
		if !slices.Equal(GateProof[m], ids) {
			t.Errorf("GateProof[%s] = %v, want %v", m, GateProof[m], ids)
		}
	}
}
