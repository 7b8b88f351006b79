package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/podcred/podcred/pkg/report"
)

// gateFinding is experiment.gate's judgement of one ChaosEngine.
type gateFinding struct {
	// subject names the engine ("ChaosEngine x", "Workflow w template t: ChaosEngine y").
	subject string
	status  report.Status
	// what says how it is gated (pass) or what is wrong (warn, fail).
	what string
	// fix is the remedy for this engine.
	fix string
}

// checkExperimentGate judges whether every ChaosEngine and Argo workflow
// running under the ServiceAccount gates on podcred in a way that really
// stops chaos (DESIGN.md, "The gate contract").
func checkExperimentGate(f Facts) result {
	g := f.Gate
	switch {
	case g == nil:
		return skip("chaos engines and workflows were not read")
	case g.Err != nil:
		return errored(fmt.Sprintf("could not read ChaosEngines in %s: %v", f.Namespace, g.Err),
			"check that you may list chaosengines, workflows and workflowtemplates in "+f.Namespace)
	}
	var found []gateFinding
	for _, e := range g.Engines {
		found = append(found, f.judgeStoredEngine(e))
	}
	for _, w := range g.Workflows {
		found = append(found, f.judgeWorkflow(w)...)
	}
	if g.ArgoErr != nil {
		r := errored(fmt.Sprintf("could not read Argo workflows in %s: %v", f.Namespace, g.ArgoErr),
			"check that you may list workflows and workflowtemplates (argoproj.io) in "+f.Namespace)
		if worst(found) != report.StatusFail {
			return r
		}
	}
	if len(found) == 0 {
		return skip(fmt.Sprintf("no ChaosEngine or Argo workflow in %s runs as ServiceAccount %s", f.Namespace, f.ServiceAccount))
	}
	return gateResult(f.ServiceAccount, found)
}

// worst is the most severe status of the findings (fail > warn > pass).
func worst(found []gateFinding) report.Status {
	s := report.StatusPass
	for _, x := range found {
		switch {
		case x.status == report.StatusFail:
			return report.StatusFail
		case x.status == report.StatusWarn:
			s = report.StatusWarn
		}
	}
	return s
}

// gateResult turns the findings into the check's result: the message names
// every engine of the worst status, the remedy fixes each of them, and the
// evidence says how every engine is (or is not) gated.
func gateResult(sa string, found []gateFinding) result {
	status := worst(found)
	var msgs, fixes []string
	for _, x := range found {
		if x.status == status {
			msgs = append(msgs, x.subject+": "+x.what)
			if x.fix != "" {
				fixes = append(fixes, x.fix)
			}
		}
	}
	var r result
	switch status {
	case report.StatusFail:
		r = fail("a podcred probe does not stop chaos: "+strings.Join(msgs, "; "), strings.Join(fixes, "\n"))
	case report.StatusWarn:
		r = warn("nothing gates chaos on podcred's verdict: "+strings.Join(msgs, "; "),
			"add a podcred probe with stopOnFailure: true (deploy/examples/litmus-probes.yaml) or a podcred-agent step before the fault step (deploy/examples/litmus-workflow.yaml):\n"+
				strings.Join(fixes, "\n"))
	default:
		r = pass(fmt.Sprintf("every ChaosEngine running as %s (%d) gates on podcred in a way that stops chaos: %s", sa, len(found), strings.Join(msgs, "; ")))
	}
	sort.Slice(found, func(i, j int) bool { return found[i].subject < found[j].subject })
	for _, x := range found {
		r = r.With(x.subject, string(x.status)+": "+x.what)
	}
	return r
}

// engineProbes is what the probes of one engine amount to.
type engineProbes struct {
	// gates: every experiment has a podcred probe that stops chaos.
	gates bool
	// how names the stopping probes; broken the problems of podcred probes
	// that do not stop chaos.
	how, broken []string
	// brokenFixes are the fixes per probe path; ungated the experiments
	// without a stopping podcred probe.
	brokenFixes []probeRepair
	ungated     []GateExperiment
}

// probeRepair is a broken probe and its judgement.
type probeRepair struct {
	probe GateProbe
	j     probeJudgement
}

// judgeProbes judges every probe of an engine.
func (f Facts) judgeProbes(e GateEngine) engineProbes {
	var out engineProbes
	for _, x := range e.Experiments {
		stops := false
		for _, p := range x.Probes {
			j := judgeProbe(p, f.Namespace, f.ServiceAccount)
			switch {
			case j.stops():
				stops = true
				out.how = append(out.how, fmt.Sprintf("experiment %s probe %s (%s, mode %s, stopOnFailure)", x.Name, p.Name, p.Type, p.Mode))
			case j.podcred:
				out.broken = append(out.broken, fmt.Sprintf("experiment %s probe %s: %s", x.Name, p.Name, strings.Join(j.problems, ", ")))
				out.brokenFixes = append(out.brokenFixes, probeRepair{p, j})
			}
		}
		if !stops {
			out.ungated = append(out.ungated, x)
		}
	}
	out.gates = len(e.Experiments) > 0 && len(out.ungated) == 0
	return out
}

// judgeStoredEngine judges a ChaosEngine read from the API.
func (f Facts) judgeStoredEngine(e GateEngine) gateFinding {
	x := gateFinding{subject: "ChaosEngine " + e.Name}
	ps := f.judgeProbes(e)
	switch {
	case len(ps.broken) > 0:
		x.status, x.what = report.StatusFail, strings.Join(ps.broken, "; ")
		x.fix = f.engineRepair(e, ps.brokenFixes)
	case ps.gates:
		x.status, x.what = report.StatusPass, "gated by "+strings.Join(ps.how, ", ")
	case e.Workflow != "" && f.workflowGates(e.Workflow):
		x.status, x.what = report.StatusPass, "created by Workflow "+e.Workflow+" after its podcred-agent step"
	default:
		x.status = report.StatusWarn
		x.what = "no podcred probe with stopOnFailure in a pre-chaos mode for experiment " + experimentNames(ps.ungated)
		x.fix = f.addProbePatch(e, ps.ungated)
	}
	return x
}

// workflowGates reports whether the stored Workflow name creates its
// engines only after a podcred-agent step.
func (f Facts) workflowGates(name string) bool {
	for _, w := range f.Gate.Workflows {
		if w.Kind != kindWorkflow || w.Name != name {
			continue
		}
		creates := false
		for _, t := range w.Templates {
			if len(t.Engines) == 0 {
				continue
			}
			creates = true
			if ok, _ := w.stepGated(t, f.ServiceAccount); !ok {
				return false
			}
		}
		return creates
	}
	return false
}

func experimentNames(xs []GateExperiment) string {
	var names []string
	for _, x := range xs {
		names = append(names, x.Name)
	}
	return strings.Join(names, ", ")
}
