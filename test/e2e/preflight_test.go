package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

// preflightDeadline bounds one podcred-preflight process (its --timeout is shorter).
const preflightDeadline = 3 * time.Minute

// preflightRun is one finished podcred-preflight process.
type preflightRun struct {
	args           []string
	code           int
	stdout, stderr []byte
	report         *report.Report // `check --format json` runs
}

// preflightBinary is bin/podcred-preflight; the suite never skips: a missing
// binary fails with the command that builds it.
func preflightBinary(t *testing.T) string {
	t.Helper()
	sb(t)
	path := filepath.Join(suite.bins.dir, "podcred-preflight")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s missing: run `make build` (or set PODCRED_BIN)", path)
	}
	return path
}

// runPreflight runs podcred-preflight with the administrator's sandbox
// environment (admin kubeconfig, AWS endpoints at the STS front, moto's
// dummy admin keys) and records its outputs for the secret scan.
func runPreflight(t *testing.T, args ...string) *preflightRun {
	t.Helper()
	bin := preflightBinary(t)
	env := append(sb(t).Env(), "PATH=/usr/local/bin:/usr/bin:/bin", "HOME="+t.TempDir())
	requireLoopbackEndpoints(t, env)
	p := runProcess(t, "podcred-preflight", preflightDeadline, env, bin, args...)
	r := &preflightRun{args: args, code: p.code, stdout: p.stdout, stderr: p.stderr}
	t.Logf("podcred-preflight %s: exit %d in %s", strings.Join(args, " "), r.code, p.elapsed.Round(time.Millisecond))
	if r.code == cli.ExitUsage {
		t.Fatalf("podcred-preflight %s: exit 2 (bad usage): %s", strings.Join(args, " "), r.stderr)
	}
	return r
}

// preflightCheck runs `check --format json` for ns/sa and decodes the report.
func preflightCheck(t *testing.T, ns, sa string, args ...string) *preflightRun {
	t.Helper()
	full := append([]string{"check", "-n", ns, "--service-account", sa, "--format", "json"}, args...)
	r := runPreflight(t, full...)
	var rep report.Report
	dec := json.NewDecoder(bytes.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("podcred-preflight stdout (exit %d) is not a report: %v\n%s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	if rep.Kind != report.KindPreflight || rep.SchemaVersion != report.SchemaVersion {
		t.Fatalf("report kind %q schema %q", rep.Kind, rep.SchemaVersion)
	}
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID)
	}
	var want []string
	for _, s := range preflight.Specs {
		want = append(want, s.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("check IDs %v, want DESIGN.md's %v", ids, want)
	}
	if code := cli.ExitCode(rep.Verdict, false); r.code != code {
		t.Errorf("exit %d for verdict %s, want %d", r.code, rep.Verdict, code)
	}
	r.report = &rep
	return r
}

// wantCheck asserts a check's status and that its message or fix names every phrase.
func wantCheck(t *testing.T, r *preflightRun, id string, status report.Status, phrases ...string) {
	t.Helper()
	c := r.report.Check(id)
	if c == nil {
		t.Fatalf("no check %s", id)
	}
	text := c.Message + "\n" + c.Remedy
	if c.Status != status {
		t.Errorf("%s = %s, want %s: %s", id, c.Status, status, text)
		return
	}
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("%s does not name %q:\n%s", id, p, text)
		}
	}
}

