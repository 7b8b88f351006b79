package preflight

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// secretVerdict is what a reference to a Secret exposes.
type secretVerdict struct {
	matches []SecretKeyMatch
	// byName: the content was not read and the Secret is Litmus's cloud-secret.
	byName bool
	err    error
}

func (v secretVerdict) offends() bool { return len(v.matches) > 0 || v.byName }

func (v secretVerdict) String() string {
	if v.byName {
		return "Litmus's static-key Secret (content not read)"
	}
	var keys []string
	for _, m := range v.matches {
		keys = append(keys, fmt.Sprintf("%s (%s)", m.Key, m.Why))
	}
	return "holds AWS keys in " + strings.Join(keys, ", ")
}

// judgeSecretRef judges a reference to Secret name (key: the one key read, "" for all).
func (f Facts) judgeSecretRef(name, key string) secretVerdict {
	var sf SecretFact
	var read bool
	if f.Secrets != nil {
		sf, read = f.Secrets.Secrets[name]
	}
	switch {
	case !read:
		return secretVerdict{byName: name == LitmusCloudSecret}
	case sf.Err != nil:
		return secretVerdict{err: sf.Err}
	}
	return secretVerdict{matches: sf.awsKeysIn(key)}
}

// secretsRBACHint is the grant preflight needs to judge Secrets by content.
func (f Facts) secretsRBACHint() string {
	return fmt.Sprintf("grant get on secrets in %s to the identity running preflight "+
		"(kubectl create role podcred-preflight-secrets -n %s --verb=get --resource=secrets && "+
		"kubectl create rolebinding podcred-preflight-secrets -n %s --role=podcred-preflight-secrets --user=<you>)",
		f.Namespace, f.Namespace, f.Namespace)
}

// secretFindings accumulates experiment.cloud-secret's findings.
type secretFindings struct {
	found, fixes []string
	pods         []PodFact
	unreadable   []string
}

func (s *secretFindings) unread(name string, err error) {
	if err != nil {
		s.unreadable = append(s.unreadable, fmt.Sprintf("%s (%v)", name, err))
	}
}

// chaosSecrets judges the chaos objects' secrets lists and env.
func (s *secretFindings) chaosSecrets(f Facts, objs []ChaosObject) {
	for _, o := range objs {
		var paths, what []string
		for _, sec := range o.Secrets {
			v := f.judgeSecretRef(sec.Name, "")
			s.unread(sec.Name, v.err)
			if v.offends() {
				paths = append(paths, sec.Path)
				what = append(what, fmt.Sprintf("mounts secret %s at %s (%s)", sec.Name, sec.MountPath, v))
			}
		}
		for _, e := range o.Env {
			if e.Name == podiam.EnvSharedCredsFile {
				paths = append(paths, e.Path)
				what = append(what, "sets "+podiam.EnvSharedCredsFile)
				continue
			}
			if !e.FromSecret || isStaticKeyVar(e.Name) { // static-env judges those
				continue
			}
			v := f.judgeSecretRef(e.SecretName, e.SecretKey)
			s.unread(e.SecretName, v.err)
			if v.offends() {
				paths = append(paths, e.Path)
				what = append(what, fmt.Sprintf("sets %s from secret %s (%s)", e.Name, e.SecretName, v))
			}
		}
		if len(paths) > 0 {
			s.found = append(s.found, fmt.Sprintf("%s %s %s", o.Kind, o.Name, strings.Join(what, " and ")))
			s.fixes = append(s.fixes, f.patchCommand(o, paths))
		}
	}
}

// podSecrets judges the Secrets the SA's running pods mount or reference.
func (s *secretFindings) podSecrets(f Facts) {
	for _, p := range f.activePods() {
		var what []string
		for _, r := range p.SecretRefs {
			v := f.judgeSecretRef(r.Name, r.Key)
			s.unread(r.Name, v.err)
			if v.offends() {
				what = append(what, fmt.Sprintf("secret %s, which %s: %s", r.Name, v, r.Via))
			}
		}
		if len(what) > 0 {
			s.found = append(s.found, fmt.Sprintf("pod %s uses %s", p.Name, strings.Join(what, "; ")))
			s.pods = append(s.pods, p)
		}
	}
	if len(s.pods) > 0 {
		s.fixes = append(s.fixes, "remove those Secrets' volumes and env references from the pods' template, then "+f.restartCommand(s.pods))
	}
}

func checkExperimentCloudSecret(f Facts) result {
	objs, done := chaosObjects(f)
	if done != nil && (done.Status == report.StatusFail || done.Status == report.StatusError) {
		return *done
	}
	var s secretFindings
	s.chaosSecrets(f, objs)
	s.podSecrets(f)
	unreadable := ""
	if len(s.unreadable) > 0 {
		unreadable = "; could not read " + strings.Join(s.unreadable, ", ")
	}
	if len(s.found) > 0 {
		return fail(strings.Join(s.found, "; ")+": static keys win over IRSA wherever the SDK finds them"+unreadable,
			strings.Join(s.fixes, " && ")+" (the Secrets' values are not shown; rotate keys that were ever mounted)")
	}
	if len(s.unreadable) > 0 {
		hint := f.secretsRBACHint()
		for _, sf := range f.Secrets.Secrets {
			if sf.Err != nil && !apierrors.IsForbidden(sf.Err) {
				hint = "check the API server, and " + hint
				break
			}
		}
		return errored("could not judge the Secrets the experiment uses by content"+unreadable, hint)
	}
	pods := len(f.activePods())
	if len(objs) == 0 && pods == 0 {
		if done != nil {
			return *done
		}
		return skip("no chaos experiment and no running pod of the ServiceAccount to check")
	}
	if f.Secrets != nil && f.Secrets.Truncated {
		return warn(fmt.Sprintf("more than %d Secrets are referenced: only the first %d were judged, and none holds AWS keys", maxSecrets, maxSecrets),
			"check the remaining Secrets the experiment's pods and chaos objects reference")
	}
	return pass(fmt.Sprintf("%d chaos objects and %d pods of %s mount or reference no Secret holding AWS keys", len(objs), pods, f.ServiceAccount))
}

// envFromKeys lists a pod's Secrets that envFrom turns into AWS SDK variables.
func (f Facts) envFromKeys(p PodFact) []string {
	var out []string
	for _, r := range p.SecretRefs {
		if !r.EnvFrom || f.Secrets == nil {
			continue
		}
		if sf := f.Secrets.Secrets[r.Name]; len(sf.EnvNames) > 0 {
			out = append(out, fmt.Sprintf("%s from secret %s (envFrom)", strings.Join(sf.EnvNames, ", "), r.Name))
		}
	}
	return out
}
