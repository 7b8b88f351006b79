package lint

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

const (
	kIssuer = "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
	kHost   = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
	kSA     = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: litmus-admin
  namespace: litmus
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/chaos-ec2
`
)

// trustJSON is a trust policy for the issuer admitting sub (StringEquals).
func trustJSON(sub string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/` + kHost +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + kHost + `:sub":"` + sub + `","` + kHost + `:aud":"sts.amazonaws.com"}}}]}`
}

func TestEachInputKindIsJudgedAndLocated(t *testing.T) {
	wrongSub := trustJSON("system:serviceaccount:chaos:other")
	for _, tc := range []struct {
		name  string
		files map[string]string
		id    string
		want  report.Status
		file  string
		line  int
		text  string // in message or remedy
	}{
		{"malformed role annotation", map[string]string{"sa.yaml": strings.Replace(kSA, "123456789012", "12345", 1)},
			preflight.IDSARoleAnnotation, report.StatusFail, "sa.yaml", 7, "kubectl annotate serviceaccount -n litmus litmus-admin"},
		{"bare trust-policy JSON named after the role", map[string]string{"sa.yaml": kSA, "iam/chaos-ec2.trust.json": "\n" + wrongSub},
			preflight.IDTrustSubject, report.StatusFail, "iam/chaos-ec2.trust.json", 2, "aws iam update-assume-role-policy --role-name chaos-ec2"},
		{"multi-line trust policy: the statement's line", map[string]string{"sa.yaml": kSA, "chaos-ec2.json": `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/` + kHost + `"},
     "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"` + kHost + `:aud": "sts.amazonaws.com"}}}
  ]
}`}, preflight.IDTrustSubjectScoped, report.StatusFail, "chaos-ec2.json", 4, "every ServiceAccount of the cluster"},
		{"aws iam get-role output, URL-encoded", map[string]string{"sa.yaml": kSA, "get-role.json": `{"Role": {"RoleName": "chaos-ec2", "AssumeRolePolicyDocument": "` + url.PathEscape(wrongSub) + `"}}`},
			preflight.IDTrustSubject, report.StatusFail, "get-role.json", 1, "system:serviceaccount:chaos:other"},
		{"Terraform JSON plan, child module", map[string]string{"sa.yaml": kSA, "plan.json": `{"format_version":"1.2","planned_values":{"root_module":{"child_modules":[{"resources":[` +
			`{"address":"module.m.aws_iam_role.chaos","type":"aws_iam_role","values":{"name":"chaos-ec2","assume_role_policy":` + quote(wrongSub) + `}}]}]}}}`},
			preflight.IDTrustSubject, report.StatusFail, "plan.json", 1, "chaos-ec2"},
		{"Terraform JSON configuration", map[string]string{"sa.yaml": kSA, "main.tf.json": `{"resource":{"aws_iam_role":{"chaos":{"name":"chaos-ec2","assume_role_policy":` + quote(trustJSON("system:serviceaccount:litmus:litmus-admin")) + `}}}}`},
			preflight.IDTrustSubject, report.StatusPass, "main.tf.json", 1, ""},
		{"Deployment template with static keys", map[string]string{"d.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: runner, namespace: litmus}
spec:
  template:
    spec:
      serviceAccountName: litmus-admin
      containers:
        - name: main
          env:
            - {name: AWS_SECRET_ACCESS_KEY, value: x}
`}, preflight.IDExperimentStaticEnv, report.StatusFail, "d.yaml", 1, "kubectl rollout restart -n litmus deployment/runner"},
		{"ChaosEngine mounting cloud-secret", map[string]string{"e.yaml": `apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: eng, namespace: litmus}
spec:
  chaosServiceAccount: litmus-admin
  experiments:
    - name: ec2-terminate-by-id
      spec:
        components:
          secrets:
            - {name: cloud-secret, mountPath: /tmp/}
`}, preflight.IDExperimentCloudSecret, report.StatusFail, "e.yaml", 11, `"path":"/spec/experiments/0/spec/components/secrets/0"`},
		{"a renamed Secret judged by content", map[string]string{"p.yaml": `apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: litmus}
stringData:
  config: "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
---
apiVersion: v1
kind: Pod
metadata: {name: runner, namespace: litmus}
spec:
  serviceAccountName: litmus-admin
  volumes: [{name: c, secret: {secretName: creds}}]
  containers: [{name: main, volumeMounts: [{name: c, mountPath: /tmp/}]}]
`}, preflight.IDExperimentCloudSecret, report.StatusFail, "p.yaml", 7, "creds"},
		{"ungated ChaosEngine", map[string]string{"e.yaml": `apiVersion: litmuschaos.io/v1alpha1
kind: ChaosEngine
metadata: {name: eng, namespace: litmus}
spec:
  chaosServiceAccount: litmus-admin
  experiments: [{name: ec2-terminate-by-id}]
`}, preflight.IDExperimentGate, report.StatusWarn, "e.yaml", 6, "stopOnFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				writeFile(t, filepath.Join(dir, name), text)
			}
			res := Run(context.Background(), Options{Paths: []string{dir}, Issuer: kIssuer, Root: dir})
			if len(res.Errors) > 0 {
				t.Fatalf("file errors: %v", res.Errors)
			}
			r := reportOf(t, res, "litmus", "litmus-admin")
			c := r.Check(tc.id)
			if c == nil || c.Status != tc.want {
				t.Fatalf("%s = %+v, want %s", tc.id, c, tc.want)
			}
			if !strings.Contains(c.Message+"\n"+c.Remedy, tc.text) {
				t.Errorf("%s does not say %q: %s\n%s", tc.id, tc.text, c.Message, c.Remedy)
			}
			if c.Location == nil || c.Location.File != tc.file || c.Location.Line != tc.line {
				t.Errorf("%s located at %+v, want %s:%d", tc.id, c.Location, tc.file, tc.line)
			}
		})
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestARoleWhoseTrustPolicyIsComputedIsAFileErrorNotAGuess(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sa.yaml"), kSA)
	writeFile(t, filepath.Join(dir, "main.tf.json"), `{"resource":{"aws_iam_role":{"chaos":{"name":"chaos-ec2","assume_role_policy":"${data.aws_iam_policy_document.t.json}"}}}}`)
	res := Run(context.Background(), Options{Paths: []string{dir}, Issuer: kIssuer, Root: dir})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "terraform show -json") {
		t.Errorf("errors: %v", res.Errors)
	}
	if c := reportOf(t, res, "litmus", "litmus-admin").Check(preflight.IDTrustSubject); c.Evidence[preflight.EvidenceNotJudged] == "" {
		t.Errorf("trust.subject judged without a trust policy: %+v", c)
	}
}
