package preflight

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/podcred/podcred/pkg/report"
)

// maxStepDepth bounds how deep nested steps templates are followed.
const maxStepDepth = 8

// judgeWorkflow judges every ChaosEngine a workflow creates for the
// ServiceAccount: by its own probes, else by a podcred-agent step that must
// succeed before the step creating it.
func (f Facts) judgeWorkflow(w GateWorkflow) []gateFinding {
	var out []gateFinding
	for _, t := range w.Templates {
		for i, e := range t.Engines {
			where := fmt.Sprintf("%s %s template %s (%s)", w.Kind, w.Name, t.Name, t.Artifacts[i])
			x := gateFinding{subject: where + ": ChaosEngine " + e.Name}
			ps := f.judgeProbes(e)
			stepOK, why := w.stepGated(t, f.ServiceAccount)
			switch {
			case len(ps.broken) > 0:
				x.status, x.what = report.StatusFail, strings.Join(ps.broken, "; ")
				x.fix = embeddedRepair(where, ps.brokenFixes)
			case ps.gates:
				x.status, x.what = report.StatusPass, "gated by "+strings.Join(ps.how, ", ")
			case stepOK:
				x.status, x.what = report.StatusPass, "gated by the workflow: "+why
			default:
				x.status = report.StatusWarn
				x.what = why + ", and no podcred probe with stopOnFailure in a pre-chaos mode for experiment " + experimentNames(ps.ungated)
				x.fix = fmt.Sprintf("in %s, run a podcred-agent step in a step group before the one that creates the engine, or add to experiment %s:\n%s",
					where, experimentNames(ps.ungated), probeYAML(gateProbeTemplate(f.Namespace, f.ServiceAccount)))
			}
			out = append(out, x)
		}
	}
	return out
}

// runAs is the ServiceAccount a template's pods run as.
func (w GateWorkflow) runAs(t WorkflowTemplate) string {
	switch {
	case t.ServiceAccount != "":
		return t.ServiceAccount
	case w.ServiceAccount != "":
		return w.ServiceAccount
	}
	return "default"
}

func (w GateWorkflow) template(name string) (WorkflowTemplate, bool) {
	i := slices.IndexFunc(w.Templates, func(t WorkflowTemplate) bool { return t.Name == name })
	if i < 0 {
		return WorkflowTemplate{}, false
	}
	return w.Templates[i], true
}

// isAgentContainer: the container runs podcred-agent.
func isAgentContainer(c WorkflowContainer) bool {
	return strings.Contains(c.Image, "podcred-agent") || len(c.Command) > 0 && path.Base(c.Command[0]) == "podcred-agent"
}

// agentCounts says whether an agent container vouches for sa: `gate` must
// name sa; a verification must run as sa.
func agentCounts(c WorkflowContainer, runAs, sa string) (bool, string) {
	words := strings.Fields(strings.Join(append(slices.Clone(c.Command), c.Args...), " "))
	if slices.Contains(words, "gate") {
		if named := flagValue(words, "--service-account"); named != sa {
			return false, fmt.Sprintf("runs `podcred-agent gate` for ServiceAccount %s, not %s", orPlaceholder(named, "(none)"), sa)
		}
		return true, ""
	}
	if runAs != sa {
		return false, fmt.Sprintf("runs podcred-agent as ServiceAccount %s, not %s", runAs, sa)
	}
	return true, ""
}

// templateAgent says whether running template name runs podcred-agent
// (isAgent) in a way whose failure fails the step and that vouches for sa
// (counts); why says why an agent does not count.
func (w GateWorkflow) templateAgent(name, sa string, depth int) (isAgent, counts bool, why string) {
	t, ok := w.template(name)
	if !ok || depth > maxStepDepth {
		return false, false, ""
	}
	containers := slices.Clone(t.InitContainers)
	if t.Container != nil {
		containers = append(containers, *t.Container)
	}
	for _, c := range containers {
		if isAgentContainer(c) {
			ok, y := agentCounts(c, w.runAs(t), sa)
			if ok {
				return true, true, ""
			}
			isAgent, why = true, y
		}
	}
	for _, group := range t.Steps {
		for _, st := range group {
			ia, c, y := w.templateAgent(st.Template, sa, depth+1)
			switch {
			case ia && c && !st.ContinueOnFailed:
				return true, true, ""
			case ia && c:
				isAgent, why = true, fmt.Sprintf("step %s has continueOn.failed: true, so its failure does not stop the workflow", st.Name)
			case ia && why == "":
				isAgent, why = true, y
			}
		}
	}
	return isAgent, false, why
}

// callSite is a step that runs a template: group g of steps template in.
type callSite struct {
	in    WorkflowTemplate
	group int
	step  WorkflowStep
}

func (w GateWorkflow) callSites(name string) []callSite {
	var out []callSite
	for _, s := range w.Templates {
		for g, group := range s.Steps {
			for _, st := range group {
				if st.Template == name {
					out = append(out, callSite{s, g, st})
				}
			}
		}
	}
	return out
}

// stepGated says whether template t (which creates a ChaosEngine) runs only
// after podcred-agent succeeded for sa: an agent init container in t, or,
// at every step that runs t, an agent step in an earlier step group (of
// that steps template or of the steps that lead to it).
func (w GateWorkflow) stepGated(t WorkflowTemplate, sa string) (bool, string) {
	return w.reached(t, sa, 0)
}

func (w GateWorkflow) reached(t WorkflowTemplate, sa string, depth int) (bool, string) {
	for _, c := range t.InitContainers {
		if ok, _ := agentCounts(c, w.runAs(t), sa); ok && isAgentContainer(c) {
			return true, fmt.Sprintf("init container %s of template %s runs podcred-agent first", c.Name, t.Name)
		}
	}
	if depth > maxStepDepth {
		return false, "steps nest too deep to judge"
	}
	sites := w.callSites(t.Name)
	if len(sites) == 0 {
		return false, fmt.Sprintf("no step runs template %s (DAG tasks and templateRef are not judged)", t.Name)
	}
	var hows []string
	for _, s := range sites {
		ok, why := w.agentBefore(s, sa)
		if !ok {
			outer, how := w.reached(s.in, sa, depth+1)
			if !outer {
				return false, why
			}
			why = how
		}
		hows = append(hows, why)
	}
	return true, strings.Join(hows, "; ")
}

// agentBefore says whether an agent step that counts runs in a step group
// before the call site's; else why not (parallel, continueOn, another SA).
func (w GateWorkflow) agentBefore(s callSite, sa string) (bool, string) {
	why := ""
	for g, group := range s.in.Steps {
		for _, st := range group {
			if st.Name == s.step.Name && g == s.group {
				continue
			}
			isAgent, counts, y := w.templateAgent(st.Template, sa, 0)
			switch {
			case !isAgent:
			case g < s.group && counts && !st.ContinueOnFailed:
				return true, fmt.Sprintf("step %s (group %d) runs podcred-agent before step %s (group %d)", st.Name, g+1, s.step.Name, s.group+1)
			case g < s.group && counts && why == "":
				why = fmt.Sprintf("step %s has continueOn.failed: true, so its failure does not stop the workflow", st.Name)
			case g < s.group && why == "":
				why = fmt.Sprintf("step %s %s", st.Name, y)
			case g == s.group && why == "":
				why = fmt.Sprintf("podcred-agent step %s runs in the same step group as %s, in parallel, so chaos can start before the verdict", st.Name, s.step.Name)
			}
		}
	}
	if why == "" {
		why = fmt.Sprintf("no podcred-agent step runs before step %s of template %s", s.step.Name, s.in.Name)
	}
	return false, why
}
