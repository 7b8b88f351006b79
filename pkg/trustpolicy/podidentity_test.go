package trustpolicy

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The Pod Identity corpus (testdata/podidentity_corpus.json) replayed
// through EvaluatePodIdentityTrust and LintPodIdentityTrust. It is a file of
// its own so that the IRSA corpus and its tests stay as they are.

const piClusterARN = "arn:aws:eks:us-east-1:123456789012:cluster/chaos-lab"

type piCorpusEntry struct {
	Name     string          `json:"name"`
	Encode   bool            `json:"encode"`
	Policy   json.RawMessage `json:"policy"`
	Requests []struct {
		Subject       string   `json:"subject"` // namespace:serviceaccount
		NoSessionTags bool     `json:"noSessionTags"`
		Expect        string   `json:"expect"`
		Lints         []string `json:"lints"`
	} `json:"requests"`
	Note string `json:"note"`
}

func loadPodIdentityCorpus(t *testing.T) []piCorpusEntry {
	return loadCorpus[piCorpusEntry](t, "testdata/podidentity_corpus.json")
}

func TestPodIdentityCorpusDecisionsAndLints(t *testing.T) {
	corpus := loadPodIdentityCorpus(t)
	if len(corpus) < 10 {
		t.Fatalf("corpus has %d policies, want at least 10", len(corpus))
	}
	for _, e := range corpus {
		t.Run(e.Name, func(t *testing.T) {
			text := string(e.Policy)
			if e.Encode {
				text = url.PathEscape(text)
			}
			p, err := ParsePolicy(text)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, r := range e.Requests {
				ns, sa, _ := strings.Cut(r.Subject, ":")
				req := PodIdentityRequest{ClusterARN: piClusterARN, ClusterName: "chaos-lab", Namespace: ns, ServiceAccount: sa,
					PodName: "runner-1", PodUID: "0f0e", NoSessionTags: r.NoSessionTags}
				if got := EvaluatePodIdentityTrust(p, req).Decision(); got != r.Expect {
					t.Errorf("%s: decision %s, want %s", r.Subject, got, r.Expect)
				}
				var codes []string
				for _, f := range LintPodIdentityTrust(p, req) {
					if !slices.Contains(codes, f.Code) {
						codes = append(codes, f.Code)
					}
				}
				want := slices.Clone(r.Lints)
				slices.Sort(codes)
				slices.Sort(want)
				if !slices.Equal(codes, want) {
					t.Errorf("%s: lints %v, want %v", r.Subject, codes, want)
				}
			}
		})
	}
}

func TestPodIdentityRequestContextCarriesTagsAndSource(t *testing.T) {
	ctx := PodIdentityRequest{ClusterARN: piClusterARN, ClusterName: "chaos-lab", Namespace: "litmus", ServiceAccount: "litmus-admin"}.Context()
	for key, want := range map[string]string{
		"aws:RequestTag/kubernetes-namespace":       "litmus",
		"AWS:REQUESTTAG/KUBERNETES-SERVICE-ACCOUNT": "litmus-admin",
		"aws:RequestTag/eks-cluster-arn":            piClusterARN,
		"aws:RequestTag/eks-cluster-name":           "chaos-lab",
		"aws:SourceAccount":                         "123456789012",
		"aws:SourceArn":                             piClusterARN,
		"aws:PrincipalServiceName":                  "pods.eks.amazonaws.com",
	} {
		if got, ok := ctx.Values(key); !ok || !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %v, want %s", key, got, want)
		}
	}
	keys, _ := ctx.Values("aws:TagKeys")
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account"}) {
		t.Errorf("aws:TagKeys = %v", keys)
	}
	none := PodIdentityRequest{ClusterARN: piClusterARN, Namespace: "litmus", NoSessionTags: true}.Context()
	if _, ok := none.Values("aws:RequestTag/kubernetes-namespace"); ok {
		t.Error("disabled session tags must not appear in the context")
	}
}

func TestPodIdentityDecisionNeedsBothActions(t *testing.T) {
	cases := []struct {
		name, actions string
		allowed       bool
	}{
		{"AssumeRole and TagSession", `["sts:AssumeRole","sts:TagSession"]`, true},
		{"AssumeRole only", `"sts:AssumeRole"`, false},
		{"TagSession only", `"sts:TagSession"`, false},
		{"the web identity action", `"sts:AssumeRoleWithWebIdentity"`, false},
		{"NotAction excluding TagSession", `{"not":"sts:TagSession"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			elem := `"Action":` + c.actions
			if strings.HasPrefix(c.actions, `{"not"`) {
				elem = `"NotAction":"sts:TagSession"`
			}
			p, err := ParsePolicy(`{"Statement":{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},` + elem + `}}`)
			if err != nil {
				t.Fatal(err)
			}
			d := EvaluatePodIdentityTrust(p, PodIdentityRequest{ClusterARN: piClusterARN, Namespace: "litmus", ServiceAccount: "litmus-admin"})
			if d.Allowed() != c.allowed {
				t.Fatalf("allowed = %v, want %v (assume %s, tag %s)", d.Allowed(), c.allowed, d.AssumeRole.Decision, d.TagSession.Decision)
			}
		})
	}
}

func TestPodIdentityTrustDocumentAdmitsExactlyTheServiceAccount(t *testing.T) {
	p, err := ParsePolicy(PodIdentityTrustDocument("litmus", "litmus-admin"))
	if err != nil {
		t.Fatal(err)
	}
	req := func(ns, sa string) PodIdentityRequest {
		return PodIdentityRequest{ClusterARN: piClusterARN, ClusterName: "chaos-lab", Namespace: ns, ServiceAccount: sa}
	}
	if d := EvaluatePodIdentityTrust(p, req("litmus", "litmus-admin")); !d.Allowed() {
		t.Fatalf("the remedy does not admit its own ServiceAccount: %+v", d)
	}
	if f := LintPodIdentityTrust(p, req("litmus", "litmus-admin")); len(f) != 0 {
		t.Fatalf("the remedy has findings: %v", f)
	}
	for _, other := range [][2]string{{"litmus", "default"}, {"default", "litmus-admin"}} {
		if d := EvaluatePodIdentityTrust(p, req(other[0], other[1])); d.Allowed() {
			t.Errorf("the remedy also admits %s/%s", other[0], other[1])
		}
	}
}
