package preflight

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// annotateCommand is the kubectl line that sets the role annotation.
func (f Facts) annotateCommand(ns, arn string) string {
	return fmt.Sprintf("kubectl annotate serviceaccount -n %s %s %s=%s --overwrite", ns, f.ServiceAccount, podiam.AnnotationRoleARN, arn)
}

// wantedRoleARN is the ARN a remedy should annotate: --role-arn, the
// annotation repaired when it only has stray whitespace, or a placeholder.
func (f Facts) wantedRoleARN() string {
	if f.ExpectedRoleARN != "" {
		return f.ExpectedRoleARN
	}
	if r, err := podiam.ParseRoleARN(strings.TrimSpace(f.SA.RoleARN)); err == nil {
		return r.String()
	}
	return "arn:aws:iam::<account>:role/<role>"
}

func checkSAExists(f Facts) result {
	switch {
	case f.SA.Err != nil:
		return errored(fmt.Sprintf("could not read serviceaccount %s/%s: %v", f.Namespace, f.ServiceAccount, f.SA.Err),
			"check the kubeconfig context and that you may get serviceaccounts in "+f.Namespace)
	case !f.SA.Found:
		return fail(fmt.Sprintf("serviceaccount %s/%s does not exist", f.Namespace, f.ServiceAccount),
			fmt.Sprintf("kubectl create serviceaccount -n %s %s && %s", f.Namespace, f.ServiceAccount, f.annotateCommand(f.Namespace, f.wantedRoleARN())))
	}
	return pass(fmt.Sprintf("serviceaccount %s/%s exists", f.Namespace, f.ServiceAccount))
}

func checkSARoleAnnotation(f Facts) result {
	if !f.SA.Found {
		return needsCheck(IDSAExists)
	}
	if !f.SA.HasRoleAnnotation {
		return fail(fmt.Sprintf("serviceaccount %s/%s has no %s annotation: the webhook injects nothing into its pods", f.Namespace, f.ServiceAccount, podiam.AnnotationRoleARN),
			f.annotateCommand(f.Namespace, f.wantedRoleARN()))
	}
	role, err := podiam.ParseRoleARN(f.SA.RoleARN)
	if err != nil {
		return fail(fmt.Sprintf("annotation %s is malformed: %v", podiam.AnnotationRoleARN, err), f.annotateCommand(f.Namespace, f.wantedRoleARN())).
			With("annotation", f.SA.RoleARN)
	}
	r := result{}.With("roleArn", role.String())
	if f.ExpectedRoleARN != "" && f.ExpectedRoleARN != role.String() {
		return fail(fmt.Sprintf("serviceaccount %s/%s is annotated with %s, not %s", f.Namespace, f.ServiceAccount, role.String(), f.ExpectedRoleARN),
			f.annotateCommand(f.Namespace, f.ExpectedRoleARN)).With("roleArn", role.String())
	}
	for _, flt := range f.Faults {
		if ns := flt.ServiceAccountNamespace; ns != "" && ns != f.Namespace {
			return fail(fmt.Sprintf("fault %s runs as a ServiceAccount of namespace %s, not %s: annotating %s/%s does not reach it", flt.Name, ns, f.Namespace, f.Namespace, f.ServiceAccount),
				f.annotateCommand(ns, role.String())).With("roleArn", role.String())
		}
	}
	if f.Chaos != nil {
		for _, o := range f.Chaos.Objects {
			if o.Kind == kindChaosEngine && o.ServiceAccount != "" && o.ServiceAccount != f.ServiceAccount {
				return warn(fmt.Sprintf("ChaosEngine %s runs its experiments as serviceaccount %s, not %s: the checked annotation does not apply to them", o.Name, o.ServiceAccount, f.ServiceAccount),
					fmt.Sprintf("set spec.chaosServiceAccount: %s in ChaosEngine %s, or check --service-account %s", f.ServiceAccount, o.Name, o.ServiceAccount)).With("roleArn", role.String())
			}
		}
	}
	r.Status, r.Message = report.StatusPass, fmt.Sprintf("%s=%s", podiam.AnnotationRoleARN, role.String())
	return r
}

// activePods are the pods that are not finished.
func (f Facts) activePods() []PodFact {
	if f.Pods == nil {
		return nil
	}
	var out []PodFact
	for _, p := range f.Pods.Pods {
		if p.Phase != "Succeeded" && p.Phase != "Failed" {
			out = append(out, p)
		}
	}
	return out
}

// restartCommand restarts the pods' workloads, or deletes bare pods.
func (f Facts) restartCommand(pods []PodFact) string {
	var workloads, bare []string
	for _, p := range pods {
		switch {
		case p.Workload != "" && !slices.Contains(workloads, p.Workload):
			workloads = append(workloads, p.Workload)
		case p.Workload == "":
			bare = append(bare, p.Name)
		}
	}
	var cmds []string
	for _, w := range workloads {
		cmds = append(cmds, fmt.Sprintf("kubectl rollout restart -n %s %s", f.Namespace, w))
	}
	if len(bare) > 0 {
		cmds = append(cmds, fmt.Sprintf("kubectl delete pod -n %s %s", f.Namespace, strings.Join(bare, " ")))
	}
	return strings.Join(cmds, " && ") + " (the webhook injects only into new pods)"
}

