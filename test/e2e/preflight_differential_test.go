package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// TestTrustAnalyserAgreesWithTheSTSFront runs the trust-policy corpus of
// pkg/trustpolicy/testdata through podcred's analyser and through the
// sandbox's validating STS front (the oracle, which shares no code with
// it) with real tokens minted by the apiserver, and asserts that both
// reach the same allow/deny decision for every ServiceAccount tried.
func TestTrustAnalyserAgreesWithTheSTSFront(t *testing.T) {
	defer stopOnPanic()
	s := sb(t)
	corpus := loadCorpus(t)
	host := strings.TrimPrefix(s.Issuer(), "https://")
	account := world.DefaultAccount
	// Corpus namespaces are prefixed so that no system namespace is touched.
	nsRe := regexp.MustCompile(`(?i)(system:serviceaccount:)`)
	// Subjects that are not valid Kubernetes names (the corpus tries
	// "chaos-" against a pattern) cannot have tokens: unit tests cover them.
	validName := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	type probe struct{ role, ns, sa, expect string }
	var probes []probe
	var roles strings.Builder
	subjects := map[string]map[string]bool{}
	docs := map[string]string{}
	for i, e := range corpus {
		if e.Sandbox != nil && !*e.Sandbox {
			continue
		}
		doc := nsRe.ReplaceAllString(e.render(account, host), "${1}dc-")
		role := fmt.Sprintf("corpus-%02d", i)
		docs[role] = doc
		js, _ := json.Marshal(doc)
		fmt.Fprintf(&roles, "  - name: %s\n    trustPolicy: %s\n", role, js)
		for _, r := range e.Requests {
			ns, sa, _ := strings.Cut(r.Sub, ":")
			ns = "dc-" + ns
			if !validName.MatchString(ns) || !validName.MatchString(sa) {
				t.Logf("%s: %s:%s is no valid ServiceAccount name, not tried in the sandbox", e.Name, ns, sa)
				continue
			}
			if subjects[ns] == nil {
				subjects[ns] = map[string]bool{}
			}
			subjects[ns][sa] = true
			probes = append(probes, probe{role, ns, sa, r.Expect})
		}
	}
	var world strings.Builder
	world.WriteString("cluster: {name: differential}\noidcProviders: [{url: cluster}]\nroles:\n" + roles.String() + "namespaces:\n")
	for _, ns := range sortedNames(subjects) {
		fmt.Fprintf(&world, "  - name: %s\n    serviceAccounts:\n", ns)
		for _, sa := range sortedNames(subjects[ns]) {
			fmt.Fprintf(&world, "      - {name: %s}\n", sa)
		}
	}
	loadInlineWorld(t, "differential", world.String())
	if len(docs) < 30 {
		t.Fatalf("only %d corpus policies can run in the sandbox", len(docs))
	}
	provider := "arn:aws:iam::" + account + ":oidc-provider/" + host
	client := sts.New(sts.Options{BaseEndpoint: aws.String(s.EndpointURL()), Region: s.World().Region, Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	agree := 0
	for _, p := range probes {
		name := p.role + " " + p.ns + ":" + p.sa
		policy, err := trustpolicy.ParsePolicy(docs[p.role])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		predicted := trustpolicy.EvaluateTrust(policy, trustpolicy.WebIdentityRequest{ProviderARN: provider,
			Subject: "system:serviceaccount:" + p.ns + ":" + p.sa, Audience: podiam.DefaultAudience}).Allowed()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		path, err := s.MintToken(ctx, p.ns, p.sa, "", podiam.DefaultAudience, controlplane.MinTokenTTL)
		if err != nil {
			cancel()
			t.Fatalf("%s: mint token: %v", name, err)
		}
		tok, err := os.ReadFile(path)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		_, err = client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + p.role), RoleSessionName: aws.String("differential"),
			WebIdentityToken: aws.String(strings.TrimSpace(string(tok)))})
		cancel()
		var actual bool
		var ae smithy.APIError
		switch {
		case err == nil:
			actual = true
		case errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied":
		default:
			t.Errorf("%s: STS answered neither allow nor AccessDenied: %v", name, err)
			continue
		}
		if predicted != actual {
			t.Errorf("%s: analyser says allowed=%v, STS front says allowed=%v\npolicy: %s", name, predicted, actual, docs[p.role])
			continue
		}
		if want := p.expect == trustpolicy.DecisionAllow; actual != want {
			t.Errorf("%s: both say allowed=%v, the corpus expects %s", name, actual, p.expect)
			continue
		}
		agree++
	}
	t.Logf("analyser and STS front agree on %d of %d requests over %d policies", agree, len(probes), len(docs))
}

// corpusEntry is an entry of pkg/trustpolicy/testdata/trust_corpus.json.
type corpusEntry struct {
	Name       string          `json:"name"`
	Sandbox    *bool           `json:"sandbox"`
	Encode     bool            `json:"encode"`
	Partition  string          `json:"partition"`
	IssuerHost string          `json:"issuerHost"`
	Note       string          `json:"note"`
	Policy     json.RawMessage `json:"policy"`
	Requests   []struct {
		Sub    string `json:"sub"`
		Aud    string `json:"aud"`
		Expect string `json:"expect"`
	} `json:"requests"`
	Lints []string `json:"lints"`
}

func loadCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	raw, err := os.ReadFile("../../pkg/trustpolicy/testdata/trust_corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusEntry
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// render fills the corpus placeholders for the sandbox's account and issuer.
// The document goes to IAM as plain JSON: IAM returns it URL-encoded, which
// is what the analyser then reads (the unit tests cover both forms).
func (e corpusEntry) render(account, host string) string {
	swapped := host
	if rest, ok := strings.CutPrefix(host, "oidc.eks."); ok {
		region, tail, _ := strings.Cut(rest, ".")
		swapped = "oidc." + region + ".eks." + tail
	}
	text := string(e.Policy)
	text = strings.NewReplacer(
		"${PROVIDER_ARN}", "arn:aws:iam::"+account+":oidc-provider/"+host, "${ISSUER_HOST_UPPER}", strings.ToUpper(host),
		"${ISSUER_HOST}", host, "${SWAPPED_HOST}", swapped, "${ACCOUNT}", account, "${PARTITION}", "aws",
	).Replace(text)
	return text
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
