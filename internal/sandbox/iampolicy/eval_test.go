package iampolicy

import (
	"reflect"
	"testing"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestEvaluateIdentityPolicies(t *testing.T) {
	inline := Source{ID: "chaos-inline", Type: "role", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Ec2","Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances","ec2:Describe*"],"Resource":"*"},
		{"Sid":"NoProd","Effect":"Deny","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/i-prod*"}]}`)}
	managed := Source{ID: "EBSChaos", Type: "user-managed", Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ec2:DetachVolume","Resource":"arn:aws:ec2:us-east-1:111122223333:volume/*"},
		{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"NotResource":"arn:aws:s3:::secret*"},
		{"Effect":"Allow","Action":"ssm:SendCommand","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)}
	sources := []Source{inline, managed}
	tests := []struct {
		name, action, resource string
		ctx                    Context
		want                   Decision
		wantIDs                []string
		wantMissing            []string
	}{
		{name: "an allowed action on every resource", action: "ec2:StopInstances", want: Allowed, wantIDs: []string{"chaos-inline#0", "EBSChaos#1"}},
		{name: "actions match case-insensitively", action: "EC2:describeinstances", want: Allowed, wantIDs: []string{"chaos-inline#0", "EBSChaos#1"}},
		{name: "a Deny on the resource wins", action: "ec2:StopInstances", resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-prod1", want: ExplicitDeny, wantIDs: []string{"chaos-inline#1"}},
		{name: "the Deny does not cover other instances", action: "ec2:StopInstances", resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-test1", want: Allowed, wantIDs: []string{"chaos-inline#0", "EBSChaos#1"}},
		{name: "a resource pattern allows a matching ARN", action: "ec2:DetachVolume", resource: "arn:aws:ec2:us-east-1:111122223333:volume/vol-1", want: Allowed, wantIDs: []string{"EBSChaos#0", "EBSChaos#1"}},
		{name: "NotAction leaves iam actions implicitly denied", action: "iam:PassRole", want: ImplicitDeny},
		{name: "NotResource leaves the excluded resource denied", action: "s3:GetObject", resource: "arn:aws:s3:::secret-bucket/k", want: ImplicitDeny},
		{name: "resources are case-sensitive", action: "s3:GetObject", resource: "arn:aws:s3:::Secret-bucket/k", want: Allowed, wantIDs: []string{"EBSChaos#1"}},
		{name: "a condition on an absent key is reported missing", action: "iam:CreateRole", want: ImplicitDeny},
		{name: "a condition key the context lacks is listed as missing", action: "ssm:SendCommand", want: Allowed, wantIDs: []string{"EBSChaos#1"}, wantMissing: []string{"aws:RequestedRegion"}},
		{name: "a condition satisfied by the context allows", action: "ssm:SendCommand", ctx: Context{"aws:requestedregion": {"us-east-1"}}, want: Allowed, wantIDs: []string{"EBSChaos#1", "EBSChaos#2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(sources, Request{Action: tt.action, Resource: tt.resource, Context: tt.ctx})
			if got.Decision != tt.want {
				t.Fatalf("decision = %s, want %s", got.Decision, tt.want)
			}
			var ids []string
			for _, m := range got.Matched {
				ids = append(ids, m.SourceID+"#"+string(rune('0'+m.Statement.Index)))
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) {
				t.Errorf("matched = %v, want %v", ids, tt.wantIDs)
			}
			if !reflect.DeepEqual(got.MissingKeys, tt.wantMissing) {
				t.Errorf("missing = %v, want %v", got.MissingKeys, tt.wantMissing)
			}
		})
	}
}

func TestEvaluateWithoutPoliciesIsImplicitDeny(t *testing.T) {
	if got := Evaluate(nil, Request{Action: "s3:GetObject"}); got.Decision != ImplicitDeny {
		t.Fatalf("decision = %s", got.Decision)
	}
	if got := Evaluate([]Source{{ID: "nil"}}, Request{Action: "s3:GetObject"}); got.Decision != ImplicitDeny {
		t.Fatalf("decision = %s", got.Decision)
	}
}

func TestNotPrincipal(t *testing.T) {
	p := mustParse(t, `{"Statement":{"Effect":"Allow","NotPrincipal":{"Federated":"arn:aws:iam::1:oidc-provider/a"},"Action":"sts:*"}}`)
	for id, want := range map[string]Decision{
		"arn:aws:iam::1:oidc-provider/a": ImplicitDeny,
		"arn:aws:iam::1:oidc-provider/b": Allowed,
	} {
		got := p.Evaluate(WebIdentity{ProviderARN: id}.Request())
		if got.Decision != want {
			t.Errorf("%s: %s, want %s", id, got.Decision, want)
		}
	}
	noPrincipal := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"sts:*"}}`)
	if got := noPrincipal.Evaluate(WebIdentity{ProviderARN: "arn:aws:iam::1:oidc-provider/a"}.Request()); got.Decision != ImplicitDeny {
		t.Errorf("a trust statement without Principal admitted a caller")
	}
}
