package iampolicy

import (
	"fmt"
	"testing"
)

var sprintf = fmt.Sprintf

func testPodIdentity() PodIdentity {
	return PodIdentity{
		Account: testAccount, ClusterARN: "arn:aws:eks:us-east-1:" + testAccount + ":cluster/sandbox", ClusterName: "sandbox",
		Namespace: "litmus", ServiceAccount: "litmus-admin", PodName: "p", PodUID: "u",
	}
}

func TestEvaluatePodIdentity(t *testing.T) {
	const both = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},
		"Action":["sts:AssumeRole","sts:TagSession"]%s}]}`
	cond := func(c string) string { return `,"Condition":` + c }
	tests := []struct {
		name   string
		policy string
		mut    func(*PodIdentity)
		denied string
	}{
		{name: "the documented Pod Identity trust policy admits the exchange", policy: sprintf(both, "")},
		{name: "sts:TagSession missing refuses the exchange", denied: "sts:TagSession",
			policy: `{"Statement":{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`},
		{name: "without session tags sts:AssumeRole alone is enough", mut: func(p *PodIdentity) { p.DisableSessionTags = true },
			policy: `{"Statement":{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`},
		{name: "another service principal refuses", denied: "sts:AssumeRole",
			policy: `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}}`},
		{name: "a web identity trust does not admit Pod Identity", denied: "sts:AssumeRole",
			policy: trust(`{"Statement":{"Effect":"Allow","Principal":{"Federated":"{P}"},"Action":"sts:AssumeRoleWithWebIdentity"}}`)},
		{name: "a namespace tag condition admits its namespace",
			policy: sprintf(both, cond(`{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"litmus"}}`))},
		{name: "a namespace tag condition refuses another namespace", denied: "sts:AssumeRole",
			mut:    func(p *PodIdentity) { p.Namespace = "other" },
			policy: sprintf(both, cond(`{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"litmus"}}`))},
		{name: "a service-account tag condition with StringLike globs",
			policy: sprintf(both, cond(`{"StringLike":{"aws:RequestTag/kubernetes-service-account":"litmus-*"}}`))},
		{name: "aws:SourceAccount must be the cluster's account", denied: "sts:AssumeRole",
			policy: sprintf(both, cond(`{"StringEquals":{"aws:SourceAccount":"999999999999"}}`))},
		{name: "aws:SourceArn names the cluster",
			policy: sprintf(both, cond(`{"ArnEquals":{"aws:SourceArn":"arn:aws:eks:us-east-1:`+testAccount+`:cluster/sandbox"}}`))},
		{name: "a cluster-ARN tag of another cluster refuses", denied: "sts:AssumeRole",
			policy: sprintf(both, cond(`{"StringEquals":{"aws:RequestTag/eks-cluster-arn":"arn:aws:eks:us-east-1:`+testAccount+`:cluster/other"}}`))},
		{name: "a Deny on sts:TagSession wins", denied: "sts:TagSession",
			policy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
				{"Effect":"Deny","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:TagSession"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPodIdentity()
			if tt.mut != nil {
				tt.mut(&p)
			}
			got := EvaluatePodIdentity(mustParse(t, tt.policy), p)
			if got.Denied != tt.denied {
				t.Fatalf("denied %q, want %q (%+v)", got.Denied, tt.denied, got.ByAction)
			}
			if got.Allowed() != (tt.denied == "") {
				t.Fatalf("Allowed() = %v with denied %q", got.Allowed(), got.Denied)
			}
		})
	}
}

func TestPodIdentityContextCarriesSessionTags(t *testing.T) {
	ctx := testPodIdentity().Context()
	for key, want := range map[string]string{
		"aws:RequestTag/kubernetes-namespace":       "litmus",
		"aws:RequestTag/kubernetes-service-account": "litmus-admin",
		"aws:RequestTag/eks-cluster-name":           "sandbox",
		"aws:SourceAccount":                         testAccount,
	} {
		if got, ok := ctx.Get(key); !ok || got[0] != want {
			t.Errorf("%s = %v, want %s", key, got, want)
		}
	}
	if keys, _ := ctx.Get("aws:TagKeys"); len(keys) != 6 {
		t.Errorf("aws:TagKeys = %v, want the six session tags", keys)
	}
	p := testPodIdentity()
	p.DisableSessionTags = true
	if _, ok := p.Context().Get("aws:RequestTag/kubernetes-namespace"); ok {
		t.Error("session tags disabled, yet a RequestTag key is set")
	}
}
