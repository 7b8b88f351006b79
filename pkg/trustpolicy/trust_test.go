package trustpolicy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/podiam"
)

func TestParsePolicyRejectsBrokenDocumentsClearly(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"empty", "", "empty"},
		{"not JSON", "Version: 2012", "does not start with '{'"},
		{"truncated", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`, "invalid JSON"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statement list", `{"Statement":[]}`, "Statement is empty"},
		{"lowercase element", `{"statement":[]}`, `unknown top-level element "statement"`},
		{"bad effect", `{"Statement":{"Effect":"allow","Action":"sts:*"}}`, `Effect must be "Allow" or "Deny"`},
		{"no effect", `{"Statement":{"Action":"sts:*"}}`, "has no Effect"},
		{"no action", `{"Statement":{"Effect":"Allow"}}`, "neither Action nor NotAction"},
		{"both actions", `{"Statement":{"Effect":"Allow","Action":"a:b","NotAction":"c:d"}}`, "both Action and NotAction"},
		{"action number", `{"Statement":{"Effect":"Allow","Action":7}}`, "must be a string or a list of strings"},
		{"principal string", `{"Statement":{"Effect":"Allow","Action":"a:b","Principal":"arn:aws:iam::1:root"}}`, `must be "*" or an object`},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"a:b","Condition":{"StringEq":{"k":"v"}}}}`, `unknown condition operator "StringEq"`},
		{"bad qualifier", `{"Statement":{"Effect":"Allow","Action":"a:b","Condition":{"ForSome:StringEquals":{"k":"v"}}}}`, "unknown set qualifier"},
		{"object condition value", `{"Statement":{"Effect":"Allow","Action":"a:b","Condition":{"StringEquals":{"k":{"x":1}}}}}`, "must be a string, boolean or number"},
		{"trailing garbage", `{"Statement":{"Effect":"Allow","Action":"a:b"}} x`, "invalid JSON"},
		{"bad URL encoding", "%7B%ZZ", "neither JSON nor URL-encoded JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy(c.doc)
			if err == nil || !errors.Is(err, ErrNotPolicy) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParsePolicy(%q) = %v, want an ErrNotPolicy saying %q", c.doc, err, c.want)
			}
		})
	}
}

