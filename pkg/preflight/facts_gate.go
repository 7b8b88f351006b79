package preflight

// GateFact is what experiment.gate judges: the ChaosEngines that run as the
// ServiceAccount and the Argo Workflows and WorkflowTemplates of the
// namespace, reduced to plain data.
type GateFact struct {
	// LitmusAbsent: the Litmus CRDs are not installed (no stored engines).
	LitmusAbsent bool
	// Err is a failure to list ChaosEngines.
	Err error
	// Engines are the stored ChaosEngines whose chaosServiceAccount is the SA.
	Engines []GateEngine
	// ArgoAbsent: argoproj.io/v1alpha1 workflows are not served.
	ArgoAbsent bool
	// ArgoErr is a failure to list Workflows or WorkflowTemplates.
	ArgoErr error
	// Workflows are every Workflow and WorkflowTemplate of the namespace.
	Workflows []GateWorkflow
}

// GateEngine is a ChaosEngine, stored or embedded in a workflow template.
type GateEngine struct {
	// Name is metadata.name, or metadata.generateName for an embedded engine.
	Name string
	// ServiceAccount is spec.chaosServiceAccount.
	ServiceAccount string
	// Workflow is the workflow_name label Litmus puts on engines a workflow created.
	Workflow    string
	Experiments []GateExperiment
}

// GateExperiment is one entry of a ChaosEngine's spec.experiments.
type GateExperiment struct {
	Name string
	// Path is its JSON pointer (/spec/experiments/I).
	Path string
	// HasProbeList says spec.probe is present (possibly empty).
	HasProbeList bool
	Probes       []GateProbe
}

// GateProbe is one Litmus probe (spec.probe[]) as written.
type GateProbe struct {
	Name, Type, Mode string
	// Path is its JSON pointer (/spec/experiments/I/spec/probe/J).
	Path string
	// StopOnFailure is runProperties.stopOnFailure; HasStopOnFailure says it
	// is set at all, HasRunProperties that runProperties exists.
	StopOnFailure    bool
	HasStopOnFailure bool
	HasRunProperties bool
	// K8s is k8sProbe/inputs, when present.
	K8s *K8sProbeInputs
	// Command is cmdProbe/inputs.command.
	Command string
	// Raw is the probe as decoded, for the corrected YAML in remedies.
	Raw map[string]any
}

// K8sProbeInputs is a k8sProbe's k8sProbe/inputs.
type K8sProbeInputs struct {
	Group, Version, Resource, Namespace string
	FieldSelector, LabelSelector        string
	Operation                           string
	// ResourceNames is resourceNames as written ("" when unset).
	ResourceNames string
}

// GateWorkflow is an Argo Workflow or WorkflowTemplate (argoproj.io/v1alpha1).
type GateWorkflow struct {
	Kind, Name string
	// ServiceAccount is spec.serviceAccountName, the templates' default.
	ServiceAccount string
	Entrypoint     string
	Templates      []WorkflowTemplate
}

// WorkflowTemplate is one entry of a workflow's spec.templates.
type WorkflowTemplate struct {
	Name string
	// ServiceAccount is the template's serviceAccountName ("" inherits).
	ServiceAccount string
	// Container is the main container; InitContainers run before it.
	Container      *WorkflowContainer
	InitContainers []WorkflowContainer
	// Steps are the step groups of a steps template, in order; the steps of
	// one group run in parallel.
	Steps [][]WorkflowStep
	// Engines are the ChaosEngines the template creates: raw input artifacts
	// and resource manifests that decode to a ChaosEngine.
	Engines []GateEngine
	// Artifacts names where each entry of Engines came from.
	Artifacts []string
}

// WorkflowContainer is a container of a workflow template.
type WorkflowContainer struct {
	Name, Image   string
	Command, Args []string
}

// WorkflowStep is one step of a step group.
type WorkflowStep struct {
	Name, Template string
	// ContinueOnFailed is continueOn.failed: the workflow goes on when it fails.
	ContinueOnFailed bool
}
