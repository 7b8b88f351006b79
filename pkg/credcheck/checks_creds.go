package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

func checkStaticEnv(f Facts) result {
	var set []string
	if f.StaticEnv.AccessKeyID {
		set = append(set, podiam.EnvAccessKeyID)
	}
	if f.StaticEnv.SecretAccessKey {
		set = append(set, podiam.EnvSecretAccessKey)
	}
	if f.StaticEnv.SessionToken {
		set = append(set, podiam.EnvSessionToken)
	}
	if len(set) == 0 {
		return pass("no static AWS keys in the environment")
	}
	names := strings.Join(set, ", ")
	if !f.StaticEnv.AccessKeyID {
		return warn(fmt.Sprintf("%s set without an access key: ignored by the SDKs, but a leftover of static credentials", names),
			"remove "+names+" from the pod spec")
	}
	return fail(fmt.Sprintf("%s set in the environment: every AWS SDK and the CLI use them before IRSA, so the experiment would run with these keys, not the role", names),
		"remove "+names+" from the container env (for Litmus: spec.experiments[].spec.components.env of the ChaosEngine and the ChaosExperiment's env), "+
			"then delete the static IAM user keys").With("variables", names)
}

func checkSharedFile(f Facts) result {
	if len(f.SharedFiles) == 0 {
		return pass("no shared credentials file with static keys is reachable")
	}
	var found, unreadable []string
	for _, s := range f.SharedFiles {
		if s.Err != nil {
			unreadable = append(unreadable, s.Path)
			continue
		}
		found = append(found, fmt.Sprintf("%s (%s; profiles %s)", s.Path, s.Via, strings.Join(s.Profiles, ", ")))
	}
	if len(found) == 0 {
		return warn("could not read "+strings.Join(unreadable, ", ")+" to rule out static keys",
			"remove the file from the pod or make sure it holds no aws_access_key_id")
	}
	remedy := "remove the file from the pod: a silent fallback that the SDKs use when AWS_PROFILE or AWS_SHARED_CREDENTIALS_FILE points at it, " +
		"and a key that outlives the experiment"
	for _, s := range f.SharedFiles {
		if strings.HasSuffix(s.Path, "cloud_config.yml") {
			remedy = "delete the `secrets: - name: cloud-secret, mountPath: /tmp/` entry from the ChaosExperiment and the AWS_SHARED_CREDENTIALS_FILE env, " +
				"then delete the cloud-secret Secret and its IAM user keys"
			break
		}
	}
	return warn("static keys are reachable in "+strings.Join(found, "; "), remedy).With("files", strings.Join(found, "; "))
}
