package preflight

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The fact builders below reduce Kubernetes objects to facts exactly as
// Collect does for objects read from the API; lint calls them on objects
// decoded from files, so both judge the same facts with the same checks.

// ServiceAccountFact reduces a ServiceAccount to what the checks need.
func ServiceAccountFact(sa *corev1.ServiceAccount) SAFact { return saFact(sa) }

// PodFactOf reduces a pod to what the checks need.
func PodFactOf(p *corev1.Pod) PodFact { return podFact(p) }

// SecretFactOf judges a Secret by content; the result holds key names only.
func SecretFactOf(s *corev1.Secret) SecretFact { return judgeSecret(s) }

// ChaosFactOf keeps the ChaosExperiments of a namespace and the ChaosEngines
// that run as sa (all of them when experiment names one they run).
func ChaosFactOf(items []unstructured.Unstructured, sa, experiment string) *ChaosFact {
	return chaosFactOf(items, sa, experiment)
}

// GateFactOf builds what experiment.gate judges from a namespace's chaos
// objects (the ChaosEngines running as sa are kept) and Argo workflows.
func GateFactOf(chaos, workflows []unstructured.Unstructured, sa string) *GateFact {
	return gateFactOf(chaos, workflows, sa, "")
}
