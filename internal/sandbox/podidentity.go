package sandbox

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/eksauth"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// startPodIdentityAgent starts the loopback Pod Identity agent for cluster,
// calling eks-auth at the front with the administrator's keys (the node
// role's, on EKS).
func (s *Sandbox) startPodIdentityAgent(cluster, region string) error {
	a, err := eksauth.StartAgent(eksauth.AgentOptions{
		EKSAuthURL: s.front.URL(), ClusterName: cluster, Region: region, Logger: s.log,
		Credentials: credentials.NewStaticCredentialsProvider(awsemu.AdminAccessKeyID, awsemu.AdminSecretAccessKey, ""),
	})
	if err != nil {
		return fmt.Errorf("pod identity agent: %w", err)
	}
	s.podIDAgent = a
	return nil
}

// PodIdentityAgentURL is AWS_CONTAINER_CREDENTIALS_FULL_URI in the sandbox's
// pods: the loopback Pod Identity agent (EKS: http://169.254.170.23/v1/credentials).
func (s *Sandbox) PodIdentityAgentURL() string {
	if s.podIDAgent == nil {
		return ""
	}
	return s.podIDAgent.URL
}

// applyPodIdentity creates the world's associations through the front.
func applyPodIdentity(ctx context.Context, client *eks.Client, w *world.World) error {
	for _, a := range w.PodIdentityAssociations {
		_, err := client.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
			ClusterName: aws.String(w.Cluster.Name), Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount),
			RoleArn: aws.String(awsemu.RoleARN(w.Account, a.Role)),
		})
		if err != nil {
			return fmt.Errorf("pod identity association %s/%s: %w", a.Namespace, a.ServiceAccount, err)
		}
	}
	return nil
}

// podIdentityURI is what EKS tells its pod identity webhook about ns/sa: the
// agent's URI when the SA has an association, else "".
func (s *Sandbox) podIdentityURI(ns, sa string) string {
	if s.podIDAgent == nil || s.front.PodID().ForServiceAccount(s.podIDAgent.ClusterName(), ns, sa) == nil {
		return ""
	}
	return s.podIDAgent.URL
}

// podIdentityURI is podIdentity, or "" when the loader has none (tests).
func (k *kubeLoader) podIdentityURI(ns, sa string) string {
	if k.podIdentity == nil {
		return ""
	}
	return k.podIdentity(ns, sa)
}

// sdkArgs are the agent's --experiment-sdk arguments for sc (none when unset).
func sdkArgs(sc world.Scenario) []string {
	if sc.ExperimentSDK == "" {
		return nil
	}
	return []string{"--experiment-sdk", sc.ExperimentSDK}
}
