// Package sandbox runs an EKS-like world on one machine, with no AWS account:
//
//   - a control plane: etcd and a real kube-apiserver (built by `make tools`) on
//     127.0.0.1, RBAC on, an RSA service-account key, an EKS-style https issuer,
//     sts.amazonaws.com among the API audiences, and OIDC discovery open to
//     anonymous clients (ControlPlane);
//   - moto (Moto) behind the validating STS front (package stsfront), which checks
//     web identity tokens against the apiserver's JWKS and the roles' trust
//     policies as AWS STS does; every AWS client is pointed at the front;
//   - optionally ec2-metadata-mock serving a node role (IMDS);
//   - a world (World, examples/worlds/*.yaml) loaded into moto and the apiserver:
//     OIDC providers, roles, namespaces, ServiceAccounts, pods, Litmus objects.
//
// Start brings it all up and Close stops every process by its PID. The sandbox
// also plays the parts no process plays: the pod identity webhook (pods of
// annotated ServiceAccounts get the IRSA variables and token volume) and the
// kubelet (AgentEnv writes a pod's projected token and mounted secrets under
// the sandbox directory and returns the environment its container would have).
// MintToken asks the TokenRequest API for pod-bound tokens; MintExpiredToken
// signs an expired one with the cluster's own key.
//
// Every server binds 127.0.0.1 and every client the sandbox configures points
// at loopback: nothing is sent to 169.254.169.254 or any other address.
package sandbox
