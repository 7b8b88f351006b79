package preflightcli

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// podIdentitySource returns the EKS Pod Identity reader over the EKS client
// when it makes those calls (the SDK's *eks.Client does; test doubles that
// only describe clusters do not, and the podidentity.* checks then skip).
func podIdentitySource(c preflight.DescribeClusterAPI) *preflight.PodIdentitySource {
	api, ok := c.(preflight.PodIdentityAPI)
	if !ok {
		return nil
	}
	region := ""
	if ec, ok := c.(*eks.Client); ok {
		region = ec.Options().Region
	}
	return preflight.NewPodIdentitySource(api, region)
}

// addExperimentSDKFlag adds --experiment-sdk to audit.
func addExperimentSDKFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "experiment-sdk", preflight.DefaultExperimentSDK, "the experiments' SDK: podidentity.sdk judges whether it can use EKS Pod Identity: "+
		strings.Join(credcheck.ExperimentSDKs, ", ")+" (litmus-go: go-v1)")
}

// validExperimentSDK rejects an unknown --experiment-sdk (exit 2).
func validExperimentSDK(s string) error {
	if !slices.Contains(credcheck.ExperimentSDKs, s) {
		return usage("--experiment-sdk %q: valid values are %s", s, strings.Join(credcheck.ExperimentSDKs, ", "))
	}
	return nil
}

// mechanismOf reads which mechanism a report judged (irsa, pod-identity,
// irsa+pod-identity or none) from podidentity.association's evidence.
func mechanismOf(r *report.Report) string {
	for _, c := range r.Checks {
		if c.ID == preflight.IDPodIdentityAssociation {
			return c.Evidence["mechanism"]
		}
	}
	return ""
}