// TestPreflightFindsEveryClassicMisconfiguration runs podcred-preflight on
// the demo world's ServiceAccounts, each with one classic mistake, and on
// the worlds whose OIDC provider is missing or lacks the STS audience.
func TestPreflightFindsEveryClassicMisconfiguration(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	cluster := sb(t).World().Cluster.Name
	account := sb(t).World().Account
	host := strings.TrimPrefix(sb(t).Issuer(), "https://")
	for _, tc := range []struct {
		name, sa string
		args     []string
		id       string
		status   report.Status
		phrases  []string
		ns       string // default litmus
	}{
		{"trust policy for another namespace", "wrong-namespace", nil, preflight.IDTrustSubject, report.StatusFail,
			[]string{"system:serviceaccount:chaos:wrong-namespace", "aws iam update-assume-role-policy --role-name chaos-wrong-namespace",
				`"` + host + `:sub":"system:serviceaccount:litmus:wrong-namespace"`}, ""},
		{"wildcard under StringEquals", "wildcard-equals", nil, preflight.IDTrustOperators, report.StatusFail,
			[]string{trustpolicy.LintWildcardWithoutLike, "StringLike", "--role-name chaos-wildcard-equals"}, ""},
		{"unscoped trust policy", "unscoped", nil, preflight.IDTrustSubjectScoped, report.StatusFail,
			[]string{"every ServiceAccount of the cluster", "--role-name chaos-unscoped"}, ""},
		{"pod created before the annotation", "late-annotation", nil, preflight.IDPodsEnvInjected, report.StatusFail,
			[]string{"late-annotation-runner", "kubectl delete pod -n litmus late-annotation-runner"}, ""},
		{"ChaosExperiment still mounting cloud-secret", "litmus-admin", nil, preflight.IDExperimentCloudSecret, report.StatusFail,
			[]string{"ChaosExperiment ec2-terminate-by-id mounts secret cloud-secret at /tmp/", "kubectl -n litmus-legacy patch chaosexperiment ec2-terminate-by-id --type=json",
				`"op":"remove","path":"/spec/definition/secrets/0"`}, "litmus-legacy"},
		{"a fault whose actions the role lacks", "litmus-admin", []string{"--fault", "ec2-stop-by-id"}, preflight.IDIAMPermissions, report.StatusFail,
			[]string{"ec2-terminate-by-id lacks autoscaling:DescribeAutoScalingInstances", "aws iam put-role-policy --role-name chaos-ec2-legacy"}, "litmus-legacy"},
		{"faults read from the namespace's chaos experiments", "litmus-admin", nil, preflight.IDIAMPermissions, report.StatusFail,
			[]string{"faults read from the namespace's chaos experiments"}, "litmus-legacy"},
		{"a podcred probe that only records a failed verdict", "litmus-admin", nil, preflight.IDExperimentGate, report.StatusFail,
			[]string{"ec2-chaos-ungated", "stopOnFailure", "kubectl -n litmus-legacy patch chaosengine ec2-chaos-ungated --type=json"}, "litmus-legacy"},
		{"an engine that really stops on the verdict", "litmus-admin", nil, preflight.IDExperimentGate, report.StatusPass, nil, ""},
		{"an EBS fault on an EC2-only role", "litmus-admin", []string{"--fault", "ebs-loss-by-id"}, preflight.IDIAMPermissions, report.StatusFail,
			[]string{"ec2:AttachVolume", "ec2:DetachVolume"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			ns := tc.ns
			if ns == "" {
				ns = "litmus"
			}
			r := preflightCheck(t, ns, tc.sa, append([]string{"--cluster", cluster}, tc.args...)...)
			wantCheck(t, r, tc.id, tc.status, tc.phrases...)
			wantCheck(t, r, preflight.IDClusterOIDCIssuer, report.StatusPass, sb(t).Issuer(), preflight.IssuerFromEKS)
			wantCheck(t, r, preflight.IDIAMOIDCProvider, report.StatusPass, "arn:aws:iam::"+account+":oidc-provider/"+host)
		})
	}
	t.Run("the demo's healthy set-up passes every step", func(t *testing.T) {
		defer stopOnPanic()
		r := preflightCheck(t, "litmus", "litmus-admin", "--cluster", cluster)
		if r.report.Verdict != report.VerdictPass {
			t.Errorf("verdict %s, want pass: %s", r.report.Verdict, findings(r.report))
		}
	})
	t.Run("the analyser agrees with the agent: healthy and wildcard-like SAs are admitted", func(t *testing.T) {
		defer stopOnPanic()
		for _, sa := range []string{"litmus-admin", "wildcard-like"} {
			r := preflightCheck(t, "litmus", sa, "--issuer", sb(t).Issuer())
			wantCheck(t, r, preflight.IDTrustSubject, report.StatusPass)
			wantCheck(t, r, preflight.IDClusterOIDCIssuer, report.StatusPass, preflight.IssuerFromFlag)
		}
	})

	for _, tc := range []struct {
		name, world, id string
		phrases         []string
	}{
		{"missing IAM OIDC provider", noOIDCProviderWorld, preflight.IDIAMOIDCProvider, []string{"eksctl utils associate-iam-oidc-provider --cluster chaos-lab --approve"}},
		{"provider without sts.amazonaws.com", wrongAudienceWorld, preflight.IDIAMOIDCAudience,
			[]string{"aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::", "--client-id sts.amazonaws.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			useWorld(t, tc.world)
			sc := sb(t).World().Scenarios[0]
			r := preflightCheck(t, sc.Namespace, sc.ServiceAccount, "--cluster", sb(t).World().Cluster.Name)
			wantCheck(t, r, tc.id, report.StatusFail, tc.phrases...)
		})
	}
}

