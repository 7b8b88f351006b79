package world

import (
	"strings"
	"testing"
)

func TestWorldNodesDefaultToANodeThatBlocksIMDS(t *testing.T) {
	w, err := ParseWorld([]byte("cluster: {name: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := w.AllNodes(); len(got) != 1 || got[0] != (Node{Name: NodeName, HTTPTokens: "required", HopLimit: 1, HTTPEndpoint: "enabled"}) {
		t.Errorf("default nodes %+v", got)
	}
	w, err = ParseWorld([]byte(`
nodes:
  - {name: spare, httpEndpoint: disabled}
  - {httpTokens: optional, hopLimit: 2}
  - {name: fargate-ip-10-0-9-9.ec2.internal, fargate: true}
namespaces:
  - name: ns
    serviceAccounts: [{name: sa}]
    pods: [{name: p, serviceAccount: sa, node: spare, hostNetwork: true}]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := w.AllNodes()
	if len(got) != 3 || got[0].Name != NodeName || got[0].HTTPTokens != "optional" || got[0].HopLimit != 2 ||
		got[1].Name != "spare" || got[1].HTTPEndpoint != "disabled" || !got[2].Fargate {
		t.Errorf("nodes %+v: want the unnamed entry to configure %s, first", got, NodeName)
	}
}

func TestWorldNodesAreValidatedBeforeAnythingStarts(t *testing.T) {
	_, err := ParseWorld([]byte(`
nodes:
  - {name: a, httpTokens: IMDSv2}
  - {name: a, hopLimit: 65, httpEndpoint: closed}
namespaces:
  - name: ns
    serviceAccounts: [{name: sa}]
    pods: [{name: p, serviceAccount: sa, node: nowhere}]
`))
	for _, want := range []string{`httpTokens "IMDSv2"`, `duplicate node "a"`, "hopLimit 65", `httpEndpoint "closed"`, `node "nowhere" is not in nodes`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
