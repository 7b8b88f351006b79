package world

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/podiam"
)

// worldsDir holds the example worlds.
const worldsDir = "../../../examples/worlds"

func TestEveryExampleWorldIsValid(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(worldsDir, "*.yaml"))
	if err != nil || len(paths) < 3 {
		t.Fatalf("example worlds: %v %v", paths, err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			w, err := LoadWorld(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Scenarios) == 0 {
				t.Error("a tour world without scenarios")
			}
			if _, err := w.Resolve("https://oidc.eks.us-east-1.amazonaws.com/id/ABC"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPlaceholdersExpandOnlyTheirOwnNames(t *testing.T) {
	w, err := ParseWorld([]byte(`
account: "111122223333"
region: eu-west-1
roles:
  - name: r
    trustPolicy:
      Statement:
        - Principal: {Federated: "${PROVIDER_ARN}"}
          Condition: {StringEquals: {"${ISSUER_HOST}:sub": "system:serviceaccount:ns:${aws:username}"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.Resolve("https://oidc.eks.eu-west-1.amazonaws.com/id/XYZ")
	if err != nil {
		t.Fatal(err)
	}
	trust, err := PolicyText(got.Roles[0].TrustPolicy)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/XYZ"`,
		`"oidc.eks.eu-west-1.amazonaws.com/id/XYZ:sub"`,
		`${aws:username}`,
	} {
		if !strings.Contains(trust, want) {
			t.Errorf("trust policy %s lacks %s", trust, want)
		}
	}
}

func TestWorldDefaults(t *testing.T) {
	w, err := ParseWorld([]byte("oidcProviders: [{url: cluster}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Account != DefaultAccount || w.Region != DefaultRegion || w.Cluster.Name != DefaultClusterName || w.IMDS != IMDSBlocked {
		t.Errorf("defaults: %+v", w)
	}
	if p := w.OIDCProviders[0]; len(p.ClientIDs) != 1 || p.ClientIDs[0] != podiam.DefaultAudience || len(p.Thumbprints) != 1 {
		t.Errorf("provider defaults: %+v", p)
	}
}

func TestBadWorldsAreRejectedWithTheReason(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "acount: '123456789012'\n", "unknown field"},
		{"short account", "account: '1234'\n", "want 12 digits"},
		{"http issuer", "cluster: {issuer: 'http://x'}\n", "must be https"},
		{"provider url", "oidcProviders: [{url: 'oidc.example'}]\n", "want \"cluster\""},
		{"imds", "imds: open\n", "imds \"open\""},
		{"role of SA unknown", "namespaces: [{name: n, serviceAccounts: [{name: s, role: nope}]}]\n", "role \"nope\" is not in roles"},
		{"pod's SA unknown", "namespaces: [{name: n, pods: [{name: p, serviceAccount: s}]}]\n", "serviceAccount \"s\" is not in the namespace"},
		{"trust policy not an object", "roles: [{name: r, trustPolicy: [1]}]\n", "not a JSON object"},
		{"chaos kind", "namespaces: [{name: n, chaos: [{kind: Pod}]}]\n", "want ChaosExperiment or ChaosEngine"},
		{"scenario expectation", "scenarios: [{name: s, namespace: n, serviceAccount: a, expect: ok}]\n", "expect \"ok\""},
		{"scenario pod", "scenarios: [{name: s, namespace: ns, serviceAccount: a, pod: p, expect: pass}]\n", "pod ns/p is not in the world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWorld([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestPolicyTextAcceptsObjectsAndJSONStrings(t *testing.T) {
	for _, doc := range []string{`{"Version": "2012-10-17"}`, `"{\"Version\": \"2012-10-17\"}"`} {
		got, err := PolicyText([]byte(doc))
		if err != nil || got != `{"Version":"2012-10-17"}` {
			t.Errorf("PolicyText(%s) = %q, %v", doc, got, err)
		}
	}
}

func TestAWorldBuiltInGoResolvesLikeAParsedOne(t *testing.T) {
	w := &World{
		Cluster:       Cluster{Name: "c"},
		OIDCProviders: []OIDCProvider{{URL: ClusterProvider}},
		Roles:         []Role{{Name: "r", TrustPolicy: []byte(`{"Statement":[{"Principal":{"Federated":"${PROVIDER_ARN}"}}]}`)}},
		IMDS:          IMDSNodeRole,
	}
	got, err := w.Resolve("https://oidc.eks.us-east-1.amazonaws.com/id/Q")
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := PolicyText(got.Roles[0].TrustPolicy)
	if !strings.Contains(trust, "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/Q") || got.IMDS != IMDSNodeRole || got.Account != DefaultAccount {
		t.Fatalf("resolved %+v, trust %s", got, trust)
	}
}
