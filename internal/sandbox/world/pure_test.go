package world

import (
	"os/exec"
	"strings"
	"testing"
)

// The world model is pure: it starts no process and has no Kubernetes or AWS
// service client, nor any of the sandbox's running parts, among its dependencies.
func TestTheWorldModelStartsNothingAndCallsNobody(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []string{"os/exec", "k8s.io/client-go/", "github.com/aws/aws-sdk-go-v2/service/",
		"github.com/podcred/podcred/internal/sandbox/proc", "github.com/podcred/podcred/internal/sandbox/controlplane",
		"github.com/podcred/podcred/internal/sandbox/awsemu", "github.com/podcred/podcred/internal/sandbox/node"}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b) {
				t.Errorf("world depends on %s", dep)
			}
		}
	}
}
