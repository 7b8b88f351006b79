package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	corev1 "k8s.io/api/core/v1"

	"github.com/podcred/podcred/internal/sandbox/eksauth"
	"github.com/podcred/podcred/pkg/podiam"
)

// PodIdentityAssociation is an EKS Pod Identity association of a world: the
// loader creates it through the front's EKS API, as `aws eks
// create-pod-identity-association` would.
type PodIdentityAssociation struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	// Role names a role of the world (arn:aws:iam::ACCOUNT:role/ROLE).
	Role string `json:"role"`
}

// frontHandler routes the Pod Identity APIs (eks association operations and
// eks-auth AssumeRoleForPodIdentity, which moto lacks) to svc, everything else
// to the STS front.
func frontHandler(front http.Handler, svc *eksauth.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if eksauth.Handles(r) {
			svc.ServeHTTP(w, r)
			return
		}
		front.ServeHTTP(w, r)
	})
}

// startPodIdentityAgent starts the loopback Pod Identity agent for cluster,
// calling eks-auth at the front with the administrator's keys (the node
// role's, on EKS).
func (s *Sandbox) startPodIdentityAgent(cluster, region string) error {
	a, err := eksauth.StartAgent(eksauth.AgentOptions{
		EKSAuthURL: s.front.url, ClusterName: cluster, Region: region, Logger: s.log,
		Credentials: credentials.NewStaticCredentialsProvider(AdminAccessKeyID, AdminSecretAccessKey, ""),
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
func applyPodIdentity(ctx context.Context, client *eks.Client, w *World) error {
	for _, a := range w.PodIdentityAssociations {
		_, err := client.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
			ClusterName: aws.String(w.Cluster.Name), Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount),
			RoleArn: aws.String(RoleARN(w.Account, a.Role)),
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
	if s.podIDAgent == nil || s.front.podID.ForServiceAccount(s.podIDAgent.ClusterName(), ns, sa) == nil {
		return ""
	}
	return s.podIDAgent.URL
}

// injectPodIdentity mutates pod as the pod identity webhook does for an SA
// with an association (aws/amazon-eks-pod-identity-webhook pkg/handler/handler.go:
// buildPodPatchConfig — "Container credentials method takes precedence", so an
// IRSA annotation on the same SA adds nothing — and addEnvToContainer): region
// and regional STS, AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE unless the container sets either, and
// the projected token (audience pods.eks.amazonaws.com) mounted read-only.
func injectPodIdentity(spec *corev1.PodSpec, fullURI, region string) {
	for _, cs := range []([]corev1.Container){spec.InitContainers, spec.Containers} {
		for i := range cs {
			c := &cs[i]
			if !hasEnv(c.Env, podiam.EnvSTSRegionalEndpoints) {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvSTSRegionalEndpoints, Value: "regional"})
			}
			if !hasEnv(c.Env, podiam.EnvRegion) && !hasEnv(c.Env, podiam.EnvDefaultRegion) && region != "" {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvDefaultRegion, Value: region}, corev1.EnvVar{Name: podiam.EnvRegion, Value: region})
			}
			if !hasEnv(c.Env, podiam.EnvContainerCredsFullURI) && !hasEnv(c.Env, podiam.EnvContainerAuthTokenFile) {
				c.Env = append(c.Env, corev1.EnvVar{Name: podiam.EnvContainerCredsFullURI, Value: fullURI},
					corev1.EnvVar{Name: podiam.EnvContainerAuthTokenFile, Value: podiam.PodIdentityTokenPath})
			}
			if !hasMount(c.VolumeMounts, podiam.PodIdentityTokenVolume) {
				c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: podiam.PodIdentityTokenVolume, ReadOnly: true, MountPath: podiam.PodIdentityTokenDir})
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == podiam.PodIdentityTokenVolume {
			return
		}
	}
	exp := defaultExpSecs
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: podiam.PodIdentityTokenVolume, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: podiam.PodIdentityAudience, ExpirationSeconds: &exp, Path: "eks-pod-identity-token"},
		}}},
	}})
}

func hasMount(mounts []corev1.VolumeMount, name string) bool {
	for _, m := range mounts {
		if m.Name == name {
			return true
		}
	}
	return false
}

// validatePodIdentity checks the world's associations name its roles.
func (w *World) validatePodIdentity() error {
	roles := map[string]bool{}
	for _, r := range w.Roles {
		roles[r.Name] = true
	}
	var errs []error
	for _, a := range w.PodIdentityAssociations {
		if a.Namespace == "" || a.ServiceAccount == "" || !roles[a.Role] {
			errs = append(errs, fmt.Errorf("podIdentityAssociations %s/%s: want namespace, serviceAccount and the name of a role of the world (got %q)", a.Namespace, a.ServiceAccount, a.Role))
		}
	}
	return errors.Join(errs...)
}

// podIdentityURI is podIdentity, or "" when the loader has none (tests).
func (k *kubeLoader) podIdentityURI(ns, sa string) string {
	if k.podIdentity == nil {
		return ""
	}
	return k.podIdentity(ns, sa)
}

// podIdentityURI is podIdentity, or "" when the webhook has none (tests).
func (w *podWebhook) podIdentityURI(ns, sa string) string {
	if w.podIdentity == nil {
		return ""
	}
	return w.podIdentity(ns, sa)
}

// sdkArgs are the agent's --experiment-sdk arguments for sc (none when unset).
func sdkArgs(sc Scenario) []string {
	if sc.ExperimentSDK == "" {
		return nil
	}
	return []string{"--experiment-sdk", sc.ExperimentSDK}
}
