// Package node is the sandbox's real node (podcred-sandbox --node):
// containerd with runc, a kubelet registered as controlplane.KubeletNodeName,
// kube-controller-manager and kube-scheduler (started through the control
// plane), the agent and pause images imported offline, and the pod identity
// mutating webhook — the EKS webhook's IRSA contract (irsaPatchFor; InjectIRSA
// for the stand-in pods the sandbox creates itself) followed by the sandbox's
// loopback rewiring. Node.Stop ends the kubelet, every container task, the
// kubelet's mounts, containerd and the rest, each by its PID.
package node
