// Package verdict publishes an agent report where a chaos experiment can gate
// on it, and is that gate: the Kubernetes sinks (ConfigMap podcred-<sa>, pod
// annotations, Event), the names of that contract (labels, annotations, data
// keys), the core/v1 client they use, and Gate, which applies the one gate
// contract (see gate.go). The report model and its renderers stay in
// pkg/report, free of client-go, so the pure checks that build reports do not
// link Kubernetes.
package verdict
