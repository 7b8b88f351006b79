package e2e

import (
	"strings"
	"testing"
)

// Nothing the suite starts may listen beyond loopback: moto, etcd,
// kube-apiserver, the IMDS mock and the STS front (in this process).
func TestEveryServerListensOn127001Only(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	names := map[string]bool{}
	for _, p := range sb(t).Procs() {
		names[p.Name()] = true
	}
	if len(names) != 4 {
		t.Errorf("sandbox processes %v: want moto, etcd, kube-apiserver and ec2-metadata-mock", names)
	}
	if problems := listenProblems(); len(problems) > 0 {
		t.Fatal(strings.Join(problems, "\n"))
	}
}
