package preflight

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// TestAuditFetchesEachIAMObjectOnce audits 200 ServiceAccounts sharing 20
// roles and counts the calls that reach IAM: they grow with roles and
// providers, not with ServiceAccounts.
func TestAuditFetchesEachIAMObjectOnce(t *testing.T) {
	const sas, roles = 200, 20
	aws := newFakeAWS(t)
	aws.delay = 2 * time.Millisecond
	aws.clusters["chaos-lab"] = "https://" + corpusHost
	aws.providers[pfProvider] = []string{podiam.DefaultAudience}
	aws.policies["arn:aws:iam::123456789012:policy/shared-describe"] = `{"Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}}`
	var objs []runtime.Object
	for r := 0; r < roles; r++ {
		name := fmt.Sprintf("chaos-%02d", r)
		ns := fmt.Sprintf("team-%d", r%10)
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + pfProvider + `"},` +
			`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"` + corpusHost + `:sub":"system:serviceaccount:` + ns + `:*"},` +
			`"StringEquals":{"` + corpusHost + `:aud":"sts.amazonaws.com"}}}]}`
		aws.roles[name] = &fakeRole{trust: trust,
			inline:   map[string]string{"stop": `{"Statement":{"Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances"],"Resource":"*"}}`},
			attached: []string{"arn:aws:iam::123456789012:policy/shared-describe"}}
		aws.allowed[name] = []string{"ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "autoscaling:DescribeAutoScalingInstances"}
	}
	for i := 0; i < sas; i++ {
		r := i % roles
		objs = append(objs, annotatedSA(fmt.Sprintf("team-%d", r%10), fmt.Sprintf("sa-%03d", i), fmt.Sprintf("arn:aws:iam::123456789012:role/chaos-%02d", r), time.Now()))
	}
	objs = append(objs, annotatedSA("team-0", "unannotated", "", time.Now()))
	delete(objs[len(objs)-1].(interface{ GetAnnotations() map[string]string }).GetAnnotations(), podiam.AnnotationRoleARN)
	ic, ec := aws.clients()
	progress := 0
	kube := fake.NewClientset(objs...)
	res, err := Audit(context.Background(), AuditOptions{
		Workers:  8,
		Progress: func(done, total int) { progress = done },
		Base: Options{Cluster: "chaos-lab", Faults: []string{"ec2-stop-by-id"},
			Kube: NewKubeSource(kube, nil), EKS: ec, IAM: ic},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reports) != sas || progress != sas {
		t.Fatalf("%d reports, progress %d, want %d", len(res.Reports), progress, sas)
	}
	want := map[string]int{
		"DescribeCluster": 1, "ListOpenIDConnectProviders": 1, "GetOpenIDConnectProvider": 1,
		"GetRole": roles, "SimulatePrincipalPolicy": roles, "ListAttachedRolePolicies": roles, "ListRolePolicies": roles,
		"GetRolePolicy": roles, "GetPolicy": 1, "GetPolicyVersion": 1,
	}
	total := 0
	for op, n := range want {
		total += n
		if got := aws.count(op); got != n {
			t.Errorf("%s: %d calls, want %d", op, got, n)
		}
	}
	if aws.total() != total || res.IAMCalls != int64(total-1) {
		t.Errorf("%d AWS calls (%d IAM through the cache), want %d", aws.total(), res.IAMCalls, total)
	}
	// Kubernetes reads grow with namespaces too: one SA list, one pod list per namespace.
	kubeCalls := map[string]int{}
	for _, a := range kube.Actions() {
		kubeCalls[a.GetVerb()+" "+a.GetResource().Resource]++
	}
	if kubeCalls["list serviceaccounts"] != 1 || kubeCalls["get serviceaccounts"] != 0 || kubeCalls["list pods"] != 10 {
		t.Errorf("kubernetes calls %v", kubeCalls)
	}
	// Every SA is admitted by its namespace-wide trust policy: scoped to a
	// namespace is a warning, not a failure.
	if res.Verdict != report.VerdictWarn {
		t.Errorf("verdict %s", res.Verdict)
	}
	if r := res.Reports[0]; r.Subject.Namespace != "team-0" || r.Subject.ServiceAccount != "sa-000" || r.Check(IDTrustSubject).Status != report.StatusPass {
		t.Errorf("first report %+v %+v", r.Subject, r.Check(IDTrustSubject))
	}
}

func TestCachedIAMSharesOneCallAmongConcurrentCallers(t *testing.T) {
	aws := newFakeAWS(t)
	healthyAccount(aws)
	aws.delay = 20 * time.Millisecond
	ic, _ := aws.clients()
	c := NewCachedIAM(ic)
	done := make(chan *RoleFact, 50)
	for i := 0; i < 50; i++ {
		go func() {
			done <- collectRole(context.Background(), c, podiam.RoleARN{Partition: "aws", Account: "123456789012", Path: "/", Name: "chaos-ec2"}, time.Second)
		}()
	}
	for i := 0; i < 50; i++ {
		if rf := <-done; !rf.Found || rf.Trust == nil {
			t.Fatalf("role fact %+v", rf)
		}
	}
	if n := aws.count("GetRole"); n != 1 || c.Calls() != 1 {
		t.Fatalf("GetRole reached AWS %d times (cache counted %d), want once", n, c.Calls())
	}
	// A missing role is remembered too.
	for i := 0; i < 3; i++ {
		if rf := collectRole(context.Background(), c, podiam.RoleARN{Name: "gone"}, time.Second); rf.Found || rf.Err != nil {
			t.Fatalf("missing role: %+v", rf)
		}
	}
	if n := aws.count("GetRole"); n != 2 {
		t.Fatalf("GetRole reached AWS %d times, want 2", n)
	}
}
