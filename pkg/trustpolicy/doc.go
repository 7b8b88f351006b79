// Package trustpolicy parses IAM policy documents and evaluates a role's
// trust policy for sts:AssumeRoleWithWebIdentity the way STS does: condition
// operators and set qualifiers, wildcard and ARN matching, explicit deny over
// allow (EvaluateTrust); LintTrust names the mistakes that make STS refuse an
// IRSA token. EvaluatePodIdentityTrust and LintPodIdentityTrust do the same
// for EKS Pod Identity: sts:AssumeRole and sts:TagSession by the service
// principal pods.eks.amazonaws.com, with the session tags as request
// context (corpus: testdata/podidentity_corpus.json). It is pure — no I/O, no Kubernetes, no AWS calls — so
// pkg/preflight's checks call it over collected facts, and its corpus test
// replays testdata/trust_corpus.json without a sandbox. The sandbox's STS
// front oracle (internal/sandbox/iampolicy) never imports it.
package trustpolicy
