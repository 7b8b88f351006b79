package preflightcli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/agenttest"
	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
	"github.com/podcred/podcred/pkg/verdict/typedcore"
)

const (
	host     = "oidc.eks.us-east-1.amazonaws.com/id/CLI0123456789"
	issuer   = "https://" + host
	provider = "arn:aws:iam::123456789012:oidc-provider/" + host
	roleARN  = "arn:aws:iam::123456789012:role/chaos-ec2"
)

func trustFor(sub string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity",` +
		`"Condition":{"StringLike":{"` + host + `:sub":"` + sub + `"},"StringEquals":{"` + host + `:aud":"sts.amazonaws.com"}}}]}`
}

// mockIAM answers the IAM calls from memory (function-typed, per STYLE).
type mockIAM struct {
	trust   map[string]string // role name -> trust policy
	allowed []string
}

func notFound(msg string) error { return &smithy.GenericAPIError{Code: "NoSuchEntity", Message: msg} }

func (m *mockIAM) ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	return &iam.ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: []iamtypes.OpenIDConnectProviderListEntry{{Arn: aws.String(provider)}}}, nil
}
func (m *mockIAM) GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	return &iam.GetOpenIDConnectProviderOutput{Url: aws.String(host), ClientIDList: []string{"sts.amazonaws.com"}}, nil
}
func (m *mockIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	t, ok := m.trust[aws.ToString(in.RoleName)]
	if !ok {
		return nil, notFound("no role")
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{RoleName: in.RoleName, AssumeRolePolicyDocument: aws.String(url.PathEscape(t))}}, nil
}
func (m *mockIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	out := &iam.SimulatePrincipalPolicyOutput{}
	for _, a := range in.ActionNames {
		d := iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		if slices.Contains(m.allowed, a) {
			d = iamtypes.PolicyEvaluationDecisionTypeAllowed
		}
		out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: d})
	}
	return out, nil
}
func (m *mockIAM) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return &iam.ListAttachedRolePoliciesOutput{}, nil
}
func (m *mockIAM) ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return &iam.ListRolePoliciesOutput{PolicyNames: []string{"faults"}}, nil
}
func (m *mockIAM) GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	doc := `{"Statement":{"Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances","ec2:DescribeInstances","ec2:DescribeInstanceStatus","autoscaling:DescribeAutoScalingInstances"],"Resource":"*"}}`
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(url.PathEscape(doc))}, nil
}
func (m *mockIAM) GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return nil, notFound("no policy")
}
func (m *mockIAM) GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	return nil, notFound("no version")
}

type world struct {
	kube *fake.Clientset
	iam  *mockIAM
}

func newWorld(objs ...runtime.Object) *world {
	return &world{kube: fake.NewClientset(objs...), iam: &mockIAM{
		trust:   map[string]string{"chaos-ec2": trustFor("system:serviceaccount:litmus:litmus-admin")},
		allowed: []string{"ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "autoscaling:DescribeAutoScalingInstances"},
	}}
}

func sa(ns, name, role string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{podiam.AnnotationRoleARN: role}}}
}

// run executes the command line and returns the exit code and outputs.
func (w *world) run(t *testing.T, runner preflight.JobRunner, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := NewCommand(Streams{Out: &out, Err: &errb, LookupEnv: func(string) (string, bool) { return "", false }}, Deps{
		Kube: func(*genericclioptions.ConfigFlags) (kubernetes.Interface, dynamic.Interface, *rest.Config, error) {
			return w.kube, nil, &rest.Config{Host: "https://127.0.0.1:1"}, nil
		},
		AWS: func(context.Context, time.Duration) (preflight.IAMAPI, preflight.DescribeClusterAPI, error) {
			return w.iam, nil, nil
		},
		JobRunner: runner,
	})
	cmd.SetArgs(args)
	code := cli.Main(cmd, &errb)
	return code, out.String(), errb.String()
}

func TestCheckHealthyServiceAccountExitsZeroWithAJSONReport(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN))
	code, out, stderr := w.run(t, nil, "check", "-n", "litmus", "--service-account", "litmus-admin", "--issuer", issuer, "--fault", "ec2-stop-by-id")
	if code != cli.ExitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, out)
	}
	if r.Kind != report.KindPreflight || len(r.Checks) != len(preflight.Specs) || r.Check(preflight.IDIAMPermissions).Status != report.StatusPass {
		t.Fatalf("report %+v", r)
	}
}

func TestCheckFailuresExitThreeInEveryFormat(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN))
	w.iam.trust["chaos-ec2"] = trustFor("system:serviceaccount:default:litmus-admin")
	base := []string{"check", "-n", "litmus", "--service-account", "litmus-admin", "--issuer", issuer}

	code, out, _ := w.run(t, nil, append(base, "--format", "junit")...)
	var suites struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != cli.ExitFail || suites.Failures == 0 {
		t.Fatalf("junit: exit %d, err %v\n%s", code, err, out)
	}
	code, out, _ = w.run(t, nil, append(base, "--format", "markdown")...)
	if code != cli.ExitFail || !strings.Contains(out, "| Step | Check | Status | Message | Fix |") || !strings.Contains(out, "`trust.subject`") {
		t.Fatalf("markdown: exit %d\n%s", code, out)
	}
	code, out, _ = w.run(t, nil, append(base, "--format", "text")...)
	if code != cli.ExitFail || !strings.Contains(out, "FAIL   trust.subject") || !strings.Contains(out, "aws iam update-assume-role-policy --role-name chaos-ec2") {
		t.Fatalf("text: exit %d\n%s", code, out)
	}
}

