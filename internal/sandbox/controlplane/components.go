package controlplane

import (
	"crypto/rand"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// Identities of the node's components, as kubeadm names them: the bootstrap
// RBAC policy binds system:kube-controller-manager and system:kube-scheduler,
// and the Node authorizer serves system:node:<name> in group system:nodes.
const (
	controllerManagerUser = "system:kube-controller-manager"
	schedulerUser         = "system:kube-scheduler"
	// KubeletNodeName is the name the node's kubelet registers (the stand-in
	// Node of world pods is NodeName).
	KubeletNodeName = "podcred-node"
	kubeletUser     = "system:node:" + KubeletNodeName
)

// componentTokenLines makes a static token for each component and returns
// their token-auth-file lines (token,user,uid,"groups").
func (cp *ControlPlane) componentTokenLines() string {
	cp.components = map[string]string{}
	var b strings.Builder
	for _, u := range []struct{ user, groups string }{
		{controllerManagerUser, ""},
		{schedulerUser, ""},
		{kubeletUser, "system:nodes"},
	} {
		tok := rand.Text()
		cp.components[u.user] = tok
		b.WriteString(tok + "," + u.user + "," + u.user)
		if u.groups != "" {
			b.WriteString(`,"` + u.groups + `"`)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// componentKubeconfig writes a kubeconfig for a component's identity under
// the control plane's directory and returns its path.
func (cp *ControlPlane) componentKubeconfig(user string) (string, error) {
	path := filepath.Join(cp.dir, "pki", "kubeconfig-"+strings.ReplaceAll(user, ":", "-"))
	return path, WriteKubeconfig(path, cp.URL, cp.pki.caPEM, user, cp.components[user], "")
}

// Port is the apiserver's loopback port.
func (cp *ControlPlane) Port() int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(cp.URL, "https://"))
	n, _ := strconv.Atoi(p)
	return n
}

// KubeletKubeconfig writes the kubeconfig of the node's kubelet (user
// system:node:KubeletNodeName) and returns its path.
func (cp *ControlPlane) KubeletKubeconfig() (string, error) {
	return cp.componentKubeconfig(kubeletUser)
}

// ComponentTokens are the node components' static tokens, for leak scans. Never print them.
func (cp *ControlPlane) ComponentTokens() []string {
	out := make([]string, 0, len(cp.components))
	for _, tok := range cp.components {
		out = append(out, tok)
	}
	return out
}
