package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

// annotateRemedy is the fix when the webhook injected nothing: annotate the SA, recreate the pod.
func annotateRemedy(f Facts) string {
	ns, sa := orPlaceholder(f.Pod.Namespace, "<namespace>"), orPlaceholder(f.Pod.ServiceAccount, "<service-account>")
	return fmt.Sprintf("kubectl annotate serviceaccount -n %s %s eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<role> --overwrite, "+
		"then recreate the pod: the pod identity webhook injects AWS_ROLE_ARN and the token only when a pod is created", ns, sa)
}

func orPlaceholder(v, placeholder string) string {
	if v == "" {
		return placeholder
	}
	return v
}

func checkEnvRoleARN(f Facts) result {
	if f.RoleARN == "" && !MechanismsOf(f).PodIdentity {
		return fail(fmt.Sprintf("AWS_ROLE_ARN is not set and neither is %s: this pod got neither IRSA nor EKS Pod Identity "+
			"(ServiceAccount not annotated and no Pod Identity association, pod created before either, or the EKS webhook is not running)",
			podiam.EnvContainerCredsFullURI), annotateRemedy(f)+"; or, for EKS Pod Identity: "+associateRemedy(f))
	}
	if f.RoleARN == "" {
		return fail("AWS_ROLE_ARN is not set: this pod did not get IRSA (ServiceAccount not annotated, "+
			"pod created before the annotation, or the pod identity webhook is not running)", annotateRemedy(f))
	}
	arn, err := podiam.ParseRoleARN(f.RoleARN)
	if err != nil {
		return fail("AWS_ROLE_ARN is malformed: "+err.Error(),
			"fix the eks.amazonaws.com/role-arn annotation of the ServiceAccount to a role ARN "+
				"(arn:aws:iam::<12-digit account>:role/<name>) and recreate the pod").With("roleArn", f.RoleARN)
	}
	return pass(fmt.Sprintf("AWS_ROLE_ARN names role %s in account %s", arn.Name, arn.Account)).With("roleArn", f.RoleARN)
}

func checkEnvTokenFile(f Facts) result {
	switch {
	case f.TokenFile == "":
		return fail("AWS_WEB_IDENTITY_TOKEN_FILE is not set: no web identity token was injected", annotateRemedy(f))
	case f.TokenPermissionDenied:
		return fail(fmt.Sprintf("token file %s is not readable by this container's user (permission denied)", f.TokenFile),
			"set the pod's securityContext.fsGroup (for example 65534) so the projected token is group-readable by non-root containers").
			With("tokenFile", f.TokenFile)
	case f.TokenReadErr != nil:
		msg := f.TokenReadErr.Error()
		if strings.Contains(msg, "no such file") {
			msg = "no such file"
		}
		return fail(fmt.Sprintf("token file %s cannot be read: %s", f.TokenFile, msg),
			"check the projected volume aws-iam-token is mounted at the path AWS_WEB_IDENTITY_TOKEN_FILE names "+
				"(/var/run/secrets/eks.amazonaws.com/serviceaccount/token); recreate the pod so the webhook injects both").
			With("tokenFile", f.TokenFile)
	}
	return pass("token file "+f.TokenFile+" is readable").With("tokenFile", f.TokenFile)
}