func TestCheckStrictTurnsAWarningIntoExitFour(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN))
	w.iam.trust["chaos-ec2"] = trustFor("system:serviceaccount:litmus:*")
	args := []string{"check", "-n", "litmus", "--service-account", "litmus-admin", "--issuer", issuer, "--format", "json"}
	if code, out, _ := w.run(t, nil, args...); code != cli.ExitPass || !strings.Contains(out, `"verdict": "warn"`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, _, _ := w.run(t, nil, append(args, "--strict")...); code != cli.ExitWarnStrict {
		t.Fatalf("--strict: exit %d", code)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	w := newWorld()
	for name, args := range map[string][]string{
		"no service account":   {"check", "-n", "litmus"},
		"cluster and issuer":   {"check", "-n", "litmus", "--service-account", "x", "--cluster", "c", "--issuer", issuer},
		"http issuer":          {"check", "-n", "litmus", "--service-account", "x", "--issuer", "http://" + host},
		"unknown fault":        {"check", "-n", "litmus", "--service-account", "x", "--fault", "pod-delete"},
		"unknown format":       {"check", "-n", "litmus", "--service-account", "x", "--format", "yaml"},
		"bad role ARN":         {"check", "-n", "litmus", "--service-account", "x", "--role-arn", "arn:aws:iam::1:role/x"},
		"local agent, no job":  {"check", "-n", "litmus", "--service-account", "x", "--local-agent", "/bin/true"},
		"unknown flag":         {"check", "--nope"},
		"-A with -n":           {"audit", "-A", "-n", "litmus"},
		"unknown subcommand":   {"nope"},
		"bad env duration":     {"check", "-n", "litmus", "--service-account", "x", "--call-timeout", "-1s"},
		"zero audit workers":   {"audit", "-A", "--workers", "0"},
		"negative job timeout": {"check", "-n", "litmus", "--service-account", "x", "--job-timeout", "0s"},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out, stderr := w.run(t, nil, args...); code != cli.ExitUsage {
				t.Fatalf("exit %d, want 2\n%s\n%s", code, out, stderr)
			}
		})
	}
}

// agentRunner publishes an agent report, as the agent in the Job's pod does.
type agentRunner struct{ verdict report.Verdict }

func (a agentRunner) RunJob(ctx context.Context, c kubernetes.Interface, job *batchv1.Job) error {
	st := report.StatusPass
	if a.verdict == report.VerdictFail {
		st = report.StatusFail
	}
	r := &report.Report{SchemaVersion: report.SchemaVersion, Kind: report.KindAgent,
		Subject:   report.Subject{Namespace: job.Namespace, ServiceAccount: job.Spec.Template.Spec.ServiceAccountName, RoleArn: roleARN},
		StartedAt: time.Now(), Checks: agenttest.AgentChecks(st)}
	r.Finish(time.Now())
	return verdict.NewConfigMapSink(typedcore.New(c.CoreV1())).Write(ctx, r)
}

func TestCheckRunJobMergesTheAgentsVerdict(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN))
	args := []string{"check", "-n", "litmus", "--service-account", "litmus-admin", "--issuer", issuer, "--run-job", "--format", "json"}
	code, out, stderr := w.run(t, agentRunner{report.VerdictPass}, args...)
	if code != cli.ExitPass || !strings.Contains(stderr, "created Job litmus/podcred-verify-litmus-admin") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var r report.Report
	_ = json.Unmarshal([]byte(out), &r)
	if c := r.Check(preflight.IDJobVerification); c == nil || c.Status != report.StatusPass || c.Evidence[credcheck.IDSTSAssumeRole] != "pass" {
		t.Fatalf("job.verification %+v", c)
	}
	if code, _, _ := w.run(t, agentRunner{report.VerdictFail}, args...); code != cli.ExitFail {
		t.Fatalf("failing agent: exit %d", code)
	}
}

func TestAuditPrintsASummaryAndEveryReport(t *testing.T) {
	w := newWorld(sa("litmus", "litmus-admin", roleARN), sa("litmus", "runner", roleARN), sa("ops", "other", "arn:aws:iam::123456789012:role/gone"),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "plain"}})
	code, out, stderr := w.run(t, nil, "audit", "-A", "--issuer", issuer, "--format", "text")
	if code != cli.ExitFail {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"podcred-preflight audit of all namespaces — verdict FAIL, 3 ServiceAccounts", "NAMESPACE", "litmus-admin",
		"ops", "iam.role-exists", "trust.subject", "Step 2 — IAM role and trust policy"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %q", want)
		}
	}
	if strings.Contains(out, "plain") {
		t.Error("an unannotated ServiceAccount was audited")
	}
	_, out, _ = w.run(t, nil, "audit", "-n", "litmus", "--issuer", issuer, "--format", "json")
	var doc auditDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Kind != KindPreflightAudit || len(doc.Summary) != 2 || len(doc.Reports) != 2 || doc.Namespace != "litmus" {
		t.Fatalf("json audit: %v %+v", err, doc.Summary)
	}
	_, out, _ = w.run(t, nil, "audit", "-A", "--issuer", issuer, "--format", "markdown")
	if !strings.Contains(out, "| Namespace | ServiceAccount | Mechanism | Role | Verdict | Failing | Warnings |") {
		t.Fatalf("markdown audit:\n%s", out)
	}
}