// preflightWorld is a cluster where litmus/litmus-admin is set up right in
// every step — trust scoped to it with the STS audience, exactly the
// actions of ec2-stop-by-id, an injected pod with an fsGroup, chaos objects
// without cloud-secret, an engine gated by a stopping podcred probe — next
// to ServiceAccounts whose annotation is missing or malformed, and teams of ServiceAccounts sharing roles for the audit.
func preflightWorld(roles, sas int) string {
	var b strings.Builder
	b.WriteString(`
cluster: {name: preflight-lab}
oidcProviders: [{url: cluster}]
roles:
  - name: chaos-ec2
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Federated: "${PROVIDER_ARN}"}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringEquals:
              "${ISSUER_HOST}:sub": system:serviceaccount:litmus:litmus-admin
              "${ISSUER_HOST}:aud": sts.amazonaws.com
    inlinePolicies:
      ec2-stop:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [ec2:StopInstances, ec2:StartInstances, ec2:DescribeInstances, ec2:DescribeInstanceStatus, autoscaling:DescribeAutoScalingInstances]
            Resource: "*"
`)
	for r := 0; r < roles; r++ {
		fmt.Fprintf(&b, `  - name: team-role-%02d
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Federated: "${PROVIDER_ARN}"}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringLike: {"${ISSUER_HOST}:sub": "system:serviceaccount:team-%d:*"}
            StringEquals: {"${ISSUER_HOST}:aud": sts.amazonaws.com}
    inlinePolicies:
      describe: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "ec2:DescribeInstances", Resource: "*"}]}
`, r, r%10)
	}
	b.WriteString(`namespaces:
  - name: litmus
    agentRBAC: true
    serviceAccounts:
      - {name: litmus-admin, role: chaos-ec2}
      - {name: unannotated}
      - {name: malformed, roleArn: "arn:aws:iam::12345:role/chaos-ec2"}
    pods:
      - {name: ec2-terminate-runner, serviceAccount: litmus-admin, fsGroup: 65532, runAsUser: 65532, runAsNonRoot: true}
    chaos:
      - kind: ChaosExperiment
        metadata: {name: ec2-terminate-by-id}
        spec:
          definition:
            image: litmuschaos/go-runner:3.10.0
            args: [-c, ./experiments -name ec2-terminate-by-id]
            command: [/bin/bash]
            env: [{name: TOTAL_CHAOS_DURATION, value: "30"}]
      - kind: ChaosEngine
        metadata: {name: ec2-chaos}
        spec:
          chaosServiceAccount: litmus-admin
          experiments:
            - name: ec2-terminate-by-id
              spec:
                components: {env: [{name: REGION, value: "${REGION}"}]}
                # The fault starts only when podcred's verdict is pass (experiment.gate).
                probe:
                  - name: podcred-report-pass
                    type: k8sProbe
                    mode: SOT
                    k8sProbe/inputs:
                      group: ""
                      version: v1
                      resource: configmaps
                      namespace: litmus
                      fieldSelector: metadata.name=podcred-litmus-admin
                      labelSelector: app.kubernetes.io/managed-by=podcred,podcred.io/service-account=litmus-admin,podcred.io/verdict=pass
                      operation: present
                    runProperties: {probeTimeout: "10s", interval: "5s", stopOnFailure: true}
`)
	for ns := 0; ns < 10 && sas > 0; ns++ {
		fmt.Fprintf(&b, "  - name: team-%d\n    serviceAccounts:\n", ns)
		for i := ns; i < sas; i += 10 {
			// Namespace team-N holds sa-N, sa-N+10, ...; they alternate between
			// team-role-N and team-role-N+10, which both trust team-N.
			fmt.Fprintf(&b, "      - {name: sa-%03d, role: team-role-%02d}\n", i, (((i/10)%2)*10+ns)%roles)
		}
	}
	return b.String()
}

