package preflight

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/podcred/podcred/pkg/report"
)

func ec2Node(name, instance string, labels map[string]string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if instance != "" {
		n.Spec.ProviderID = "aws:///us-east-1a/" + instance
	}
	return n
}

func podOn(node string, hostNetwork bool) *corev1.Pod {
	p := injectedPod("litmus", "runner", "litmus-admin", pfRole, time.Now())
	p.Spec.NodeName, p.Spec.HostNetwork = node, hostNetwork
	return p
}

// judgeNodes collects the nodes through the fakes' wire formats and judges them.
func judgeNodes(t *testing.T, ec *fakeEC2, objs ...runtime.Object) report.Check {
	t.Helper()
	ctx := context.Background()
	ks := NewKubeSource(fake.NewClientset(objs...), nil)
	f := Facts{Namespace: "litmus", ServiceAccount: "litmus-admin",
		Nodes: ks.nodesOf(ctx, ec.client(), time.Second), Pods: ks.podsOf(ctx, "litmus", "litmus-admin")}
	return checkByID(t, Evaluate(f), IDNodesIMDS)
}

func TestNodesIMDSJudgesTheInstancesMetadataOptions(t *testing.T) {
	blocked := fakeInstance{tokens: "required", hops: 1, endpoint: "enabled"}
	cases := []struct {
		name      string
		instances map[string]fakeInstance
		objs      []runtime.Object
		want      report.Status
		has       []string
	}{
		{"IMDSv2 required with hop limit 1 blocks pods", map[string]fakeInstance{"i-0aaa": blocked},
			[]runtime.Object{ec2Node("ip-1", "i-0aaa", nil), podOn("ip-1", false)}, report.StatusPass, []string{"1 EC2 nodes"}},
		{"IMDSv1 allowed lets pods in", map[string]fakeInstance{"i-0aaa": blocked, "i-0bbb": {tokens: "optional", hops: 1, endpoint: "enabled"}},
			[]runtime.Object{ec2Node("ip-1", "i-0aaa", nil), ec2Node("ip-2", "i-0bbb", nil), podOn("ip-2", false)}, report.StatusFail,
			[]string{"ip-2 (i-0bbb: HttpTokens=optional, HttpPutResponseHopLimit=1)", "pods of litmus-admin run there: runner",
				"aws ec2 modify-instance-metadata-options --region us-east-1 --instance-id i-0bbb --http-tokens required --http-put-response-hop-limit 1",
				"disablePodIMDS: true", "launch template"}},
		{"hop limit 2 lets pods in even with IMDSv2", map[string]fakeInstance{"i-0ccc": {tokens: "required", hops: 2, endpoint: "enabled"}},
			[]runtime.Object{ec2Node("ip-3", "i-0ccc", nil)}, report.StatusFail, []string{"HttpPutResponseHopLimit=2", "--instance-id i-0ccc"}},
		{"EC2's defaults (fields absent) allow IMDSv1", map[string]fakeInstance{"i-0ddd": {}},
			[]runtime.Object{ec2Node("ip-4", "i-0ddd", nil)}, report.StatusFail, []string{"HttpTokens=optional"}},
		{"a disabled endpoint blocks everything", map[string]fakeInstance{"i-0eee": {tokens: "optional", hops: 3, endpoint: "disabled"}},
			[]runtime.Object{ec2Node("ip-5", "i-0eee", nil), podOn("ip-5", true)}, report.StatusPass, nil},
		{"Fargate nodes have no IMDS", nil,
			[]runtime.Object{ec2Node("fargate-ip-10-0-1-1.ec2.internal", "", map[string]string{labelComputeType: computeFargate})},
			report.StatusPass, []string{"Fargate"}},
		{"a hostNetwork pod is not protected by the hop limit", map[string]fakeInstance{"i-0aaa": blocked},
			[]runtime.Object{ec2Node("ip-1", "i-0aaa", nil), podOn("ip-1", true)}, report.StatusWarn,
			[]string{"pod runner uses hostNetwork on ip-1", "--instance-id i-0aaa --http-endpoint disabled"}},
		{"nodes without an EC2 providerID cannot be judged", nil,
			[]runtime.Object{ec2Node("kind-worker", "", nil)}, report.StatusSkip, []string{"kind-worker", "aws:///"}},
		{"no nodes at all", nil, nil, report.StatusSkip, []string{"no Node objects"}},
		{"instances found nowhere cannot be judged", nil,
			[]runtime.Object{ec2Node("ip-gone", "i-0fff", nil)}, report.StatusError, []string{"returned none of the nodes' instances (ip-gone)"}},
		{"a terminated instance is noted, the rest judged", map[string]fakeInstance{"i-0aaa": blocked},
			[]runtime.Object{ec2Node("ip-1", "i-0aaa", nil), ec2Node("ip-gone", "i-0fff", nil)}, report.StatusPass,
			[]string{"did not return the instances of ip-gone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ec := newFakeEC2(t)
			ec.instances = c.instances
			got := judgeNodes(t, ec, c.objs...)
			text := got.Message + "\n" + got.Remedy
			if got.Status != c.want {
				t.Fatalf("nodes.imds = %s, want %s:\n%s", got.Status, c.want, text)
			}
			for _, w := range c.has {
				if !strings.Contains(text, w) {
					t.Errorf("nodes.imds lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestNodesIMDSErrorsNameThePermissionNeeded(t *testing.T) {
	ec := newFakeEC2(t)
	ec.errCode = "UnauthorizedOperation"
	got := judgeNodes(t, ec, ec2Node("ip-1", "i-0aaa", nil))
	if got.Status != report.StatusError || !strings.Contains(got.Remedy, "ec2:DescribeInstances") || !strings.Contains(got.Message, "UnauthorizedOperation") {
		t.Errorf("DescribeInstances refused: %s: %s / %s", got.Status, got.Message, got.Remedy)
	}

	kube := fake.NewClientset()
	kube.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", nil)
	})
	ks := NewKubeSource(kube, nil)
	f := Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Nodes: ks.nodesOf(context.Background(), newFakeEC2(t).client(), time.Second)}
	got = checkByID(t, Evaluate(f), IDNodesIMDS)
	if got.Status != report.StatusError || !strings.Contains(got.Remedy, "--verb=list --resource=nodes") {
		t.Errorf("nodes list forbidden: %s: %s / %s", got.Status, got.Message, got.Remedy)
	}
}

func TestNodesAreDescribedInTheRegionOfTheirZone(t *testing.T) {
	ec := newFakeEC2(t)
	ec.instances["i-0eu"] = fakeInstance{tokens: "optional", hops: 1, endpoint: "enabled"}
	eu := ec2Node("ip-eu", "", nil)
	eu.Spec.ProviderID = "aws:///eu-west-1b/i-0eu"
	got := judgeNodes(t, ec, eu, ec2Node("ip-us", "i-0us", nil))
	if !strings.Contains(got.Remedy, "--region eu-west-1 --instance-id i-0eu") {
		t.Errorf("remedy %q lacks the node's region", got.Remedy)
	}
	if regions := ec.callRegions(); len(regions) != 2 || !slices.Contains(regions, "eu-west-1") || !slices.Contains(regions, "us-east-1") {
		t.Errorf("DescribeInstances signed for regions %v, want one call per zone's region", regions)
	}
}

func TestNodesAreDescribedInBatchesOncePerKubeSource(t *testing.T) {
	ec := newFakeEC2(t)
	ec.pageSize = 2
	var objs []runtime.Object
	for _, id := range []string{"i-01", "i-02", "i-03"} {
		ec.instances[id] = fakeInstance{tokens: "required", hops: 1, endpoint: "enabled"}
		objs = append(objs, ec2Node("ip-"+id, id, nil))
	}
	ks := NewKubeSource(fake.NewClientset(objs...), nil)
	for range 3 { // audit: every ServiceAccount shares the KubeSource
		nf := ks.nodesOf(context.Background(), ec.client(), time.Second)
		for _, n := range nf.Nodes {
			if n.Metadata == nil || n.Metadata.HTTPTokens != "required" {
				t.Fatalf("node %s: metadata %+v (paging lost it?)", n.Name, n.Metadata)
			}
		}
	}
	calls := ec.callIDs()
	if len(calls) != 2 || len(calls[0]) != 3 { // one call for all IDs, plus its second page
		t.Errorf("DescribeInstances calls %v, want one batch of 3 IDs and its next page", calls)
	}
}
