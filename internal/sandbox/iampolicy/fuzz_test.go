package iampolicy

import (
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and evaluates whatever parses: no
// input may panic or hang. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/i"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"i:sub":"system:serviceaccount:*"}}}}`))
	f.Add([]byte(`%7B%22Statement%22%3A%5B%5D%7D`))
	w := WebIdentity{
		ProviderARN: "arn:aws:iam::111122223333:oidc-provider/i", Subject: "system:serviceaccount:a:b",
		Audience: "sts.amazonaws.com", TokenAudiences: []string{"sts.amazonaws.com", "x"}, AMR: []string{"mfa"},
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a policy and an error: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("Parse returned neither a policy nor an error")
		}
		r := EvaluateWebIdentity(p, w)
		switch r.Decision {
		case Allowed, ExplicitDeny, ImplicitDeny:
		default:
			t.Fatalf("unknown decision %q", r.Decision)
		}
		Evaluate([]Source{{ID: "p", Policy: p}}, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	})
}
