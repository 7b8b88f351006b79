package iampolicy

import (
	"net/url"
	"strings"
	"testing"
)

const (
	testIssuer  = "oidc.eks.us-east-1.amazonaws.com/id/ABC123"
	testAccount = "111122223333"
	testSub     = "system:serviceaccount:litmus:litmus-admin"
	testAud     = "sts.amazonaws.com"
)

func testProvider(partition string) string {
	return OIDCProviderARN(partition, testAccount, "https://"+testIssuer)
}

func testIdentity() WebIdentity {
	return WebIdentity{
		ProviderARN:    testProvider("aws"),
		Subject:        testSub,
		Audience:       testAud,
		TokenAudiences: []string{testAud},
	}
}

// trust expands placeholders in a trust policy: {P} provider ARN (aws
// partition), {I} issuer key prefix.
func trust(doc string) string {
	return strings.NewReplacer("{P}", testProvider("aws"), "{I}", testIssuer).Replace(doc)
}

func TestEvaluateWebIdentity(t *testing.T) {
	const canonical = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"{I}:sub":"` + testSub + `","{I}:aud":"sts.amazonaws.com"}}}]}`
	// stmt wraps one statement's condition in an otherwise canonical policy.
	stmt := func(condition string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},
			"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + condition + `}}`
	}
	tests := []struct {
		name   string
		policy string
		mut    func(*WebIdentity)
		want   Decision
	}{
		{name: "the canonical EKS trust policy admits its service account", policy: canonical, want: Allowed},
		{name: "a single statement object instead of a list works", policy: stmt(`{"StringEquals":{"{I}:sub":"` + testSub + `"}}`), want: Allowed},
		{name: "Action as a list works", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Federated":["{P}"]},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"]}]}`, want: Allowed},
		{name: "sts:* covers the action", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:*"}}`, want: Allowed},
		{name: "* covers the action", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"*"}}`, want: Allowed},
		{name: "actions match case-insensitively", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"STS:assumerolewithwebidentity"}}`, want: Allowed},
		{name: "sts:AssumeRole alone does not cover web identity", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRole"}}`, want: ImplicitDeny},
		{name: "sts:AssumeRole* covers web identity too", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRole*"}}`, want: Allowed},
		{name: "NotAction excluding another action allows", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"NotAction":"sts:AssumeRole"}}`, want: Allowed},
		{name: "NotAction excluding the action refuses", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"NotAction":"sts:AssumeRoleWith*"}}`, want: ImplicitDeny},
		{name: "Federated as a list including the provider works", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":["arn:aws:iam::111122223333:oidc-provider/other.example.com","{P}"]},"Action":"sts:AssumeRoleWithWebIdentity"}}`, want: Allowed},
		{name: "another cluster's provider does not admit this token", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, want: ImplicitDeny},
		{name: "the provider in another account does not admit this token", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::999999999999:oidc-provider/{I}"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, want: ImplicitDeny},
		{name: "Principal * admits the provider", policy: `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}}`, want: Allowed},
		{name: "Principal AWS * admits the provider", policy: `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, want: Allowed},
		{name: "a Service principal does not admit a federated caller", policy: `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, want: ImplicitDeny},
		{name: "StringEquals on another namespace refuses", policy: stmt(`{"StringEquals":{"{I}:sub":"system:serviceaccount:default:litmus-admin"}}`), want: ImplicitDeny},
		{name: "StringEquals with a wildcard is literal and refuses", policy: stmt(`{"StringEquals":{"{I}:sub":"system:serviceaccount:litmus:*"}}`), want: ImplicitDeny},
		{name: "StringLike with a wildcard admits", policy: stmt(`{"StringLike":{"{I}:sub":"system:serviceaccount:litmus:*"}}`), want: Allowed},
		{name: "StringLike with ? admits one character", policy: stmt(`{"StringLike":{"{I}:sub":"system:serviceaccount:litmus:litmus-admi?"}}`), want: Allowed},
		{name: "StringLike without wildcards is literal", policy: stmt(`{"StringLike":{"{I}:sub":"system:serviceaccount:litmus"}}`), want: ImplicitDeny},
		{name: "StringLike on another namespace refuses", policy: stmt(`{"StringLike":{"{I}:sub":"system:serviceaccount:kube-system:*"}}`), want: ImplicitDeny},
		{name: "no sub condition admits every service account", policy: stmt(`{"StringEquals":{"{I}:aud":"sts.amazonaws.com"}}`), mut: func(w *WebIdentity) { w.Subject = "system:serviceaccount:other:whoever" }, want: Allowed},
		{name: "no Condition at all admits every service account", policy: `{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, mut: func(w *WebIdentity) { w.Subject = "system:serviceaccount:x:y" }, want: Allowed},
		{name: "condition keys match case-insensitively", policy: stmt(`{"StringEquals":{"OIDC.EKS.US-EAST-1.AMAZONAWS.COM/ID/ABC123:SUB":"` + testSub + `"}}`), want: Allowed},
		{name: "condition values are case-sensitive", policy: stmt(`{"StringEquals":{"{I}:sub":"system:serviceaccount:Litmus:litmus-admin"}}`), want: ImplicitDeny},
		{name: "StringEqualsIgnoreCase ignores case", policy: stmt(`{"StringEqualsIgnoreCase":{"{I}:sub":"SYSTEM:serviceaccount:LITMUS:litmus-admin"}}`), want: Allowed},
		{name: "StringNotEquals another subject admits", policy: stmt(`{"StringNotEquals":{"{I}:sub":"system:serviceaccount:default:default"}}`), want: Allowed},
		{name: "StringNotEquals this subject refuses", policy: stmt(`{"StringNotEquals":{"{I}:sub":"` + testSub + `"}}`), want: ImplicitDeny},
		{name: "StringNotEqualsIgnoreCase this subject in capitals refuses", policy: stmt(`{"StringNotEqualsIgnoreCase":{"{I}:sub":"` + strings.ToUpper(testSub) + `"}}`), want: ImplicitDeny},
		{name: "StringNotLike another namespace admits", policy: stmt(`{"StringNotLike":{"{I}:sub":"system:serviceaccount:kube-system:*"}}`), want: Allowed},
		{name: "StringNotLike this namespace refuses", policy: stmt(`{"StringNotLike":{"{I}:sub":"system:serviceaccount:litmus:*"}}`), want: ImplicitDeny},
		{name: "several values under one key are ORed", policy: stmt(`{"StringEquals":{"{I}:sub":["system:serviceaccount:a:b","` + testSub + `"]}}`), want: Allowed},
		{name: "several values under a negated operator are NORed", policy: stmt(`{"StringNotEquals":{"{I}:sub":["system:serviceaccount:a:b","` + testSub + `"]}}`), want: ImplicitDeny},
		{name: "several keys under one operator are ANDed", policy: stmt(`{"StringEquals":{"{I}:sub":"` + testSub + `","{I}:aud":"other-audience"}}`), want: ImplicitDeny},
		{name: "several operators are ANDed", policy: stmt(`{"StringEquals":{"{I}:aud":"sts.amazonaws.com"},"StringLike":{"{I}:sub":"system:serviceaccount:other:*"}}`), want: ImplicitDeny},
		{name: "a matching Deny beats an Allow", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","Principal":{"Federated":"{P}"},"Action":"sts:*","Condition":{"StringLike":{"{I}:sub":"system:serviceaccount:litmus:*"}}}]}`, want: ExplicitDeny},
		{name: "a Deny for another service account does not apply", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringEquals":{"{I}:sub":"system:serviceaccount:default:default"}}}]}`, want: Allowed},
		{name: "a Deny alone is an explicit deny", policy: `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*"}}`, want: ExplicitDeny},
		{name: "the second of several Allow statements can admit", policy: `{"Statement":[` +
			`{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"{I}:sub":"system:serviceaccount:a:b"}}},` +
			`{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"{I}:sub":"` + testSub + `"}}}]}`, want: Allowed},
		{name: "ForAnyValue:StringEquals over token audiences admits", policy: stmt(`{"ForAnyValue:StringEquals":{"{I}:oaud":["x","sts.amazonaws.com"]}}`), mut: func(w *WebIdentity) { w.TokenAudiences = []string{"sts.amazonaws.com", "other"} }, want: Allowed},
		{name: "ForAllValues:StringEquals refuses an unlisted token audience", policy: stmt(`{"ForAllValues:StringEquals":{"{I}:oaud":"sts.amazonaws.com"}}`), mut: func(w *WebIdentity) { w.TokenAudiences = []string{"sts.amazonaws.com", "other"} }, want: ImplicitDeny},
		{name: "ForAllValues:StringLike admits when every audience matches", policy: stmt(`{"ForAllValues:StringLike":{"{I}:oaud":"*.amazonaws.com"}}`), mut: func(w *WebIdentity) { w.TokenAudiences = []string{"sts.amazonaws.com", "s3.amazonaws.com"} }, want: Allowed},
		{name: "ForAllValues on an absent key is vacuously true", policy: stmt(`{"ForAllValues:StringEquals":{"{I}:amr":"mfa"}}`), want: Allowed},
		{name: "ForAnyValue on an absent key is false", policy: stmt(`{"ForAnyValue:StringEquals":{"{I}:amr":"mfa"}}`), want: ImplicitDeny},
		{name: "ForAnyValue:StringLike over amr admits", policy: stmt(`{"ForAnyValue:StringLike":{"{I}:amr":"mf?"}}`), mut: func(w *WebIdentity) { w.AMR = []string{"pwd", "mfa"} }, want: Allowed},
		{name: "ForAnyValue:StringNotEquals holds when some value differs", policy: stmt(`{"ForAnyValue:StringNotEquals":{"{I}:amr":"pwd"}}`), mut: func(w *WebIdentity) { w.AMR = []string{"pwd", "mfa"} }, want: Allowed},
		{name: "ForAllValues:StringNotEquals fails when one value is listed", policy: stmt(`{"ForAllValues:StringNotEquals":{"{I}:amr":"pwd"}}`), mut: func(w *WebIdentity) { w.AMR = []string{"pwd", "mfa"} }, want: ImplicitDeny},
		{name: "StringEquals on an absent key refuses", policy: stmt(`{"StringEquals":{"{I}:amr":"mfa"}}`), want: ImplicitDeny},
		{name: "StringEqualsIfExists on an absent key admits", policy: stmt(`{"StringEqualsIfExists":{"{I}:amr":"mfa"}}`), want: Allowed},
		{name: "StringEqualsIfExists on a present key still tests it", policy: stmt(`{"StringEqualsIfExists":{"{I}:sub":"system:serviceaccount:a:b"}}`), want: ImplicitDeny},
		{name: "ForAnyValue:StringEqualsIfExists on an absent key admits", policy: stmt(`{"ForAnyValue:StringEqualsIfExists":{"{I}:amr":"mfa"}}`), want: Allowed},
		{name: "StringNotEquals on an absent key admits", policy: stmt(`{"StringNotEquals":{"{I}:amr":"mfa"}}`), want: Allowed},
		{name: "Null true on an absent key admits", policy: stmt(`{"Null":{"{I}:amr":"true"}}`), want: Allowed},
		{name: "Null true on a present key refuses", policy: stmt(`{"Null":{"{I}:sub":"true"}}`), want: ImplicitDeny},
		{name: "Null false on a present key admits", policy: stmt(`{"Null":{"{I}:sub":false}}`), want: Allowed},
		{name: "Bool on an absent key refuses", policy: stmt(`{"Bool":{"{I}:email_verified":true}}`), want: ImplicitDeny},
		{name: "BoolIfExists on an absent key admits", policy: stmt(`{"BoolIfExists":{"{I}:email_verified":true}}`), want: Allowed},
		{name: "a condition key of another issuer is absent and refuses", policy: stmt(`{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/OTHER:sub":"` + testSub + `"}}`), want: ImplicitDeny},
		{name: "aws:FederatedProvider is in the context", policy: stmt(`{"StringEquals":{"aws:FederatedProvider":"{P}"}}`), want: Allowed},
		{name: "aws-cn provider ARN admits an aws-cn token", policy: strings.ReplaceAll(canonical, "{P}", testProvider("aws-cn")), mut: func(w *WebIdentity) { w.ProviderARN = testProvider("aws-cn") }, want: Allowed},
		{name: "aws-us-gov provider ARN admits an aws-us-gov token", policy: strings.ReplaceAll(canonical, "{P}", testProvider("aws-us-gov")), mut: func(w *WebIdentity) { w.ProviderARN = testProvider("aws-us-gov") }, want: Allowed},
		{name: "an aws provider ARN does not admit an aws-cn caller", policy: canonical, mut: func(w *WebIdentity) { w.ProviderARN = testProvider("aws-cn") }, want: ImplicitDeny},
		{name: "a URL-encoded policy as IAM returns it evaluates the same", policy: url.PathEscape(trust(canonical)), want: Allowed},
		{name: "the wrong audience refuses", policy: canonical, mut: func(w *WebIdentity) { w.Audience = "kubernetes.default.svc" }, want: ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(trust(tt.policy)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			w := testIdentity()
			if tt.mut != nil {
				tt.mut(&w)
			}
			got := EvaluateWebIdentity(p, w)
			if got.Decision != tt.want {
				t.Fatalf("decision = %s, want %s", got.Decision, tt.want)
			}
			if tt.want != ImplicitDeny && len(got.Matched) == 0 {
				t.Fatalf("decision %s names no statement", got.Decision)
			}
		})
	}
	if len(tests) < 30 {
		t.Fatalf("only %d cases", len(tests))
	}
}

func TestIssuerHostPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://oidc.eks.eu-west-1.amazonaws.com/id/X":  "oidc.eks.eu-west-1.amazonaws.com/id/X",
		"https://oidc.eks.eu-west-1.amazonaws.com/id/X/": "oidc.eks.eu-west-1.amazonaws.com/id/X",
		"oidc.example.com": "oidc.example.com",
	} {
		if got := IssuerHostPath(in); got != want {
			t.Errorf("IssuerHostPath(%q) = %q, want %q", in, got, want)
		}
	}
	w := WebIdentity{ProviderARN: OIDCProviderARN("aws-us-gov", "123456789012", "https://a.example/id/1")}
	if got := w.IssuerKey(); got != "a.example/id/1" {
		t.Errorf("IssuerKey = %q", got)
	}
}