// loadInlineWorld loads a world given as YAML text into the running sandbox.
func loadInlineWorld(t *testing.T, name, text string) {
	t.Helper()
	s := sb(t)
	if suite.world == name {
		return
	}
	w, err := world.ParseWorld([]byte(text))
	if err != nil {
		t.Fatalf("world %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), loadTimeout)
	defer cancel()
	started := time.Now()
	suite.world = ""
	if err := s.Load(ctx, w); err != nil {
		t.Fatalf("load world %s: %v", name, err)
	}
	suite.world = name
	t.Logf("world %s loaded in %s", name, time.Since(started).Round(time.Millisecond))
}

const (
	preflightRoles = 20
	preflightSAs   = 200
)

// TestPreflightHealthySetUpPassesEveryStep checks the right set-up from
// outside, then runs the agent as the verification Job: there is no kubelet
// in the sandbox, so --local-agent runs the Job's pod spec as a local
// podcred-agent process (see preflightcli.LocalAgentRunner for how that
// differs from a real cluster); the verdict still travels through the
// agent's ConfigMap, and the Job is deleted afterwards.
func TestPreflightHealthySetUpPassesEveryStep(t *testing.T) {
	defer stopOnPanic()
	loadInlineWorld(t, "preflight", preflightWorld(preflightRoles, preflightSAs))
	r := preflightCheck(t, "litmus", "litmus-admin", "--cluster", "preflight-lab", "--fault", "ec2-stop-by-id",
		"--run-job", "--local-agent", suite.bins.agent, "--job-timeout", "90s")
	for _, c := range r.report.Checks {
		// An IRSA-only ServiceAccount: the EKS Pod Identity checks do not apply.
		irsaOnly := strings.HasPrefix(c.ID, "podidentity.") && c.Status == report.StatusSkip && c.Evidence["mechanism"] == "irsa"
		if c.Status != report.StatusPass && !irsaOnly {
			t.Errorf("%s = %s: %s (fix: %s)", c.ID, c.Status, c.Message, c.Remedy)
		}
	}
	if r.report.Verdict != report.VerdictPass || r.code != cli.ExitPass {
		t.Errorf("verdict %s, exit %d\nstderr: %s", r.report.Verdict, r.code, r.stderr)
	}
	job := r.report.Check(preflight.IDJobVerification)
	if job.Evidence["sts.assume-role"] != "pass" || r.report.Identity == nil || !strings.Contains(r.report.Identity.Arn, ":assumed-role/chaos-ec2/") {
		t.Errorf("the job's agent report was not merged: %+v identity %+v", job, r.report.Identity)
	}
	for _, phrase := range []string{"created Job litmus/podcred-verify-litmus-admin", "agent verdict pass"} {
		if !strings.Contains(string(r.stderr), phrase) {
			t.Errorf("progress lacks %q:\n%s", phrase, r.stderr)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if jobs, err := sb(t).ControlPlane().Client.BatchV1().Jobs("litmus").List(ctx, metav1.ListOptions{}); err != nil || len(jobs.Items) != 0 {
		t.Errorf("the verification Job was left behind (%v): %+v", err, jobs)
	}
	suite.outputs.snapshotNamespace(t, "litmus")

	for _, tc := range []struct {
		sa      string
		phrases []string
	}{
		{"unannotated", []string{"has no eks.amazonaws.com/role-arn annotation", "kubectl annotate serviceaccount -n litmus unannotated eks.amazonaws.com/role-arn="}},
		{"malformed", []string{"want 12 digits", "kubectl annotate serviceaccount -n litmus malformed"}},
	} {
		r := preflightCheck(t, "litmus", tc.sa, "--cluster", "preflight-lab", "--role-arn", "arn:aws:iam::"+sb(t).World().Account+":role/chaos-ec2")
		wantCheck(t, r, preflight.IDSARoleAnnotation, report.StatusFail, tc.phrases...)
		wantCheck(t, r, preflight.IDSARoleAnnotation, report.StatusFail, "eks.amazonaws.com/role-arn=arn:aws:iam::"+sb(t).World().Account+":role/chaos-ec2 --overwrite")
	}

	junit := runPreflight(t, "check", "-n", "litmus", "--service-account", "malformed", "--cluster", "preflight-lab", "--format", "junit")
	if junit.code != cli.ExitFail || !bytes.Contains(junit.stdout, []byte(`<testcase name="sa.role-annotation"`)) || !bytes.Contains(junit.stdout, []byte("<failure ")) {
		t.Errorf("junit output (exit %d):\n%s", junit.code, junit.stdout)
	}
}

// TestPreflightAuditFetchesEachIAMObjectOnce audits 200 ServiceAccounts
// sharing 20 roles and counts, at the STS front, the IAM calls it makes:
// they grow with roles and providers, not with ServiceAccounts.
func TestPreflightAuditFetchesEachIAMObjectOnce(t *testing.T) {
	defer stopOnPanic()
	loadInlineWorld(t, "preflight", preflightWorld(preflightRoles, preflightSAs))
	front := sb(t).Front()
	front.ResetCalls()
	r := runPreflight(t, "audit", "-A", "--cluster", "preflight-lab", "--format", "text", "--fault", "ec2-stop-by-id")
	calls := front.Calls()
	roles := preflightRoles + 1 // the teams' roles and chaos-ec2 (the malformed annotation names none)
	iamTotal := 0
	for call, n := range calls {
		if strings.HasPrefix(call, "iam:") {
			iamTotal += n
		}
	}
	t.Logf("calls at the front: %v", calls)
	for call, max := range map[string]int{
		"iam:ListOpenIDConnectProviders": 1, "iam:GetOpenIDConnectProvider": 1, "eks:DescribeCluster": 1,
		"iam:GetRole": roles, "iam:ListAttachedRolePolicies": roles, "iam:ListRolePolicies": roles, "iam:GetRolePolicy": roles,
		"iam:SimulatePrincipalPolicy": roles,
	} {
		if calls[call] > max || calls[call] == 0 && call != "iam:SimulatePrincipalPolicy" {
			t.Errorf("%s: %d calls, want between 1 and %d", call, calls[call], max)
		}
	}
	if iamTotal > 6*roles+2 {
		t.Errorf("%d IAM calls for %d roles and %d ServiceAccounts", iamTotal, roles, preflightSAs)
	}
	out := string(r.stdout)
	for _, want := range []string{"podcred-preflight audit of all namespaces", fmt.Sprintf("%d ServiceAccounts", preflightSAs+2),
		"NAMESPACE", "SERVICEACCOUNT", "team-3", "sa-123", "malformed", "sa.role-annotation"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %q", want)
		}
	}
	if r.code != cli.ExitFail {
		t.Errorf("audit exit %d, want 3 (the malformed annotation fails)", r.code)
	}
}
