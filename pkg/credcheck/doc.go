// Package credcheck holds podcred-agent's checks and what every podcred check
// shares (role ARNs, AWS error classification, trust-statement fixes). Facts
// are collected first (env, token claims, STS answers, IMDS probes, the SDK
// credential chain) into a Facts value; each check is then a small pure
// function from Facts to a report.Check, so checks are tested with plain
// values and the collectors with httptest servers answering AWS's real wire
// formats. The preflight checks live in pkg/preflight, so the agent binary
// links none of their IAM, EKS and dynamic-client code.
package credcheck
