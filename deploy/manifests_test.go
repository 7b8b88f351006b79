// Package deploy holds podcred's Kubernetes manifests; this test reviews them:
// least-privilege RBAC and the hardened pod security context of DESIGN.md.
package deploy

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// docs returns the documents of a shipped manifest.
func docs(t *testing.T, path string) [][]byte {
	t.Helper()
	out, err := Documents(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func kindOf(_ *testing.T, d []byte) string { return KindOf(d) }

func TestAgentRBACIsExactlyWhatTheSinksNeed(t *testing.T) {
	var rules []string
	for _, d := range docs(t, "job.yaml") {
		switch kindOf(t, d) {
		case "ClusterRole", "ClusterRoleBinding":
			t.Errorf("job.yaml must not grant anything cluster-wide")
		case "Role":
			var r rbacv1.Role
			if err := yaml.UnmarshalStrict(d, &r); err != nil {
				t.Fatal(err)
			}
			for _, rule := range r.Rules {
				for _, res := range rule.Resources {
					for _, v := range rule.Verbs {
						names := strings.Join(rule.ResourceNames, ",")
						rules = append(rules, strings.Join(rule.APIGroups, ",")+"/"+res+"["+names+"]:"+v)
					}
				}
			}
		}
	}
	sort.Strings(rules)
	want := []string{
		"/configmaps[]:create", // create cannot be restricted by name
		"/configmaps[podcred-litmus-admin]:get",
		"/configmaps[podcred-litmus-admin]:update",
		"/events[]:create",
		"/pods[]:patch", // the annotation sink's merge patch on the agent's own pod
	}
	if !slices.Equal(rules, want) {
		t.Errorf("agent RBAC rules:\n  got  %q\n  want %q", rules, want)
	}
}

// hardened asserts DESIGN.md's pod rules: nonroot, read-only root FS, no
// privilege escalation, all capabilities dropped, and fsGroup for the token.
func hardened(t *testing.T, where string, spec corev1.PodSpec, containers []corev1.Container) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.FSGroup == nil ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext must set runAsNonRoot, fsGroup and seccomp RuntimeDefault: %+v", where, psc)
	}
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: container %s must drop ALL capabilities, forbid privilege escalation and use a read-only root FS", where, c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s has no memory limit", where, c.Name)
		}
		var env []string
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				env = append(env, e.Name+"="+e.ValueFrom.FieldRef.FieldPath)
			}
			if strings.HasPrefix(e.Name, "AWS_ACCESS_KEY") || strings.HasPrefix(e.Name, "AWS_SECRET") {
				t.Errorf("%s: container %s sets %s", where, c.Name, e.Name)
			}
		}
		for _, want := range []string{"POD_NAME=metadata.name", "POD_NAMESPACE=metadata.namespace", "POD_UID=metadata.uid",
			"POD_SERVICE_ACCOUNT=spec.serviceAccountName"} {
			if !slices.Contains(env, want) {
				t.Errorf("%s: container %s lacks downward API env %s", where, c.Name, want)
			}
		}
	}
}

func TestVerificationJobIsHardened(t *testing.T) {
	found := false
	for _, d := range docs(t, "job.yaml") {
		if kindOf(t, d) != "Job" {
			continue
		}
		found = true
		var j batchv1.Job
		if err := yaml.UnmarshalStrict(d, &j); err != nil {
			t.Fatal(err)
		}
		spec := j.Spec.Template.Spec
		hardened(t, "job.yaml", spec, spec.Containers)
		if spec.ServiceAccountName != "litmus-admin" || spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("job runs as %q with restartPolicy %q", spec.ServiceAccountName, spec.RestartPolicy)
		}
		if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0 || j.Spec.ActiveDeadlineSeconds == nil {
			t.Error("a verification Job must not retry and must have a deadline")
		}
	}
	if !found {
		t.Fatal("job.yaml has no Job")
	}
}

func TestInitContainerExampleIsHardened(t *testing.T) {
	path := filepath.Join("examples", "init-container.yaml")
	n := 0
	for _, d := range docs(t, path) {
		switch kindOf(t, d) {
		case "Pod":
			var p corev1.Pod
			if err := yaml.UnmarshalStrict(d, &p); err != nil {
				t.Fatal(err)
			}
			hardened(t, path+" Pod", p.Spec, p.Spec.InitContainers)
			n++
		case "Job":
			var j batchv1.Job
			if err := yaml.UnmarshalStrict(d, &j); err != nil {
				t.Fatal(err)
			}
			hardened(t, path+" Job", j.Spec.Template.Spec, j.Spec.Template.Spec.InitContainers)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no Pod or Job in the init-container example")
	}
}

func TestAgentRBACForAnotherServiceAccountKeepsTheRulesAndRenamesTheReport(t *testing.T) {
	shipped, _, err := AgentRBAC(ExampleNamespace, ExampleServiceAccount)
	if err != nil {
		t.Fatal(err)
	}
	role, binding, err := AgentRBAC("team-a", "chaos-ec2")
	if err != nil {
		t.Fatal(err)
	}
	if role.Namespace != "team-a" || role.Name != "podcred-agent-chaos-ec2" || binding.RoleRef.Name != role.Name {
		t.Errorf("role %s/%s bound as %s", role.Namespace, role.Name, binding.RoleRef.Name)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0].Name != "chaos-ec2" || binding.Subjects[0].Namespace != "team-a" {
		t.Errorf("subjects = %+v", binding.Subjects)
	}
	if len(role.Rules) != len(shipped.Rules) {
		t.Fatalf("%d rules, job.yaml ships %d", len(role.Rules), len(shipped.Rules))
	}
	for i, r := range role.Rules {
		want := shipped.Rules[i]
		if !slices.Equal(r.Verbs, want.Verbs) || !slices.Equal(r.Resources, want.Resources) || len(r.ResourceNames) != len(want.ResourceNames) {
			t.Errorf("rule %d = %+v, job.yaml ships %+v", i, r, want)
		}
		if len(r.ResourceNames) > 0 && !slices.Equal(r.ResourceNames, []string{"podcred-chaos-ec2"}) {
			t.Errorf("rule %d names %v, want the report ConfigMap podcred-chaos-ec2", i, r.ResourceNames)
		}
	}
}
