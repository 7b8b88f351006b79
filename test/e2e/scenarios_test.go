package e2e

import (
	"slices"
	"testing"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// demoCase runs the agent on one scenario of examples/worlds/demo.yaml. The
// verdict (and the check it hinges on) come from the world file; the exit
// code, the check's status and what it must say are asserted here.
type demoCase struct {
	name     string // what the case proves
	scenario string // in demo.yaml
	args     []string
	code     int
	check    string
	status   report.Status
	phrases  []string // each in the check's message or remedy
}

var demoCases = []demoCase{
	{name: "the healthy set-up passes as its own role", scenario: "healthy",
		code: cli.ExitPass, check: "sts.caller-identity", status: report.StatusPass, phrases: []string{"assumed-role/chaos-ec2/"}},
	{name: "a trust policy naming another namespace is refused with AccessDenied", scenario: "wrong-namespace",
		code: cli.ExitFail, check: "sts.assume-role", status: report.StatusFail,
		phrases: []string{"AccessDenied", "does not let system:serviceaccount:litmus:wrong-namespace assume it", "update-assume-role-policy"}},
	{name: "StringEquals with a wildcard in sub matches no ServiceAccount", scenario: "wildcard-string-equals",
		code: cli.ExitFail, check: "sts.assume-role", status: report.StatusFail, phrases: []string{"AccessDenied"}},
	{name: "StringLike with the same wildcard lets the ServiceAccount in", scenario: "wildcard-string-like",
		code: cli.ExitPass, check: "sts.assume-role", status: report.StatusPass, phrases: []string{"chaos-wildcard-like"}},
	{name: "a pod started before the role annotation has no AWS_ROLE_ARN", scenario: "pod-before-annotation",
		code: cli.ExitFail, check: "env.role-arn", status: report.StatusFail, phrases: []string{"AWS_ROLE_ARN"}},
	{name: "an expired token fails token.claims", scenario: "expired-token",
		code: cli.ExitFail, check: "token.claims", status: report.StatusFail, phrases: []string{"expired"}},
	{name: "static keys in the environment fail creds.static-env", scenario: "static-keys",
		code: cli.ExitFail, check: "creds.static-env", status: report.StatusFail, phrases: []string{"AWS_ACCESS_KEY_ID"}},
	{name: "the Litmus cloud-secret file warns on creds.shared-file", scenario: "cloud-secret",
		code: cli.ExitPass, check: "creds.shared-file", status: report.StatusWarn, phrases: []string{"cloud_config.yml"}},
	{name: "the cloud-secret warning exits 4 with --strict", scenario: "cloud-secret", args: []string{"--strict"},
		code: cli.ExitWarnStrict, check: "creds.shared-file", status: report.StatusWarn},
	{name: "a node role served through IMDS fails isolation.imds", scenario: "imds-reachable",
		code: cli.ExitFail, check: "isolation.imds", status: report.StatusFail, phrases: []string{"eks-node-role"}},
	{name: "another experiment's role scoped to its own ServiceAccount refuses this token", scenario: "cross-role-scoped",
		code: cli.ExitPass, check: "isolation.cross-role", status: report.StatusPass, phrases: []string{"refused"}},
	{name: "a role without a sub condition accepts this token", scenario: "cross-role-unscoped",
		code: cli.ExitFail, check: "isolation.cross-role", status: report.StatusFail, phrases: []string{"chaos-unscoped"}},
	{name: "an aws-sdk-go-v2 experiment gets no credentials from a leftover AWS_PROFILE", scenario: "leftover-profile-go-v2",
		code: cli.ExitFail, check: "chain.source", status: report.StatusFail, phrases: []string{"aws-sdk-go-v2", "left-over"}},
	{name: "litmus-go's aws-sdk-go v1.38.59 ignores the missing profile and uses web identity", scenario: "leftover-profile-litmus",
		code: cli.ExitPass, check: "chain.source", status: report.StatusPass,
		phrases: []string{"aws-sdk-go v1.38.59", "WebIdentityCredentials", "assumed-role/chaos-ec2/"}},
}

// Scenarios 2-4 and 7-11: each classic misconfiguration of the tour, next to
// the healthy set-up, gets the verdict, exit code and failing check it should.
func TestDemoScenarios(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	for _, tc := range demoCases {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			sc := scenario(t, tc.scenario)
			if sc.Check != "" && sc.Check != tc.check {
				t.Fatalf("demo.yaml says scenario %s hinges on %s, this case on %s", sc.Name, sc.Check, tc.check)
			}
			r := verify(t, scenarioEnv(t, sc), slices.Concat(sc.Args, tc.args)...)
			wantOutcome(t, r, report.Verdict(sc.Expect), tc.code, tc.check, tc.status, tc.phrases...)
			wantPublished(t, r)
		})
	}
}

// The tour's world file and the suite stay in step: a scenario added to
// demo.yaml needs a case here.
func TestEveryDemoScenarioHasACase(t *testing.T) {
	defer stopOnPanic()
	useWorld(t, demoWorld)
	covered := map[string]bool{}
	for _, tc := range demoCases {
		covered[tc.scenario] = true
	}
	for _, sc := range sb(t).World().Scenarios {
		if !covered[sc.Name] {
			t.Errorf("demo.yaml scenario %q has no case in demoCases", sc.Name)
		}
	}
}
