package trustpolicy

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/podiam"
)

// The trust corpus (testdata/trust_corpus.json) replayed through the
// evaluator and the linter alone, without a sandbox; test/e2e's differential
// test replays the same corpus against the sandbox's STS front.

const (
	corpusAccount = "123456789012"
	corpusHost    = "oidc.eks.us-east-1.amazonaws.com/id/5E1D7C0FFEE0123456789ABCDEF01234"
	corpusSwapped = "oidc.us-east-1.eks.amazonaws.com/id/5E1D7C0FFEE0123456789ABCDEF01234"
)

// trustCorpusEntry is one policy of testdata/trust_corpus.json with the
// decisions STS must reach for each subject tried. The same file drives the
// end-to-end differential test against the sandbox's validating STS front.
type trustCorpusEntry struct {
	Name       string          `json:"name"`
	Sandbox    *bool           `json:"sandbox"`
	Encode     bool            `json:"encode"`
	Partition  string          `json:"partition"`
	IssuerHost string          `json:"issuerHost"`
	Policy     json.RawMessage `json:"policy"`
	Requests   []struct {
		Sub    string `json:"sub"` // namespace:serviceaccount
		Aud    string `json:"aud"`
		Expect string `json:"expect"`
	} `json:"requests"`
	Lints []string `json:"lints"`
	Note  string   `json:"note"` // why the entry decides as it does
}

// render returns the entry's policy text for an account and issuer host,
// and the provider ARN and role the requests use.
func (e trustCorpusEntry) render(account, host string) (doc, provider string, role podiam.RoleARN) {
	partition := "aws"
	if e.Partition != "" {
		partition = e.Partition
	}
	if e.IssuerHost != "" {
		host = e.IssuerHost
	}
	swapped := host
	if strings.HasPrefix(host, "oidc.eks.") {
		rest := strings.TrimPrefix(host, "oidc.eks.")
		region, tail, _ := strings.Cut(rest, ".")
		swapped = "oidc." + region + ".eks." + tail
	}
	provider = "arn:" + partition + ":iam::" + account + ":oidc-provider/" + host
	text := string(e.Policy)
	if strings.HasPrefix(text, `"`) {
		_ = json.Unmarshal(e.Policy, &text)
	}
	text = strings.NewReplacer(
		"${PROVIDER_ARN}", provider, "${ISSUER_HOST_UPPER}", strings.ToUpper(host),
		"${ISSUER_HOST}", host, "${SWAPPED_HOST}", swapped, "${ACCOUNT}", account, "${PARTITION}", partition,
	).Replace(text)
	if e.Encode {
		text = url.PathEscape(text)
	}
	return text, provider, podiam.RoleARN{Partition: partition, Account: account, Path: "/", Name: "corpus"}
}

func loadTrustCorpus(t testing.TB) []trustCorpusEntry {
	return loadCorpus[trustCorpusEntry](t, "testdata/trust_corpus.json")
}

// loadCorpus decodes a corpus file strictly: a field the struct does not know
// (a tag left over from a rename) would silently run its cases with the defaults.
func loadCorpus[T any](t testing.TB, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []T
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func TestTrustCorpusDecisionsAndLints(t *testing.T) {
	corpus := loadTrustCorpus(t)
	if len(corpus) < 30 {
		t.Fatalf("corpus has %d policies, want at least 30", len(corpus))
	}
	for _, e := range corpus {
		t.Run(e.Name, func(t *testing.T) {
			doc, provider, role := e.render(corpusAccount, corpusHost)
			p, err := ParsePolicy(doc)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, doc)
			}
			for _, r := range e.Requests {
				ns, sa, _ := strings.Cut(r.Sub, ":")
				aud := r.Aud
				if aud == "" {
					aud = podiam.DefaultAudience
				}
				d := EvaluateTrust(p, WebIdentityRequest{ProviderARN: provider, Subject: podiam.SubjectPrefix + ns + ":" + sa, Audience: aud})
				if d.Decision != r.Expect {
					t.Errorf("%s: decision %s, want %s (allowed by %v, denied by %v, blocked %v)", r.Sub, d.Decision, r.Expect, d.AllowedBy, d.DeniedBy, d.Blocked)
				}
			}
			issuer := "https://" + corpusHost
			if e.IssuerHost != "" {
				issuer = "https://" + e.IssuerHost
			}
			var codes []string
			for _, f := range LintTrust(p, role, issuer) {
				if !slices.Contains(codes, f.Code) {
					codes = append(codes, f.Code)
				}
			}
			slices.Sort(codes)
			want := append([]string(nil), e.Lints...)
			slices.Sort(want)
			if !slices.Equal(codes, want) {
				t.Errorf("lints %v, want %v", codes, want)
			}
		})
	}
}
