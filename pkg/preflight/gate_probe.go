package preflight

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
)

// Litmus probe modes that run before the fault is injected and can stop it
// (litmus-go pkg/probe/probe.go, RunProbes "PreChaos"). Continuous starts in
// the background and does not block; EOT and OnChaos run after or during.
const (
	probeModeSOT  = "SOT"
	probeModeEdge = "Edge"
)

// probeFix is one change to a probe: set (or, with remove, delete) the field
// at tokens, relative to the probe.
type probeFix struct {
	tokens []string
	value  any
	exists bool // the field is present: "replace", not "add"
	remove bool
}

// probeJudgement is what experiment.gate makes of one probe.
type probeJudgement struct {
	// podcred: the probe reads podcred's verdict (report ConfigMap or `podcred-agent gate`).
	podcred bool
	// problems say why a podcred probe does not stop chaos; empty when it does.
	problems []string
	fixes    []probeFix
	// manual are problems no patch can fix (another ServiceAccount named).
	manual []string
}

// stops reports whether the probe is a podcred gate that stops chaos.
func (j probeJudgement) stops() bool { return j.podcred && len(j.problems) == 0 }

// judgeProbe decides whether p is a podcred gate for sa in ns and whether it
// really stops chaos.
func judgeProbe(p GateProbe, ns, sa string) probeJudgement {
	var j probeJudgement
	switch {
	case p.K8s != nil && isPodcredK8sProbe(*p.K8s):
		j.podcred = true
		judgeK8sInputs(&j, *p.K8s, ns, sa)
	case strings.Contains(p.Command, "podcred-agent gate"):
		j.podcred = true
		if named := flagValue(strings.Fields(p.Command), "--service-account"); named != "" && named != sa {
			j.problems = append(j.problems, fmt.Sprintf("the command gates on ServiceAccount %s, not %s", named, sa))
			j.manual = append(j.manual, "run `podcred-agent gate --service-account "+sa+"`")
		}
	default:
		return j
	}
	if p.Mode != probeModeSOT && p.Mode != probeModeEdge {
		j.problems = append(j.problems, fmt.Sprintf("mode %s %s (only SOT and Edge run before the fault and can stop it)",
			orPlaceholder(p.Mode, "(none)"), modeWhen(p.Mode)))
		j.fixes = append(j.fixes, probeFix{tokens: []string{"mode"}, value: probeModeSOT, exists: p.Mode != ""})
	}
	if !p.StopOnFailure {
		j.problems = append(j.problems, "runProperties.stopOnFailure is not true (litmus-go records the failure and injects the fault anyway)")
		if p.HasRunProperties {
			j.fixes = append(j.fixes, probeFix{tokens: []string{"runProperties", "stopOnFailure"}, value: true, exists: p.HasStopOnFailure})
		} else {
			j.fixes = append(j.fixes, probeFix{tokens: []string{"runProperties"}, value: map[string]any{"stopOnFailure": true}})
		}
	}
	return j
}

// modeWhen says when a probe of that mode runs.
func modeWhen(mode string) string {
	switch mode {
	case "Continuous":
		return "runs in the background and does not block the injection"
	case "EOT":
		return "runs after the fault"
	case "OnChaos":
		return "runs while the fault is injected"
	}
	return "is not a pre-chaos mode"
}

// isPodcredK8sProbe: a k8sProbe on core/v1 configmaps that names a podcred
// report ConfigMap or selects podcred-managed objects.
func isPodcredK8sProbe(k K8sProbeInputs) bool {
	if k.Resource != "configmaps" || k.Version != "v1" || k.Group != "" {
		return false
	}
	if name, ok := fieldName(k.FieldSelector); ok && strings.HasPrefix(name, verdict.ConfigMapPrefix) {
		return true
	}
	sel, err := labels.Parse(k.LabelSelector)
	if err != nil {
		return strings.Contains(k.LabelSelector, verdict.ManagedByValue)
	}
	reqs, _ := sel.Requirements()
	return slices.ContainsFunc(reqs, func(r labels.Requirement) bool {
		return r.Key() == verdict.LabelManagedBy && r.Values().Has(verdict.ManagedByValue)
	})
}

// fieldName is the metadata.name a field selector requires, if any.
func fieldName(s string) (string, bool) {
	sel, err := fields.ParseSelector(s)
	if err != nil {
		return "", false
	}
	return sel.RequiresExactMatch("metadata.name")
}

