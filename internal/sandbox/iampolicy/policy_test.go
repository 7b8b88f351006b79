package iampolicy

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseShapes(t *testing.T) {
	doc := `{"Version":"2012-10-17","Id":"x","Statement":[
		{"Sid":"A","Effect":"Allow","Principal":{"Federated":["f1","f2"],"AWS":"arn:aws:iam::1:root","Service":"ec2.amazonaws.com"},
		 "Action":["sts:AssumeRoleWithWebIdentity"],"Condition":{"StringEquals":{"k":"v"},"NumericLessThan":{"n":[1,2.5]},"Bool":{"b":true}}},
		{"Effect":"deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b/*"]}]}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "2012-10-17" || p.ID != "x" || len(p.Statements) != 2 {
		t.Fatalf("policy = %+v", p)
	}
	s0, s1 := p.Statements[0], p.Statements[1]
	if s0.Sid != "A" || s0.Effect != EffectAllow || s0.Index != 0 {
		t.Errorf("statement 0 = %+v", s0)
	}
	if !reflect.DeepEqual(s0.Principal.Federated, Values{"f1", "f2"}) || !reflect.DeepEqual(s0.Principal.AWS, Values{"arn:aws:iam::1:root"}) {
		t.Errorf("principal = %+v", s0.Principal)
	}
	var got []string
	for _, c := range s0.Conditions {
		got = append(got, c.Operator.Base+" "+c.Key+"="+strings.Join(c.Values, ","))
	}
	want := []string{"Bool b=true", "NumericLessThan n=1,2.5", "StringEquals k=v"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conditions = %q, want %q", got, want)
	}
	if s1.Effect != EffectDeny || s1.Index != 1 || s1.Action != nil || !reflect.DeepEqual(s1.NotAction, Values{"s3:*"}) || s1.Principal != nil {
		t.Errorf("statement 1 = %+v", s1)
	}
}

func TestParseURLEncoded(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}}`
	p, err := Parse([]byte(url.PathEscape(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Statements[0].Resource[0]; got != "arn:aws:s3:::a+b/*" {
		t.Errorf("resource = %q", got)
	}
	// IAM's encoding (Python's urllib.parse.quote) leaves '/' alone and writes '+' as %2B.
	p, err = Parse([]byte(`%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aa%2Bb/%2A%22%7D%7D`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Statements[0].Resource[0]; got != "arn:aws:s3:::a+b/*" {
		t.Errorf("resource = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty input", ``, "empty"},
		{"not JSON", `hello`, "not valid JSON"},
		{"truncated JSON", `{"Statement":[{"Effect":"Allow"`, "not valid JSON"},
		{"bad URL encoding", `%7B%zz`, "URL-encoded"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*"}} {}`, "after its closing brace"},
		{"no Statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"null Statement", `{"Statement":null}`, "no Statement"},
		{"Statement is a string", `{"Statement":"x"}`, "statement list"},
		{"bad Effect", `{"Statement":{"Effect":"Maybe","Action":"*"}}`, "Effect must be Allow or Deny"},
		{"no Action", `{"Statement":{"Effect":"Allow"}}`, "neither Action nor NotAction"},
		{"Action and NotAction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*"}}`, "both Action and NotAction"},
		{"Resource and NotResource", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "both Resource and NotResource"},
		{"Action is a number", `{"Statement":{"Effect":"Allow","Action":42}}`, "string or a list of strings"},
		{"Action is null", `{"Statement":{"Effect":"Allow","Action":null}}`, "null is not"},
		{"string principal other than *", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"me"}}`, "must be \"*\""},
		{"unknown principal type", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Robot":"r"}}}`, "unknown principal type"},
		{"Principal and NotPrincipal", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}}`, "both Principal and NotPrincipal"},
		{"unknown operator", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringSortOf":{"k":"v"}}}}`, "unknown condition operator"},
		{"unknown qualifier", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForSomeValues:StringEquals":{"k":"v"}}}}`, "unknown condition qualifier"},
		{"Null with IfExists", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NullIfExists":{"k":"true"}}}}`, "Null takes neither"},
		{"operator without keys", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{}}}}`, "has no keys"},
		{"condition value is an object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`, "want a string, boolean or number"},
		{"condition value is null", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":null}}}}`, "want a string, boolean or number"},
		{"too large", `{"Statement":"` + strings.Repeat("x", maxDocument) + `"}`, "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in       string
		base     string
		q        Qualifier
		ifExists bool
		negated  bool
	}{
		{"StringEquals", "StringEquals", QualifierNone, false, false},
		{"stringlike", "StringLike", QualifierNone, false, false},
		{"ForAnyValue:StringNotLikeIfExists", "StringNotLike", QualifierForAnyValue, true, true},
		{"ForAllValues:ArnLike", "ArnLike", QualifierForAllValues, false, false},
		{"NotIpAddress", "NotIpAddress", QualifierNone, false, true},
		{"BoolIfExists", "Bool", QualifierNone, true, false},
	}
	for _, tt := range tests {
		op, err := parseOperator(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if op.Base != tt.base || op.Qualifier != tt.q || op.IfExists != tt.ifExists || op.Negated() != tt.negated || op.Name != tt.in {
			t.Errorf("%s: got %+v negated=%v", tt.in, op, op.Negated())
		}
	}
}
