package verdict

// Names of the Kubernetes contract (DESIGN.md, "Kubernetes sinks"). Users,
// Litmus probes and the gate depend on them: change none of them lightly.
const (
	// LabelManagedBy marks objects podcred owns; its value is ManagedByValue.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of LabelManagedBy on podcred's ConfigMaps.
	ManagedByValue = "podcred"
	// LabelServiceAccount holds the checked ServiceAccount's name, shortened
	// by LabelValue when it is longer than a label value may be.
	LabelServiceAccount = "podcred.io/service-account"
	// LabelVerdict holds the report's verdict, so a k8sProbe can gate with a
	// label selector such as podcred.io/verdict=pass.
	LabelVerdict = "podcred.io/verdict"
)

// Annotation keys, on the ConfigMap and (for the first three) on the pod.
const (
	// AnnotationVerdict holds the verdict on the checked pod.
	AnnotationVerdict = "podcred.io/verdict"
	// AnnotationCheckedAt holds the report's FinishedAt, RFC 3339 in UTC.
	AnnotationCheckedAt = "podcred.io/checked-at"
	// AnnotationReport holds a compact PodSummary (JSON) on the checked pod.
	AnnotationReport = "podcred.io/report"
	// AnnotationExpiresAt holds the report's ExpiresAt, RFC 3339 in UTC; it
	// is absent when the expiry is unknown.
	AnnotationExpiresAt = "podcred.io/expires-at"
	// AnnotationRoleArn holds the role ARN the pod was checked for; absent
	// when the report names none.
	AnnotationRoleArn = "podcred.io/role-arn"
	// AnnotationStartedAt holds, on a ConfigMap marked pending, when the
	// running verification started (RFC 3339 in UTC).
	AnnotationStartedAt = "podcred.io/started-at"
)

// ConfigMap naming and data keys.
const (
	// ConfigMapPrefix is prepended to the ServiceAccount name to name the
	// report ConfigMap (see ConfigMapName).
	ConfigMapPrefix = "podcred-"
	// DataReport is the ConfigMap key holding the full report as JSON.
	DataReport = "report.json"
	// DataVerdict is the ConfigMap key holding the verdict alone.
	DataVerdict = "verdict"
)

// Events.
const (
	// ReasonCheckPassed is the reason of the Normal event written for a
	// pass or warn verdict.
	ReasonCheckPassed = "CredentialCheckPassed"
	// ReasonCheckFailed is the reason of the Warning event written for a
	// fail or error verdict.
	ReasonCheckFailed = "CredentialCheckFailed"
	// EventComponent is the event source component.
	EventComponent = "podcred-agent"
)