// judgeK8sInputs adds the problems of a podcred k8sProbe's inputs.
func judgeK8sInputs(j *probeJudgement, k K8sProbeInputs, ns, sa string) {
	in := "k8sProbe/inputs"
	if k.Operation != "present" {
		j.problems = append(j.problems, fmt.Sprintf("operation is %q, not present", k.Operation))
		j.fixes = append(j.fixes, probeFix{tokens: []string{in, "operation"}, value: "present", exists: k.Operation != ""})
	}
	if k.ResourceNames != "" {
		j.problems = append(j.problems, "resourceNames is set (litmus-go then only GETs by name and ignores the labelSelector, so a fail report passes)")
		j.fixes = append(j.fixes, probeFix{tokens: []string{in, "resourceNames"}, remove: true})
	}
	if k.Namespace != "" && k.Namespace != ns && !strings.Contains(k.Namespace, "{{") {
		j.problems = append(j.problems, fmt.Sprintf("it reads namespace %s, not %s", k.Namespace, ns))
		j.fixes = append(j.fixes, probeFix{tokens: []string{in, "namespace"}, value: ns, exists: true})
	}
	name, hasName := fieldName(k.FieldSelector)
	if hasName && name != verdict.ConfigMapName(sa) {
		j.problems = append(j.problems, fmt.Sprintf("its fieldSelector reads ConfigMap %s, not %s", name, verdict.ConfigMapName(sa)))
		j.fixes = append(j.fixes, probeFix{tokens: []string{in, "fieldSelector"}, value: "metadata.name=" + verdict.ConfigMapName(sa), exists: true})
	}
	if why := verdictSelectorProblem(k.LabelSelector, sa, hasName); why != "" {
		j.problems = append(j.problems, why)
		j.fixes = append(j.fixes, probeFix{tokens: []string{in, "labelSelector"}, value: gateLabelSelector(sa), exists: k.LabelSelector != ""})
	}
}

// verdictSelectorProblem says what the label selector lacks: a requirement
// that the verdict is pass (or pass/warn), and, without a metadata.name
// field selector, one that pins the ServiceAccount.
func verdictSelectorProblem(s, sa string, hasName bool) string {
	sel, err := labels.Parse(s)
	if err != nil {
		return fmt.Sprintf("its labelSelector does not parse (%v)", err)
	}
	reqs, _ := sel.Requirements()
	verdictOK, saOK := false, hasName
	for _, r := range reqs {
		switch r.Key() {
		case verdict.LabelVerdict:
			verdictOK = verdictOK || opensOnPassOrWarn(r)
		case verdict.LabelServiceAccount:
			if r.Values().Len() == 1 && r.Values().Has(verdict.LabelValue(sa)) {
				saOK = saOK || r.Operator() != selection.NotEquals && r.Operator() != selection.NotIn
			} else {
				return fmt.Sprintf("its labelSelector selects ServiceAccount %s, not %s", strings.Join(r.Values().UnsortedList(), ","), sa)
			}
		}
	}
	switch {
	case !verdictOK:
		return fmt.Sprintf("its labelSelector does not require %s=pass (a fail or missing verdict would pass)", verdict.LabelVerdict)
	case !saOK:
		return fmt.Sprintf("it selects no single ServiceAccount's report (another ServiceAccount's pass would open it): no fieldSelector metadata.name=%s nor %s=%s",
			verdict.ConfigMapName(sa), verdict.LabelServiceAccount, verdict.LabelValue(sa))
	}
	return ""
}

// opensOnPassOrWarn: the requirement admits only pass (and perhaps warn).
func opensOnPassOrWarn(r labels.Requirement) bool {
	switch r.Operator() {
	case selection.Equals, selection.DoubleEquals, selection.In:
	default:
		return false
	}
	vals := r.Values()
	if vals.Len() == 0 {
		return false
	}
	for v := range vals {
		if v != string(report.VerdictPass) && v != string(report.VerdictWarn) {
			return false
		}
	}
	return true
}

// gateLabelSelector is the label selector a podcred k8sProbe should use.
func gateLabelSelector(sa string) string {
	return fmt.Sprintf("%s=%s,%s=%s,%s=%s", verdict.LabelManagedBy, verdict.ManagedByValue,
		verdict.LabelServiceAccount, verdict.LabelValue(sa), verdict.LabelVerdict, report.VerdictPass)
}

// gateProbeTemplate is the k8sProbe to add to an experiment that has no
// podcred gate (deploy/examples/litmus-probes.yaml, with stopOnFailure).
func gateProbeTemplate(ns, sa string) map[string]any {
	return map[string]any{
		"name": "podcred-report-pass", "type": "k8sProbe", "mode": probeModeSOT,
		"k8sProbe/inputs": map[string]any{
			"group": "", "version": "v1", "resource": "configmaps", "namespace": ns,
			"fieldSelector": "metadata.name=" + verdict.ConfigMapName(sa),
			"labelSelector": gateLabelSelector(sa), "operation": "present",
		},
		"runProperties": map[string]any{"probeTimeout": "10s", "interval": "5s", "attempt": int64(2), "stopOnFailure": true},
	}
}

// flagValue finds `--flag V` or `--flag=V` in args.
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return strings.Trim(args[i+1], `"'`)
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}
