package iampolicy

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "", false, true},
		{"*", "anything:at/all", false, true},
		{"a*", "a", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a?c", "aéc", false, true},
		{"*:sub", "x:y:sub", false, true},
		{"system:serviceaccount:*:litmus-admin", "system:serviceaccount:litmus:litmus-admin", false, true},
		{"system:serviceaccount:litmus:*", "system:serviceaccount:other:litmus", false, false},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
		{"**", "x", false, true},
		{"ABC", "abc", false, false},
		{"ABC", "abc", true, true},
		{"sts:Assume*", "STS:ASSUMEROLE", true, true},
		{"", "", false, true},
		{"", "x", false, false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 200), false, false},
	}
	for _, tt := range tests {
		if got := Glob(tt.pattern, tt.s, tt.fold); got != tt.want {
			t.Errorf("Glob(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.fold, got, tt.want)
		}
	}
}

func TestConditionHolds(t *testing.T) {
	ctx := Context{}
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:MultiFactorAuthAge", "300")
	ctx.Set("aws:CurrentTime", "2026-11-26T12:00:00Z")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::111122223333:role/chaos/litmus")
	ctx.Set("s3:Blob", "aGVsbG8=")
	ctx.Set("aws:TagKeys", "team", "env")
	tests := []struct {
		op, key string
		values  []string
		want    bool
	}{
		{"IpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, true},
		{"IpAddress", "aws:SourceIp", []string{"192.168.0.0/16", "10.1.2.3"}, true},
		{"NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, false},
		{"IpAddress", "aws:SourceIp", []string{"not-an-ip"}, false},
		{"NumericLessThan", "aws:MultiFactorAuthAge", []string{"3600"}, true},
		{"NumericGreaterThanEquals", "aws:MultiFactorAuthAge", []string{"300"}, true},
		{"NumericEquals", "aws:MultiFactorAuthAge", []string{"300.0"}, true},
		{"NumericNotEquals", "aws:MultiFactorAuthAge", []string{"300"}, false},
		{"NumericGreaterThan", "aws:MultiFactorAuthAge", []string{"abc"}, false},
		{"DateLessThan", "aws:CurrentTime", []string{"2027-01-01T00:00:00Z"}, true},
		{"DateGreaterThan", "aws:CurrentTime", []string{"2027-01-01"}, false},
		{"DateGreaterThanEquals", "aws:CurrentTime", []string{"1700000000"}, true},
		{"DateEquals", "aws:CurrentTime", []string{"2026-11-26T13:00:00+01:00"}, true},
		{"Bool", "aws:SecureTransport", []string{"TRUE"}, true},
		{"Bool", "aws:SecureTransport", []string{"false"}, false},
		{"BinaryEquals", "s3:Blob", []string{"aGVsbG8="}, true},
		{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/chaos/*"}, true},
		{"ArnEquals", "aws:PrincipalArn", []string{"arn:aws:iam::111122223333:role/chaos/litmus"}, true},
		{"ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/chaos/*"}, false},
		{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::111122223333"}, false},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team", "env", "owner"}, true},
		{"ForAllValues:StringEquals", "aws:TagKeys", []string{"team"}, false},
		{"ForAnyValue:StringEquals", "aws:TagKeys", []string{"env"}, true},
		{"StringEquals", "aws:TagKeys", []string{"env"}, true},
		{"StringNotEquals", "aws:TagKeys", []string{"env"}, false},
		{"Null", "aws:TagKeys", []string{"false"}, true},
		{"Null", "aws:Absent", []string{"true"}, true},
		{"Null", "aws:Absent", []string{"false"}, false},
		{"NumericLessThanIfExists", "aws:Absent", []string{"1"}, true},
		{"ForAllValues:StringNotLike", "aws:TagKeys", []string{"x*"}, true},
		{"ArnNotEquals", "aws:Absent", []string{"arn:aws:iam::1:role/x"}, true},
	}
	for _, tt := range tests {
		op, err := parseOperator(tt.op)
		if err != nil {
			t.Fatal(err)
		}
		c := Condition{Operator: op, Key: tt.key, Values: tt.values}
		if got := c.Holds(ctx); got != tt.want {
			t.Errorf("%s %s %q = %v, want %v", tt.op, tt.key, tt.values, got, tt.want)
		}
	}
}

func TestContextKeysAreCaseInsensitive(t *testing.T) {
	ctx := Context{}
	ctx.Set("Issuer.Example/ID:Sub", "v")
	if v, ok := ctx.Get("issuer.example/id:sub"); !ok || v[0] != "v" {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	ctx.Set("empty")
	if _, ok := ctx.Get("EMPTY"); ok {
		t.Fatal("a key without values must be absent")
	}
}
