package stsfront

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const (
	inlineChaos = `{"Version":"2012-10-17","Statement":[
		{"Sid":"StopStart","Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances"],"Resource":"*"},
		{"Sid":"Describe","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`
	managedGuard = `{"Version":"2012-10-17","Statement":[
		{"Sid":"NoTerminate","Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"},
		{"Sid":"NoProd","Effect":"Deny","Action":"ec2:StopInstances","Resource":"arn:aws:ec2:*:*:instance/i-prod*"},
		{"Sid":"Ssm","Effect":"Allow","Action":"ssm:SendCommand","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
)

// chaosRole creates a role with an inline and an attached managed policy.
func (e *env) chaosRole() string {
	e.t.Helper()
	roleARN := e.role("chaos-ec2", canonicalTrust)
	ctx := e.ctx()
	if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String("chaos-ec2"), PolicyName: aws.String("ec2-chaos"), PolicyDocument: aws.String(inlineChaos),
	}); err != nil {
		e.t.Fatal(err)
	}
	pol, err := e.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("chaos-guard"), PolicyDocument: aws.String(managedGuard)})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("chaos-ec2"), PolicyArn: pol.Policy.Arn}); err != nil {
		e.t.Fatal(err)
	}
	return roleARN
}

func TestSimulatePrincipalPolicyThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	roleARN := e.chaosRole()
	e.front.ResetCalls()
	out, err := e.iam.SimulatePrincipalPolicy(e.ctx(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(roleARN),
		ActionNames:     []string{"ec2:StopInstances", "ec2:DescribeInstances", "ec2:TerminateInstances", "iam:CreateUser", "ssm:SendCommand"},
	})
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	if out.IsTruncated {
		t.Error("IsTruncated = true")
	}
	type want struct {
		decision types.PolicyEvaluationDecisionType
		matched  []string // SourcePolicyId/SourcePolicyType
		missing  []string
	}
	wants := map[string]want{
		"ec2:StopInstances":      {types.PolicyEvaluationDecisionTypeAllowed, []string{"ec2-chaos/role"}, nil},
		"ec2:DescribeInstances":  {types.PolicyEvaluationDecisionTypeAllowed, []string{"ec2-chaos/role"}, nil},
		"ec2:TerminateInstances": {types.PolicyEvaluationDecisionTypeExplicitDeny, []string{"chaos-guard/user-managed"}, nil},
		"iam:CreateUser":         {types.PolicyEvaluationDecisionTypeImplicitDeny, nil, nil},
		"ssm:SendCommand":        {types.PolicyEvaluationDecisionTypeImplicitDeny, nil, []string{"aws:RequestedRegion"}},
	}
	if len(out.EvaluationResults) != len(wants) {
		t.Fatalf("%d results, want %d", len(out.EvaluationResults), len(wants))
	}
	for _, r := range out.EvaluationResults {
		action := aws.ToString(r.EvalActionName)
		w := wants[action]
		if r.EvalDecision != w.decision {
			t.Errorf("%s: decision %s, want %s", action, r.EvalDecision, w.decision)
		}
		var matched []string
		for _, s := range r.MatchedStatements {
			matched = append(matched, aws.ToString(s.SourcePolicyId)+"/"+string(s.SourcePolicyType))
		}
		if !slices.Equal(matched, w.matched) {
			t.Errorf("%s: matched %v, want %v", action, matched, w.matched)
		}
		if !slices.Equal(r.MissingContextValues, w.missing) {
			t.Errorf("%s: missing %v, want %v", action, r.MissingContextValues, w.missing)
		}
		if aws.ToString(r.EvalResourceName) != "*" || len(r.ResourceSpecificResults) != 0 {
			t.Errorf("%s: resource %q, %d resource results", action, aws.ToString(r.EvalResourceName), len(r.ResourceSpecificResults))
		}
	}
	if calls := e.front.Calls(); calls["iam:SimulatePrincipalPolicy"] != 1 || len(calls) != 1 {
		t.Errorf("calls = %v", calls)
	}
}

func TestSimulatePrincipalPolicyPerResourceAndContext(t *testing.T) {
	e := newEnv(t)
	roleARN := e.chaosRole()
	out, err := e.iam.SimulatePrincipalPolicy(e.ctx(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(roleARN),
		ActionNames:     []string{"ec2:StopInstances", "ssm:SendCommand"},
		ResourceArns: []string{
			"arn:aws:ec2:us-east-1:123456789012:instance/i-test1",
			"arn:aws:ec2:us-east-1:123456789012:instance/i-prod1",
		},
		ContextEntries: []types.ContextEntry{{
			ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyType: types.ContextKeyTypeEnumString,
			ContextKeyValues: []string{"us-east-1"},
		}},
	})
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	stop, ssm := out.EvaluationResults[0], out.EvaluationResults[1]
	if stop.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny {
		t.Errorf("StopInstances overall = %s, want explicitDeny (the prod instance)", stop.EvalDecision)
	}
	if len(stop.ResourceSpecificResults) != 2 ||
		stop.ResourceSpecificResults[0].EvalResourceDecision != types.PolicyEvaluationDecisionTypeAllowed ||
		stop.ResourceSpecificResults[1].EvalResourceDecision != types.PolicyEvaluationDecisionTypeExplicitDeny ||
		aws.ToString(stop.ResourceSpecificResults[1].EvalResourceName) != "arn:aws:ec2:us-east-1:123456789012:instance/i-prod1" {
		t.Errorf("StopInstances per resource = %+v", stop.ResourceSpecificResults)
	}
	if ssm.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed {
		t.Errorf("SendCommand with aws:RequestedRegion = %s, want allowed", ssm.EvalDecision)
	}
}

func TestSimulatePrincipalPolicyErrors(t *testing.T) {
	e := newEnv(t)
	_, err := e.iam.SimulatePrincipalPolicy(e.ctx(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + account + ":role/missing"), ActionNames: []string{"s3:GetObject"},
	})
	wantAPIError(t, err, "NoSuchEntity", "The role with name missing cannot be found.", http.StatusNotFound)
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("error %T is not *types.NoSuchEntityException", err)
	}
	_, err = e.iam.SimulatePrincipalPolicy(e.ctx(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + account + ":user/alice"), ActionNames: []string{"s3:GetObject"},
	})
	wantAPIError(t, err, "InvalidInput", "ARN arn:aws:iam::"+account+":user/alice is not valid.", http.StatusBadRequest)
}
