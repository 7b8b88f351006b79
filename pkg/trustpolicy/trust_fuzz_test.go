package trustpolicy

import (
	"net/url"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/podiam"
)

// FuzzParsePolicy feeds arbitrary documents to the policy parser, the trust
// evaluator and the linter: broken input must be an error, never a panic, and
// a document must parse the same whether IAM URL-encoded it or not.
func FuzzParsePolicy(f *testing.F) {
	for _, e := range loadTrustCorpus(f) {
		doc, _, _ := e.render(corpusAccount, corpusHost)
		f.Add(doc)
	}
	for _, s := range []string{
		"", "{", "%7B", "%7B%22Statement%22%3A%5B%5D%7D", `{"Statement":null}`, `{"Statement":[null]}`,
		`{"Statement":{"Effect":"Allow","Action":[],"Principal":{"Federated":[]}}}`,
		`{"Statement":{"Effect":"Deny","NotAction":"*","NotPrincipal":"*","Condition":{"Null":{"k":[true,false,1.5e300]}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForAllValues:StringLikeIfExists":{"a:sub":"*?*"}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NullIfExists":{"a":"true"}}}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy(doc)
		if err != nil {
			return
		}
		req := WebIdentityRequest{ProviderARN: "arn:aws:iam::" + corpusAccount + ":oidc-provider/" + corpusHost,
			Subject: "system:serviceaccount:litmus:litmus-admin", Audience: podiam.DefaultAudience}
		d := EvaluateTrust(p, req)
		_ = LintTrust(p, podiam.RoleARN{Partition: "aws", Account: corpusAccount}, "https://"+corpusHost)
		if len(doc) < MaxPolicyBytes/3 && strings.HasPrefix(strings.TrimSpace(doc), "{") {
			q, err := ParsePolicy(url.PathEscape(doc))
			if err != nil {
				t.Fatalf("parses as JSON but not URL-encoded: %v", err)
			}
			if len(q.Statements) != len(p.Statements) || EvaluateTrust(q, req).Decision != d.Decision {
				t.Fatalf("URL-encoded document evaluates differently")
			}
		}
	})
}
