package preflight

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/trustpolicy"
)

const (
	pfRole     = "arn:aws:iam::123456789012:role/chaos-ec2"
	pfProvider = "arn:aws:iam::123456789012:oidc-provider/" + corpusHost
)

var pfNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// pfTrust is a trust policy for litmus/litmus-admin with the given conditions.
func pfTrust(t *testing.T, conditions string) *trustpolicy.PolicyDocument {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + pfProvider + `"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + conditions + `}]}`
	p, err := trustpolicy.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pfPolicy(t *testing.T, doc string) *trustpolicy.PolicyDocument {
	t.Helper()
	p, err := trustpolicy.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const pfHealthyConditions = `{"StringEquals":{"` + corpusHost + `:sub":"system:serviceaccount:litmus:litmus-admin","` + corpusHost + `:aud":"sts.amazonaws.com"}}`

// healthyPreflightFacts are the facts of a set-up where every step is right.
func healthyPreflightFacts(t *testing.T) Facts {
	t.Helper()
	cat, err := DefaultFaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	faults, _ := cat.Resolve([]string{"ec2-stop-by-id"})
	var decisions []ActionDecision
	for _, a := range FaultActions(faults) {
		decisions = append(decisions, ActionDecision{Action: a, Decision: "allowed"})
	}
	fsGroup := int64(65532)
	agent := &report.Report{Verdict: report.VerdictPass, Identity: &report.Identity{Arn: "arn:aws:sts::123456789012:assumed-role/chaos-ec2/podcred-x"},
		Checks: []report.Check{{ID: credcheck.IDSTSAssumeRole, Status: report.StatusPass}}}
	return Facts{
		Now: pfNow, Namespace: "litmus", ServiceAccount: "litmus-admin", Cluster: "chaos-lab", Audience: podiam.DefaultAudience,
		Faults: faults,
		Issuer: IssuerFact{URL: "https://" + corpusHost, Source: IssuerFromEKS},
		SA:     SAFact{Found: true, RoleARN: pfRole, HasRoleAnnotation: true, AnnotatedAt: pfNow.Add(-48 * time.Hour)},
		Providers: &ProvidersFact{ARNs: []string{pfProvider}, Match: pfProvider, URL: corpusHost,
			ClientIDs: []string{podiam.DefaultAudience}},
		Role:        &RoleFact{Found: true, ARN: podiam.RoleARN{Partition: "aws", Account: "123456789012", Path: "/", Name: "chaos-ec2"}, Trust: pfTrust(t, pfHealthyConditions)},
		Permissions: &PermissionsFact{Actions: decisions},
		Grants: &GrantsFact{Policies: []GrantedPolicy{{Name: "ec2-faults", Doc: pfPolicy(t,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StopInstances","ec2:StartInstances","ec2:DescribeInstances","ec2:DescribeInstanceStatus","autoscaling:DescribeAutoScalingInstances"],"Resource":"*"}]}`)}}},
		Pods: &PodsFact{Pods: []PodFact{{
			Name: "ec2-terminate-runner", CreatedAt: pfNow.Add(-time.Hour), Phase: "Running", FSGroup: &fsGroup,
			Containers: []ContainerFact{{Name: "main", RoleARN: pfRole, TokenFile: podiam.TokenPath, TokenMounted: true, NonRoot: true}},
		}}},
		Chaos: &ChaosFact{Objects: []ChaosObject{
			{Kind: kindChaosExperiment, Name: "ec2-stop-by-id", Experiments: []string{"ec2-stop-by-id", "ec2-terminate-by-id"},
				Env: []ChaosEnv{{Name: "REGION", Path: "/spec/definition/env/0"}}},
			{Kind: kindChaosEngine, Name: "engine", ServiceAccount: "litmus-admin", Experiments: []string{"ec2-stop-by-id"}},
		}},
		Gate: gateFactsFrom(t, engineWith(k8sGate("SOT", passSelector, stopping))).Gate,
		Job:  &JobFact{JobName: "podcred-verify-litmus-admin", Report: agent},
		Nodes: &NodesFact{Nodes: []NodeFact{{Name: "ip-10-0-1-10.ec2.internal", ProviderID: "aws:///us-east-1a/i-0aaa", InstanceID: "i-0aaa",
			Zone: "us-east-1a", Metadata: &IMDSOptions{HTTPTokens: "required", HopLimit: 1, HTTPEndpoint: "enabled"}}}},
		Secrets: &SecretsFact{Secrets: map[string]SecretFact{}},
	}
}

