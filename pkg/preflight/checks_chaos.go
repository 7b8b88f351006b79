package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// chaosObjects returns the chaos objects to judge, or the result to return.
func chaosObjects(f Facts) ([]ChaosObject, *result) {
	c := f.Chaos
	var r result
	switch {
	case c == nil:
		r = skip("chaos experiments were not read")
	case c.CRDsAbsent:
		r = skip("the Litmus CRDs (litmuschaos.io/v1alpha1) are not installed")
	case c.Err != nil:
		r = errored(fmt.Sprintf("could not read chaos experiments in %s: %v", f.Namespace, c.Err),
			"check that you may list chaosexperiments and chaosengines in "+f.Namespace)
	case c.MissingExperiment != "":
		r = fail(fmt.Sprintf("ChaosExperiment %s does not exist in namespace %s", c.MissingExperiment, f.Namespace),
			fmt.Sprintf("kubectl get chaosexperiments -n %s; install the experiment or fix --experiment", f.Namespace))
	case len(c.Objects) == 0:
		r = skip("no ChaosExperiment or ChaosEngine in namespace " + f.Namespace)
	default:
		return c.Objects, nil
	}
	return nil, &r
}

// patchCommand removes JSON-pointer paths from a chaos object, highest index first.
func (f Facts) patchCommand(o ChaosObject, paths []string) string {
	slices.SortFunc(paths, func(a, b string) int { return -compareJSONPointers(a, b) })
	var ops []jsonPatchOp
	for _, p := range paths {
		ops = append(ops, jsonPatchOp{Op: "remove", Path: p})
	}
	return f.jsonPatch(o.Kind, o.Name, ops)
}

// compareJSONPointers orders pointers so that, within one list, a higher
// index sorts after a lower one (removal must go from the end).
func compareJSONPointers(a, b string) int {
	ia, ib := strings.LastIndex(a, "/"), strings.LastIndex(b, "/")
	if a[:ia] != b[:ib] {
		return strings.Compare(a, b)
	}
	var na, nb int
	fmt.Sscan(a[ia+1:], &na)
	fmt.Sscan(b[ib+1:], &nb)
	return na - nb
}

func checkExperimentStaticEnv(f Facts) result {
	var found, fixes []string
	objs, done := chaosObjects(f)
	for _, o := range objs {
		var paths, names []string
		for _, e := range o.Env {
			if isStaticKeyVar(e.Name) {
				paths = append(paths, e.Path)
				names = append(names, e.Name)
			}
		}
		if len(paths) > 0 {
			found = append(found, fmt.Sprintf("%s %s sets %s", o.Kind, o.Name, strings.Join(names, ", ")))
			fixes = append(fixes, f.patchCommand(o, paths))
		}
	}
	var pods []PodFact
	for _, p := range f.activePods() {
		for _, c := range p.Containers {
			if len(c.StaticKeys) > 0 {
				found = append(found, fmt.Sprintf("pod %s container %s sets %s", p.Name, c.Name, strings.Join(c.StaticKeys, ", ")))
				pods = append(pods, p)
				break
			}
		}
		if keys := f.envFromKeys(p); len(keys) > 0 {
			found = append(found, fmt.Sprintf("pod %s takes %s", p.Name, strings.Join(keys, "; ")))
			if len(pods) == 0 || pods[len(pods)-1].Name != p.Name {
				pods = append(pods, p)
			}
		}
	}
	if len(pods) > 0 {
		fixes = append(fixes, "remove the keys from the pods' template, then "+f.restartCommand(pods))
	}
	if len(found) > 0 {
		return fail(strings.Join(found, "; ")+": environment keys win over IRSA in every AWS SDK", strings.Join(fixes, " && "))
	}
	switch {
	case done != nil && done.Status == report.StatusError:
		return *done
	case len(objs) == 0 && len(f.activePods()) == 0:
		return skip("no chaos experiment and no running pod of the ServiceAccount to check")
	}
	return pass("no AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN in experiment env")
}

func isStaticKeyVar(name string) bool {
	return name == podiam.EnvAccessKeyID || name == podiam.EnvSecretAccessKey || name == podiam.EnvSessionToken
}
