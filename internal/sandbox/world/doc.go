// Package world is the model of a sandbox world file (examples/worlds/*.yaml):
// the AWS account, region and EKS cluster, OIDC providers, IAM policies and
// roles, namespaces with their ServiceAccounts, Secrets, pods and Litmus
// objects, worker nodes with their IMDS options, and the scenarios to verify.
//
// LoadWorld and ParseWorld decode strictly and validate everything that would
// otherwise fail half-way through loading (duplicates, unknown references,
// malformed policies); World.Resolve expands the placeholders (${ACCOUNT},
// ${ISSUER}, ...) for a running cluster. ScaleWorld generates worlds for
// benchmarks. The package is pure: it starts no process and talks to nobody.
package world
