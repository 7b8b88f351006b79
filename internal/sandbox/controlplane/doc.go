// Package controlplane runs the sandbox's Kubernetes control plane on
// 127.0.0.1: etcd and a real kube-apiserver with RBAC, an RSA service-account
// key, an EKS-style https issuer, sts.amazonaws.com among the API audiences and
// OIDC discovery open to anonymous clients (ControlPlane); its PKI and
// kubeconfigs; TokenRequest minting (RequestToken) and expired tokens signed
// with the cluster's own key (ExpireToken); the static credentials of the
// node's components and, on demand, kube-controller-manager and
// kube-scheduler. Objects installs the Litmus and Argo CRDs and the shipped
// admission policy (deploy/admission-policy.yaml) and creates objects of any kind.
package controlplane