func TestParsePolicyReadsConditionValuesOfEveryJSONType(t *testing.T) {
	p, err := ParsePolicy(`{"Statement":{"Effect":"Allow","Action":"a:b","Condition":{"Bool":{"aws:SecureTransport":true},` +
		`"NumericLessThan":{"s3:max-keys":[10, "20"]}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range p.Statements[0].Conditions {
		got[c.Key] = c.Values
	}
	if !slices.Equal(got["aws:SecureTransport"], []string{"true"}) || !slices.Equal(got["s3:max-keys"], []string{"10", "20"}) {
		t.Fatalf("values %v", got)
	}
}

func TestConditionOperatorsOutsideTrustPolicies(t *testing.T) {
	ctx := RequestContext{}
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:CurrentTime", "2026-11-26T10:00:00Z")
	ctx.Set("s3:max-keys", "15")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:SourceArn", "arn:aws:lambda:us-east-1:123456789012:function:chaos")
	ctx.Set("x:blob", "aGVsbG8=")
	cases := []struct {
		op, key string
		values  []string
		want    bool
	}{
		{"IpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, true},
		{"NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, false},
		{"IpAddress", "aws:SourceIp", []string{"10.1.2.3"}, true},
		{"DateGreaterThan", "aws:CurrentTime", []string{"2026-01-01"}, true},
		{"DateLessThan", "aws:CurrentTime", []string{"1700000000"}, false},
		{"NumericLessThanEquals", "s3:max-keys", []string{"15"}, true},
		{"NumericGreaterThan", "s3:max-keys", []string{"15"}, false},
		{"NumericNotEquals", "s3:max-keys", []string{"14", "16"}, true},
		{"Bool", "aws:SecureTransport", []string{"TRUE"}, true},
		{"ArnLike", "aws:SourceArn", []string{"arn:aws:lambda:*:123456789012:function:*"}, true},
		{"ArnNotEquals", "aws:SourceArn", []string{"arn:aws:lambda:*:*:function:chaos"}, false},
		{"BinaryEquals", "x:blob", []string{"aGVsbG8="}, true},
		{"NumericEquals", "s3:max-keys", []string{"not-a-number"}, false},
		{"StringNotLike", "absent:key", []string{"*"}, true},
		{"StringLike", "absent:key", []string{"*"}, false},
		{"ForAllValues:StringNotEquals", "absent:key", []string{"x"}, true},
	}
	for _, c := range cases {
		op, err := ParseConditionOperator(c.op)
		if err != nil {
			t.Fatal(err)
		}
		if got := (PolicyCondition{Operator: op, Key: c.key, Values: c.values}).Holds(ctx); got != c.want {
			t.Errorf("%s %s %v = %v, want %v", c.op, c.key, c.values, got, c.want)
		}
	}
}

func TestMultiValuedKeysUnderEachQualifier(t *testing.T) {
	ctx := RequestContext{}
	ctx.Set("k:tags", "a", "b")
	cases := []struct {
		op     string
		values []string
		want   bool
	}{
		{"ForAnyValue:StringEquals", []string{"b", "z"}, true},
		{"ForAnyValue:StringEquals", []string{"z"}, false},
		{"ForAllValues:StringEquals", []string{"a", "b", "c"}, true},
		{"ForAllValues:StringEquals", []string{"a"}, false},
		{"ForAnyValue:StringNotEquals", []string{"a"}, true},
		{"ForAllValues:StringNotEquals", []string{"a"}, false},
		{"ForAllValues:StringNotLike", []string{"x*"}, true},
		{"StringEquals", []string{"b"}, true},
		{"StringNotEquals", []string{"b"}, false},
	}
	for _, c := range cases {
		op, err := ParseConditionOperator(c.op)
		if err != nil {
			t.Fatal(err)
		}
		if got := (PolicyCondition{Operator: op, Key: "K:Tags", Values: c.values}).Holds(ctx); got != c.want {
			t.Errorf("%s %v on [a b] = %v, want %v", c.op, c.values, got, c.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"system:serviceaccount:litmus:*", "system:serviceaccount:litmus:a/b", false, true},
		{"chaos-?", "chaos-é", false, true},
		{"chaos-?", "chaos-", false, false},
		{"STS:Assume*", "sts:assumerolewithwebidentity", true, true},
		{"STS:Assume*", "sts:assumerolewithwebidentity", false, false},
		{"a**", "a", false, true},
		{"*a*a*a*a*a*a*a*b", strings.Repeat("a", 200), false, false},
	}
	for _, c := range cases {
		if got := WildcardMatch(c.pattern, c.s, c.fold); got != c.want {
			t.Errorf("WildcardMatch(%q, %q, %v) = %v, want %v", c.pattern, c.s, c.fold, got, c.want)
		}
	}
}

func TestCorrectIssuerHost(t *testing.T) {
	for in, want := range map[string]string{
		"oidc.us-east-1.eks.amazonaws.com/id/ABC":         "oidc.eks.us-east-1.amazonaws.com/id/ABC",
		"oidc.cn-north-1.eks.amazonaws.com.cn/id/ABC":     "oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC",
		"oidc.us-gov-west-1.eks.amazonaws.com/id/ABC":     "oidc.eks.us-gov-west-1.amazonaws.com/id/ABC",
		"oidc.eks.us-east-1.amazonaws.com/id/ABC":         "",
		"token.actions.githubusercontent.com":             "",
		"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub/ext": "",
	} {
		got, wrong := CorrectIssuerHost(in)
		if (want == "") == wrong || (wrong && got != want) {
			t.Errorf("CorrectIssuerHost(%q) = %q, %v; want %q", in, got, wrong, want)
		}
	}
}

func TestLintMessagesNameTheFix(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/` + corpusSwapped + `"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + corpusSwapped + `:sub":"system:serviceaccount:litmus:*"}}}}`
	p, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range LintTrust(p, podiam.RoleARN{Partition: "aws", Account: corpusAccount}, "https://"+corpusHost) {
		msgs = append(msgs, f.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"arn:aws:iam::123456789012:oidc-provider/" + corpusHost, "StringLike", LintWildcardWithoutLike} {
		if !strings.Contains(all, want) {
			t.Errorf("lint messages lack %q:\n%s", want, all)
		}
	}
}