func checkByID(t *testing.T, checks []report.Check, id string) report.Check {
	t.Helper()
	for _, c := range checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return report.Check{}
}

func TestEveryPreflightCheckPassesOnAHealthySetUp(t *testing.T) {
	checks := Evaluate(healthyPreflightFacts(t))
	if len(checks) != len(Specs) {
		t.Fatalf("%d checks, want %d", len(checks), len(Specs))
	}
	for i, c := range checks {
		if c.ID != Specs[i].ID || c.Step != Specs[i].Step {
			t.Errorf("check %d is %s step %d, want %s step %d", i, c.ID, c.Step, Specs[i].ID, Specs[i].Step)
		}
		want := report.StatusPass
		if podIdentityIDs[c.ID] { // an IRSA-only ServiceAccount: Pod Identity does not apply
			want = report.StatusSkip
		}
		if c.Status != want {
			t.Errorf("%s: %s: %s (fix: %s)", c.ID, c.Status, c.Message, c.Remedy)
		}
	}
}

var podIdentityIDs = map[string]bool{IDPodIdentityAssociation: true, IDPodIdentityTrust: true, IDPodIdentitySDK: true}

func TestPreflightChecksFailWithTheFixFilledIn(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, f *Facts)
		id     string
		status report.Status
		want   []string // substrings of message + remedy
	}{
		{"cluster not found", func(t *testing.T, f *Facts) {
			f.Issuer = IssuerFact{Source: IssuerFromEKS, Err: &podiam.CallError{Operation: "DescribeCluster", Code: "ResourceNotFoundException", Message: "No cluster found for name: chaos-lab."}}
		}, IDClusterOIDCIssuer, report.StatusFail, []string{"no cluster named chaos-lab", "--issuer"}},
		{"DescribeCluster denied", func(t *testing.T, f *Facts) {
			f.Issuer = IssuerFact{Source: IssuerFromEKS, Err: &podiam.CallError{Operation: "DescribeCluster", Code: "AccessDeniedException", Kind: podiam.KindRefused}}
		}, IDClusterOIDCIssuer, report.StatusError, []string{"eks:DescribeCluster", "aws eks describe-cluster --name chaos-lab"}},
		{"issuer unknown", func(t *testing.T, f *Facts) {
			f.Issuer = IssuerFact{Problem: "neither --cluster nor --issuer was given"}
		}, IDClusterOIDCIssuer, report.StatusError, []string{"--cluster NAME", "--issuer"}},
		{"issuer not https", func(t *testing.T, f *Facts) { f.Issuer.URL = "http://" + corpusHost }, IDClusterOIDCIssuer, report.StatusFail, []string{"not an https URL"}},
		{"no provider", func(t *testing.T, f *Facts) {
			f.Providers = &ProvidersFact{ARNs: []string{"arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"}}
		}, IDIAMOIDCProvider, report.StatusFail, []string{"eksctl utils associate-iam-oidc-provider --cluster chaos-lab --approve", pfProvider}},
		{"provider list denied", func(t *testing.T, f *Facts) {
			f.Providers = &ProvidersFact{ListErr: &podiam.CallError{Operation: "ListOpenIDConnectProviders", Code: "AccessDenied", Kind: podiam.KindRefused}}
		}, IDIAMOIDCProvider, report.StatusError, []string{"iam:ListOpenIDConnectProviders"}},
		{"provider lacks audience", func(t *testing.T, f *Facts) { f.Providers.ClientIDs = []string{"vault"} }, IDIAMOIDCAudience, report.StatusFail,
			[]string{"aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn " + pfProvider + " --client-id sts.amazonaws.com"}},
		{"role missing", func(t *testing.T, f *Facts) { f.Role = &RoleFact{ARN: f.Role.ARN} }, IDIAMRoleExists, report.StatusFail,
			[]string{"aws iam create-role --role-name chaos-ec2", "system:serviceaccount:litmus:litmus-admin"}},
		{"annotation names the role under another path", func(t *testing.T, f *Facts) {
			f.Role.ActualARN = "arn:aws:iam::123456789012:role/team/chaos-ec2"
		}, IDIAMRoleExists, report.StatusFail, []string{"has the ARN arn:aws:iam::123456789012:role/team/chaos-ec2", "matches the path",
			"kubectl annotate serviceaccount -n litmus litmus-admin eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/team/chaos-ec2"}},
		{"role found under the annotated ARN", func(t *testing.T, f *Facts) {
			f.Role.ActualARN = "arn:aws:iam::123456789012:role/chaos-ec2"
		}, IDIAMRoleExists, report.StatusPass, []string{"exists"}},
		{"role unreadable", func(t *testing.T, f *Facts) {
			f.Role = &RoleFact{ARN: f.Role.ARN, Err: &podiam.CallError{Operation: "GetRole", Code: "Throttling"}}
		}, IDIAMRoleExists, report.StatusError, []string{"iam:GetRole"}},
		{"broken trust JSON", func(t *testing.T, f *Facts) {
			_, err := trustpolicy.ParsePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`)
			f.Role.Trust, f.Role.TrustErr = nil, err
		}, IDTrustPrincipal, report.StatusFail, []string{"is broken", "invalid JSON", "aws iam update-assume-role-policy --role-name chaos-ec2"}},
		{"trust names the wrong host form", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfPolicy(t, `{"Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+corpusSwapped+`"},"Action":"sts:AssumeRoleWithWebIdentity"}}`)
		}, IDTrustPrincipal, report.StatusFail, []string{trustpolicy.LintProviderWrongHostForm, pfProvider}},
		{"trust allows only sts:AssumeRole", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfPolicy(t, `{"Statement":{"Effect":"Allow","Principal":{"Federated":"`+pfProvider+`"},"Action":"sts:AssumeRole"}}`)
		}, IDTrustPrincipal, report.StatusFail, []string{"allows sts:AssumeRole, not sts:AssumeRoleWithWebIdentity"}},
		{"trust for another namespace", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"`+corpusHost+`:sub":"system:serviceaccount:default:litmus-admin"}}`)
		}, IDTrustSubject, report.StatusFail, []string{"STS would refuse system:serviceaccount:litmus:litmus-admin", "system:serviceaccount:default:litmus-admin",
			`"` + corpusHost + `:sub":"system:serviceaccount:litmus:litmus-admin"`}},
		{"explicit deny", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfPolicy(t, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"`+pfProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":`+pfHealthyConditions+`},`+
				`{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"`+corpusHost+`:sub":"system:serviceaccount:litmus:*"}}}]}`)
		}, IDTrustSubject, report.StatusFail, []string{"statement 1", "denies", "Deny wins"}},
		{"unscoped trust", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"`+corpusHost+`:aud":"sts.amazonaws.com"}}`)
		}, IDTrustSubjectScoped, report.StatusFail, []string{"every ServiceAccount of the cluster"}},
		{"subject matches anything", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringLike":{"`+corpusHost+`:sub":"system:serviceaccount:*"}}`)
		}, IDTrustSubjectScoped, report.StatusFail, []string{"any ServiceAccount of the cluster"}},
		{"namespace-wide trust", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringLike":{"`+corpusHost+`:sub":"system:serviceaccount:litmus:*"},"StringEquals":{"`+corpusHost+`:aud":"sts.amazonaws.com"}}`)
		}, IDTrustSubjectScoped, report.StatusWarn, []string{"every ServiceAccount of namespace litmus"}},
		{"no aud condition", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"`+corpusHost+`:sub":"system:serviceaccount:litmus:litmus-admin"}}`)
		}, IDTrustAudience, report.StatusWarn, []string{corpusHost + ":aud", "sts.amazonaws.com"}},
		{"aud condition for another audience", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"`+corpusHost+`:sub":"system:serviceaccount:litmus:litmus-admin","`+corpusHost+`:aud":"vault"}}`)
		}, IDTrustAudience, report.StatusFail, []string{"[vault]", "sts.amazonaws.com"}},
		{"wildcard under StringEquals", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"`+corpusHost+`:sub":"system:serviceaccount:litmus:*"}}`)
		}, IDTrustOperators, report.StatusFail, []string{trustpolicy.LintWildcardWithoutLike, "StringLike"}},
		{"condition key for another issuer", func(t *testing.T, f *Facts) {
			f.Role.Trust = pfTrust(t, `{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/OLD:sub":"system:serviceaccount:litmus:litmus-admin"}}`)
		}, IDTrustOperators, report.StatusFail, []string{trustpolicy.LintForeignIssuerKey, corpusHost + ":sub"}},
		{"fault action missing", func(t *testing.T, f *Facts) {
			f.Permissions.Actions[len(f.Permissions.Actions)-1].Decision = "implicitDeny"
		}, IDIAMPermissions, report.StatusFail, []string{"ec2-terminate-by-id lacks", "aws iam put-role-policy --role-name chaos-ec2"}},
		{"simulation denied", func(t *testing.T, f *Facts) {
			f.Permissions = &PermissionsFact{Err: &podiam.CallError{Operation: "SimulatePrincipalPolicy", Code: "AccessDenied", Kind: podiam.KindRefused}}
		}, IDIAMPermissions, report.StatusError, []string{"iam:SimulatePrincipalPolicy"}},
		{"administrator access", func(t *testing.T, f *Facts) {
			f.Grants.Policies = append(f.Grants.Policies, GrantedPolicy{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		}, IDIAMLeastPrivilege, report.StatusWarn, []string{"AdministratorAccess is attached"}},
		{"star, iam:* and AssumeRole on any role", func(t *testing.T, f *Facts) {
			f.Grants.Policies = []GrantedPolicy{{Name: "broad", Doc: pfPolicy(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},`+
				`{"Effect":"Allow","Action":["iam:*","sts:AssumeRole","s3:GetObject","ec2:*"],"Resource":"*"}]}`)}}
		}, IDIAMLeastPrivilege, report.StatusWarn, []string{`allows every action ("*")`, "allows iam:*", "sts:AssumeRole on any role", "ec2:* where the faults need", "grants s3 actions"}},
		{"sa missing", func(t *testing.T, f *Facts) { f.SA = SAFact{} }, IDSAExists, report.StatusFail,
			[]string{"kubectl create serviceaccount -n litmus litmus-admin"}},
		{"sa unreadable", func(t *testing.T, f *Facts) { f.SA = SAFact{Err: errors.New("forbidden")} }, IDSAExists, report.StatusError, []string{"forbidden"}},
		{"annotation missing", func(t *testing.T, f *Facts) { f.SA.HasRoleAnnotation, f.SA.RoleARN = false, "" }, IDSARoleAnnotation, report.StatusFail,
			[]string{"kubectl annotate serviceaccount -n litmus litmus-admin eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<role> --overwrite"}},
		{"annotation malformed", func(t *testing.T, f *Facts) { f.SA.RoleARN = "arn:aws:iam::12345:role/chaos-ec2" }, IDSARoleAnnotation, report.StatusFail,
			[]string{"want 12 digits", "kubectl annotate serviceaccount -n litmus litmus-admin"}},
		{"annotation with stray whitespace", func(t *testing.T, f *Facts) { f.SA.RoleARN = pfRole + " " }, IDSARoleAnnotation, report.StatusFail,
			[]string{"whitespace", "eks.amazonaws.com/role-arn=" + pfRole + " --overwrite"}},
		{"annotation names another role", func(t *testing.T, f *Facts) {
			f.ExpectedRoleARN = "arn:aws:iam::123456789012:role/chaos-lambda"
		}, IDSARoleAnnotation, report.StatusFail,
			[]string{"eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/chaos-lambda --overwrite"}},
		{"cluster-autoscaler outside kube-system", func(t *testing.T, f *Facts) {
			cat, _ := DefaultFaultCatalogue()
			f.Faults, _ = cat.Resolve([]string{"cluster-autoscaler"})
		}, IDSARoleAnnotation, report.StatusFail, []string{"kube-system", "kubectl annotate serviceaccount -n kube-system litmus-admin"}},
		{"engine runs as another SA", func(t *testing.T, f *Facts) { f.Chaos.Objects[1].ServiceAccount = "default" }, IDSARoleAnnotation, report.StatusWarn,
			[]string{"ChaosEngine engine runs its experiments as serviceaccount default"}},
		{"pod older than the annotation", func(t *testing.T, f *Facts) {
			f.Pods.Pods[0].CreatedAt = f.SA.AnnotatedAt.Add(-time.Hour)
			f.Pods.Pods[0].Containers[0] = ContainerFact{Name: "main", NonRoot: true}
		}, IDPodsEnvInjected, report.StatusFail, []string{"before the annotation", "kubectl delete pod -n litmus ec2-terminate-runner"}},
		{"deployment pod with a stale role", func(t *testing.T, f *Facts) {
			f.Pods.Pods[0].Workload = "deployment/runner"
			f.Pods.Pods[0].Containers[0].RoleARN = "arn:aws:iam::123456789012:role/old"
		}, IDPodsEnvInjected, report.StatusFail, []string{"role/old", "kubectl rollout restart -n litmus deployment/runner"}},
		{"pods unreadable", func(t *testing.T, f *Facts) { f.Pods = &PodsFact{Err: errors.New("forbidden")} }, IDPodsEnvInjected, report.StatusError, []string{"forbidden"}},
		{"non-root without fsGroup", func(t *testing.T, f *Facts) { f.Pods.Pods[0].FSGroup = nil }, IDPodsTokenReadable, report.StatusWarn,
			[]string{"fsGroup", "ec2-terminate-runner"}},
		{"agent job fails", func(t *testing.T, f *Facts) {
			f.Job.Report = &report.Report{Verdict: report.VerdictFail, Checks: []report.Check{{ID: credcheck.IDSTSAssumeRole, Status: report.StatusFail, Message: "AccessDenied", Remedy: "fix the trust"}}}
		}, IDJobVerification, report.StatusFail, []string{"sts.assume-role=fail", "fix the trust"}},
		{"agent job times out", func(t *testing.T, f *Facts) {
			f.Job = &JobFact{JobName: "podcred-verify-litmus-admin", Err: errors.New("no report within 2m0s")}
		},
			IDJobVerification, report.StatusError, []string{"no report within", "kubectl -n litmus logs job/podcred-verify-litmus-admin"}},
		{"cloud-secret still mounted", func(t *testing.T, f *Facts) {
			f.Chaos.Objects[0].Secrets = []ChaosSecret{{Name: LitmusCloudSecret, MountPath: "/tmp/", Path: "/spec/definition/secrets/0"}}
			f.Chaos.Objects[0].Env = append(f.Chaos.Objects[0].Env, ChaosEnv{Name: podiam.EnvSharedCredsFile, Path: "/spec/definition/env/1"})
		}, IDExperimentCloudSecret, report.StatusFail, []string{"ChaosExperiment ec2-stop-by-id mounts secret cloud-secret at /tmp/",
			`kubectl -n litmus patch chaosexperiment ec2-stop-by-id --type=json -p='[{"op":"remove","path":"/spec/definition/secrets/0"},{"op":"remove","path":"/spec/definition/env/1"}]'`}},
		{"experiment missing", func(t *testing.T, f *Facts) { f.Chaos.MissingExperiment = "ec2-stop-by-tag" }, IDExperimentCloudSecret, report.StatusFail,
			[]string{"ChaosExperiment ec2-stop-by-tag does not exist"}},
		{"static keys in engine env", func(t *testing.T, f *Facts) {
			f.Chaos.Objects[1].Env = []ChaosEnv{{Name: "REGION", Path: "/spec/experiments/0/spec/components/env/0"},
				{Name: podiam.EnvAccessKeyID, Path: "/spec/experiments/0/spec/components/env/1"}, {Name: podiam.EnvSecretAccessKey, Path: "/spec/experiments/0/spec/components/env/2"}}
		}, IDExperimentStaticEnv, report.StatusFail, []string{"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
			`[{"op":"remove","path":"/spec/experiments/0/spec/components/env/2"},{"op":"remove","path":"/spec/experiments/0/spec/components/env/1"}]`}},
		{"static keys in a pod", func(t *testing.T, f *Facts) {
			f.Pods.Pods[0].Containers[0].StaticKeys = []string{podiam.EnvAccessKeyID}
		},
			IDExperimentStaticEnv, report.StatusFail, []string{"pod ec2-terminate-runner container main sets AWS_ACCESS_KEY_ID"}},
		{"chaos CRs unreadable", func(t *testing.T, f *Facts) { f.Chaos = &ChaosFact{Err: errors.New("forbidden")} }, IDExperimentStaticEnv, report.StatusError, []string{"forbidden"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := healthyPreflightFacts(t)
			c.mutate(t, &f)
			got := checkByID(t, Evaluate(f), c.id)
			text := got.Message + "\n" + got.Remedy
			if got.Status != c.status {
				t.Fatalf("%s = %s, want %s:\n%s", c.id, got.Status, c.status, text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s lacks %q:\n%s", c.id, w, text)
				}
			}
		})
	}
}

func TestPreflightChecksSkipNamingWhatTheyNeed(t *testing.T) {
	f := Facts{Namespace: "litmus", ServiceAccount: "litmus-admin", Audience: podiam.DefaultAudience,
		Issuer: IssuerFact{Problem: "neither --cluster nor --issuer was given"}}
	for _, c := range Evaluate(f) {
		switch c.ID {
		case IDClusterOIDCIssuer, IDSAExists:
			if c.Status == report.StatusSkip || c.Status == report.StatusPass {
				t.Errorf("%s = %s with nothing known", c.ID, c.Status)
			}
		default:
			if c.Status != report.StatusSkip || c.Message == "" {
				t.Errorf("%s = %s (%q), want a skip saying why", c.ID, c.Status, c.Message)
			}
		}
	}
}

func TestPreflightReportVerdictAndSubject(t *testing.T) {
	f := healthyPreflightFacts(t)
	r := BuildReport(f, pfNow, pfNow.Add(time.Second))
	if r.Kind != report.KindPreflight || r.Verdict != report.VerdictPass || r.Subject.RoleArn != pfRole || r.Subject.Cluster != "chaos-lab" {
		t.Fatalf("report %+v", r)
	}
	if r.Identity == nil || !strings.Contains(r.Identity.Arn, "assumed-role/chaos-ec2") {
		t.Errorf("identity from the job's report missing: %+v", r.Identity)
	}
	f.SA.HasRoleAnnotation = false
	if r := BuildReport(f, pfNow, pfNow); r.Verdict != report.VerdictFail || cli.ExitCode(r.Verdict, false) != cli.ExitFail {
		t.Errorf("verdict %s", r.Verdict)
	}
}
