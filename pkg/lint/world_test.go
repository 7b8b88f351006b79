package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// worldIssuer is the issuer world.ParseWorld expands ${ISSUER} with.
const worldIssuer = "https://issuer.invalid/id/X"

// renderWorld writes the Kubernetes manifests and trust-policy files a
// world file stands for, as a user would keep them in git: one YAML file
// per namespace (ServiceAccounts, Secrets, Pods, chaos objects) and one
// trust-policy JSON per role, named after the role. The world is read with
// the sandbox's own parser, so the rendering follows its schema.
func renderWorld(t *testing.T, worldFile string) string {
	t.Helper()
	data, err := os.ReadFile(worldFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := world.ParseWorld(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, r := range w.Roles {
		writeFile(t, filepath.Join(dir, "iam", r.Name+".json"), string(r.TrustPolicy))
	}
	for _, ns := range w.Namespaces {
		var docs []any
		for _, sa := range ns.ServiceAccounts {
			ann := map[string]string{}
			for k, v := range sa.Annotations {
				ann[k] = v
			}
			switch {
			case sa.RoleArn != "":
				ann[podiam.AnnotationRoleARN] = sa.RoleArn
			case sa.Role != "":
				ann[podiam.AnnotationRoleARN] = fmt.Sprintf("arn:aws:iam::%s:role/%s", w.Account, sa.Role)
			}
			docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
				"metadata": map[string]any{"name": sa.Name, "namespace": ns.Name, "annotations": ann}})
		}
		for _, s := range ns.Secrets {
			docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
				"metadata": map[string]any{"name": s.Name, "namespace": ns.Name}, "stringData": s.StringData})
		}
		for _, p := range ns.Pods {
			docs = append(docs, podManifest(ns.Name, p))
		}
		for _, c := range ns.Chaos {
			c["apiVersion"] = "litmuschaos.io/v1alpha1"
			md, _ := c["metadata"].(map[string]any)
			md["namespace"] = ns.Name
			docs = append(docs, c)
		}
		var parts []string
		for _, d := range docs {
			b, err := yaml.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, string(b))
		}
		writeFile(t, filepath.Join(dir, "k8s", ns.Name+".yaml"), strings.Join(parts, "---\n"))
	}
	return dir
}

func podManifest(ns string, p world.Pod) map[string]any {
	var vols, mounts []map[string]any
	for i, m := range p.SecretMounts {
		name := fmt.Sprintf("secret-%d", i)
		vols = append(vols, map[string]any{"name": name, "secret": map[string]any{"secretName": m.Secret}})
		mounts = append(mounts, map[string]any{"name": name, "mountPath": m.MountPath})
	}
	sc := map[string]any{}
	if p.FSGroup != nil {
		sc["fsGroup"] = *p.FSGroup
	}
	if p.RunAsUser != nil {
		sc["runAsUser"] = *p.RunAsUser
	}
	return map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": p.Name, "namespace": ns},
		"spec": map[string]any{"serviceAccountName": p.ServiceAccount, "securityContext": sc, "volumes": vols,
			"containers": []map[string]any{{"name": "main", "image": "busybox", "env": p.Env, "volumeMounts": mounts}}}}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// findings lists "ns/sa id=status" for every judged check that did not pass.
func findings(res Result) []string {
	var out []string
	for _, r := range res.Reports {
		for _, c := range r.Checks {
			if c.Status != report.StatusPass && c.Status != report.StatusSkip {
				out = append(out, fmt.Sprintf("%s/%s %s=%s", r.Subject.Namespace, r.Subject.ServiceAccount, c.ID, c.Status))
			}
		}
	}
	sort.Strings(out)
	return out
}

// The demo world holds one healthy set-up and the classic misconfigurations.
// `check` finds them on the sandbox (test/e2e/preflight_test.go); lint must
// find every one that files can show, under the same check ID, and nothing
// else. pods.env-injected (a pod older than its annotation) and
// iam.permissions (a policy lacking an action) need the live cluster and
// IAM's simulation: lint reports them as not judged.
func TestLintFindsEveryFileJudgeableMisconfigurationOfTheDemoWorld(t *testing.T) {
	dir := renderWorld(t, "../../examples/worlds/demo.yaml")
	res := Run(context.Background(), Options{Paths: []string{dir}, Issuer: worldIssuer, Root: dir})
	if len(res.Errors) > 0 {
		t.Fatalf("file errors: %v", res.Errors)
	}
	want := []string{
		"litmus-legacy/litmus-admin experiment.cloud-secret=fail",
		"litmus-legacy/litmus-admin experiment.gate=fail",
		"litmus/late-annotation trust.subject-scoped=warn", // its role admits the whole namespace
		"litmus/unscoped trust.subject-scoped=fail",
		"litmus/wildcard-equals trust.audience=warn", // no aud condition
		"litmus/wildcard-equals trust.operators=fail",
		"litmus/wildcard-equals trust.subject=fail",
		"litmus/wildcard-like trust.subject-scoped=warn",
		"litmus/wrong-namespace trust.subject=fail",
	}
	if got := findings(res); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range res.Reports {
		for _, c := range r.Checks {
			judged := c.Evidence[preflight.EvidenceNotJudged] == ""
			switch c.ID {
			case preflight.IDPodsEnvInjected, preflight.IDIAMPermissions, preflight.IDIAMOIDCProvider, preflight.IDSAExists:
				if judged {
					t.Errorf("%s/%s %s was judged from files: %s", r.Subject.Namespace, r.Subject.ServiceAccount, c.ID, c.Message)
				}
			}
			if judged && c.Status != report.StatusSkip && c.Status != report.StatusPass && c.Location == nil {
				t.Errorf("%s/%s %s has no location", r.Subject.Namespace, r.Subject.ServiceAccount, c.ID)
			}
		}
	}
	healthy := reportOf(t, res, "litmus", "litmus-admin")
	for _, id := range []string{preflight.IDSARoleAnnotation, preflight.IDTrustSubject, preflight.IDTrustSubjectScoped, preflight.IDExperimentGate, preflight.IDExperimentCloudSecret} {
		if c := healthy.Check(id); c == nil || c.Status != report.StatusPass {
			t.Errorf("healthy litmus/litmus-admin: %s is not pass: %+v", id, c)
		}
	}
	legacy := reportOf(t, res, "litmus-legacy", "litmus-admin").Check(preflight.IDExperimentCloudSecret)
	if loc := legacy.Location; loc == nil || loc.File != "k8s/litmus-legacy.yaml" || loc.Object == "" || loc.Line < 2 {
		t.Errorf("cloud-secret finding located at %+v", legacy.Location)
	}
	b, _ := json.Marshal(res.Reports)
	if strings.Contains(string(b), "wJalrXUtnFEMI") {
		t.Error("a report holds the Secret's secret key")
	}
}

func reportOf(t *testing.T, res Result, ns, sa string) *report.Report {
	t.Helper()
	for _, r := range res.Reports {
		if r.Subject.Namespace == ns && r.Subject.ServiceAccount == sa {
			return r
		}
	}
	t.Fatalf("no report for %s/%s", ns, sa)
	return nil
}
