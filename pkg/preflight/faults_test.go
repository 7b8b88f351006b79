package preflight

import (
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedFaultCatalogueIsValidAndCitesSources(t *testing.T) {
	c, err := DefaultFaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Faults()); n < 20 {
		t.Fatalf("catalogue has %d faults, want the Litmus/HCE AWS set", n)
	}
	for _, name := range []string{"ec2-stop-by-id", "ec2-terminate-by-tag", "ebs-loss-by-id", "ebs-loss-by-tag", "ecs-container-cpu-hog",
		"ecs-task-stop", "lambda-update-function-memory", "rds-instance-stop", "rds-instance-reboot", "az-down", "cluster-autoscaler"} {
		f, ok := c.Lookup(strings.ToUpper(name))
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		for _, s := range f.Sources {
			if !strings.HasPrefix(s, "litmus-go ") && !strings.HasPrefix(s, "litmus-python ") && !strings.HasPrefix(s, "chaos-charts ") &&
				!strings.HasPrefix(s, "HCE docs ") && !strings.HasPrefix(s, "kubernetes/autoscaler ") {
				t.Errorf("%s: source %q names no known origin", name, s)
			}
		}
	}
	stop, _ := c.Lookup("ec2-stop-by-id")
	if stop.Name != "ec2-terminate-by-id" || !slices.Contains(stop.Actions, "ec2:StopInstances") {
		t.Errorf("ec2-stop-by-id resolves to %+v", stop)
	}
	if ca, _ := c.Lookup("cluster-autoscaler"); ca.ServiceAccountNamespace != "kube-system" {
		t.Errorf("cluster-autoscaler must run as a kube-system ServiceAccount, got %q", ca.ServiceAccountNamespace)
	}
}

func TestResolveFaultsDeduplicatesAndReportsUnknown(t *testing.T) {
	c, _ := DefaultFaultCatalogue()
	faults, unknown := c.Resolve([]string{"ec2-stop-by-id", "ec2-terminate-by-id", "pod-delete", "ebs-loss-by-id"})
	if len(faults) != 2 || !slices.Equal(unknown, []string{"pod-delete"}) {
		t.Fatalf("faults %v unknown %v", faults, unknown)
	}
	acts := FaultActions(faults)
	if !slices.IsSorted(acts) || !slices.Contains(acts, "ec2:DetachVolume") || !slices.Contains(acts, "ec2:StartInstances") {
		t.Fatalf("actions %v", acts)
	}
}

func TestLoadFaultCatalogueRejectsBadEntries(t *testing.T) {
	for name, doc := range map[string]string{
		"no actions":     "faults: [{name: a, sources: [x]}]",
		"no source":      "faults: [{name: a, actions: [ec2:StopInstances]}]",
		"bad action":     "faults: [{name: a, actions: ['ec2 stop'], sources: [x]}]",
		"duplicate":      "faults: [{name: a, actions: [ec2:A], sources: [x]}, {name: b, aliases: [A], actions: [ec2:A], sources: [x]}]",
		"unknown field":  "faults: [{name: a, action: [ec2:A], actions: [ec2:A], sources: [x]}]",
		"not yaml":       "faults: [",
		"nameless entry": "faults: [{actions: [ec2:A], sources: [x]}]",
	} {
		if _, err := LoadFaultCatalogue([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
