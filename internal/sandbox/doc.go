// Package sandbox runs an EKS-like world on one machine, with no AWS account.
// Start composes the parts, each a sub-package with one job:
//
//   - world: the world file model (World, examples/worlds/*.yaml) and its validation;
//   - proc: child processes stopped by PID, loopback ports, the directory lock;
//   - controlplane: etcd and a real kube-apiserver (built by `make tools`) on
//     127.0.0.1 with an EKS-style https issuer, the CRDs and the shipped admission policy;
//   - awsemu: moto behind the validating STS front (package stsfront), which
//     checks web identity tokens against the apiserver's JWKS and the roles'
//     trust policies as AWS STS does, and optionally the IMDS mock;
//   - node: with Options.Node, a real node (containerd, kubelet, controllers,
//     the pod identity webhook).
//
// The Sandbox loads a world into moto and the apiserver (Load clears the
// previous one), and plays the parts no process plays without a node: the pod
// identity webhook for the pods it creates, and the kubelet (AgentEnv writes a
// pod's projected token and mounted secrets under the sandbox directory and
// returns the environment its container would have). It runs the agent for a
// world's scenarios (RunAgent, or RunAgentInPod on the node) and keeps every
// secret it saw for leak scans (Secrets). MintToken asks the TokenRequest API
// for pod-bound tokens; MintExpiredToken signs an expired one with the
// cluster's own key. Close stops every process by its PID.
//
// Every server binds 127.0.0.1 and every client the sandbox configures points
// at loopback: nothing is sent to 169.254.169.254 or any other address.
package sandbox