func checkPodsEnvInjected(f Facts) result {
	switch {
	case f.Pods == nil:
		return skip("pods were not read")
	case f.Pods.Err != nil:
		return errored(fmt.Sprintf("could not list pods in %s: %v", f.Namespace, f.Pods.Err), "check that you may list pods in "+f.Namespace)
	}
	if _, ok := f.role(); !ok {
		return needsCheck(IDSARoleAnnotation)
	}
	pods := f.activePods()
	if len(pods) == 0 {
		return skip(fmt.Sprintf("no running pod of serviceaccount %s/%s", f.Namespace, f.ServiceAccount))
	}
	var stale []PodFact
	var why []string
	for _, p := range pods {
		if reason := podInjectionProblem(p, f.SA); reason != "" {
			stale = append(stale, p)
			why = append(why, "pod "+p.Name+" "+reason)
		}
	}
	if len(stale) == 0 {
		return pass(fmt.Sprintf("%d running pods carry AWS_ROLE_ARN=%s and the token", len(pods), f.SA.RoleARN))
	}
	return fail(strings.Join(why, "; "), f.restartCommand(stale)).With("stalePods", fmt.Sprint(len(stale)))
}

// podInjectionProblem says what the webhook failed to inject into a pod, or "".
func podInjectionProblem(p PodFact, sa SAFact) string {
	older := ""
	if !sa.AnnotatedAt.IsZero() && p.CreatedAt.Before(sa.AnnotatedAt) {
		older = fmt.Sprintf(" (created %s, before the annotation at %s)", p.CreatedAt.UTC().Format(time.RFC3339), sa.AnnotatedAt.UTC().Format(time.RFC3339))
	}
	for _, c := range p.Containers {
		switch {
		case c.RoleARN == "" || c.TokenFile == "":
			return fmt.Sprintf("has no AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE in container %s%s", c.Name, orDefault(older, ": created before the annotation or the webhook skipped it"))
		case !c.TokenMounted:
			return fmt.Sprintf("container %s does not mount the token volume at %s", c.Name, podiam.TokenPath)
		case c.RoleARN != sa.RoleARN:
			return fmt.Sprintf("container %s has AWS_ROLE_ARN=%s but the annotation now says %s%s", c.Name, c.RoleARN, sa.RoleARN, older)
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkPodsTokenReadable(f Facts) result {
	switch {
	case f.Pods == nil:
		return skip("pods were not read")
	case f.Pods.Err != nil:
		return errored(fmt.Sprintf("could not list pods in %s: %v", f.Namespace, f.Pods.Err), "check that you may list pods in "+f.Namespace)
	}
	var bad []string
	var badPods []PodFact
	checked := 0
	for _, p := range f.activePods() {
		if p.FSGroup != nil {
			checked++
			continue
		}
		for _, c := range p.Containers {
			if c.TokenFile != "" && c.NonRoot {
				bad = append(bad, fmt.Sprintf("pod %s container %s", p.Name, c.Name))
				badPods = append(badPods, p)
				break
			}
		}
		checked++
	}
	if checked == 0 {
		return skip(fmt.Sprintf("no running pod of serviceaccount %s/%s", f.Namespace, f.ServiceAccount))
	}
	if len(bad) == 0 {
		return pass("every non-root container with the token has an fsGroup")
	}
	return warn(fmt.Sprintf("%s run as non-root without securityContext.fsGroup: the projected token may be unreadable (permission denied)", strings.Join(bad, ", ")),
		fmt.Sprintf("set spec.securityContext.fsGroup (e.g. 65532) in the pod template (for Litmus: the ChaosEngine's "+
			"spec.components.runner and the experiment's podSecurityContext), then %s", f.restartCommand(badPods)))
}

func checkJobVerification(f Facts) result {
	j := f.Job
	if j == nil {
		return skip("not run: pass --run-job to launch the agent as a Job under the ServiceAccount")
	}
	if j.Err != nil {
		return errored(fmt.Sprintf("verification Job %s gave no verdict: %v", j.JobName, j.Err),
			fmt.Sprintf("kubectl -n %s describe job %s; kubectl -n %s logs job/%s", f.Namespace, j.JobName, f.Namespace, j.JobName)).Took(j.Duration)
	}
	r := result{Duration: j.Duration}.With("job", j.JobName)
	var failing, fixes []string
	for _, c := range j.Report.Checks {
		r = r.With(c.ID, string(c.Status))
		if c.Status == report.StatusFail || c.Status == report.StatusError || c.Status == report.StatusWarn {
			failing = append(failing, fmt.Sprintf("%s=%s: %s", c.ID, c.Status, c.Message))
			if c.Remedy != "" {
				fixes = append(fixes, c.ID+": "+c.Remedy)
			}
		}
	}
	msg := fmt.Sprintf("the agent in Job %s says %s", j.JobName, j.Report.Verdict)
	if id := j.Report.Identity; id != nil && id.Arn != "" {
		msg += " as " + id.Arn
	}
	if len(failing) > 0 {
		msg += ": " + strings.Join(failing, "; ")
	}
	r.Message, r.Remedy = msg, strings.Join(fixes, "; ")
	switch j.Report.Verdict {
	case report.VerdictPass:
		r.Status, r.Remedy = report.StatusPass, ""
	case report.VerdictWarn:
		r.Status = report.StatusWarn
	case report.VerdictFail:
		r.Status = report.StatusFail
	default:
		r.Status = report.StatusError
	}
	return r
}
