package e2e

import (
	"testing"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// Scenarios 5 and 6: misconfigurations of the cluster's IAM OIDC provider
// concern every ServiceAccount, so they live in worlds of their own, loaded
// into the running sandbox.
func TestOIDCProviderMisconfigurations(t *testing.T) {
	defer stopOnPanic()
	for _, tc := range []struct {
		name     string
		world    string
		scenario string
		phrases  []string // in the sts.assume-role message or remedy
	}{
		{"no IAM OIDC provider for the issuer: STS finds none, eksctl associates one", noOIDCProviderWorld, "no-oidc-provider",
			[]string{"No OpenIDConnect provider found", "no IAM OIDC provider for the cluster's issuer", "eksctl utils associate-iam-oidc-provider"}},
		{"provider client IDs without sts.amazonaws.com: the audience is refused", wrongAudienceWorld, "wrong-audience",
			[]string{"Incorrect token audience", `does not list the token's audience "sts.amazonaws.com"`, "add-client-id-to-open-id-connect-provider"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer stopOnPanic()
			useWorld(t, tc.world)
			sc := scenario(t, tc.scenario)
			r := verify(t, scenarioEnv(t, sc))
			wantOutcome(t, r, report.Verdict(sc.Expect), cli.ExitFail, "sts.assume-role", report.StatusFail, tc.phrases...)
			wantPublished(t, r)
			if sc.Check != "sts.assume-role" {
				t.Errorf("%s says scenario %s hinges on %q, not sts.assume-role", tc.world, sc.Name, sc.Check)
			}
		})
	}
}
