package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/pkg/podiam"
)

// ControlPlaneOptions configures StartControlPlane.
type ControlPlaneOptions struct {
	// Dir holds etcd's data, the key material, logs and the admin kubeconfig.
	Dir string
	// BinDir holds kube-apiserver and etcd (built by `make tools`).
	BinDir string
	// Issuer is the service-account issuer, an https URL (EKS style).
	Issuer string
}

// ControlPlane is etcd plus kube-apiserver on loopback ports, with RBAC on,
// an RSA service-account key, an EKS-style issuer and anonymous OIDC discovery.
type ControlPlane struct {
	// Issuer is the service-account issuer (the tokens' iss).
	Issuer string
	// URL is the apiserver's https://127.0.0.1:PORT.
	URL string
	// JWKSURL is the apiserver's /openid/v1/jwks URL, as announced in its discovery document.
	JWKSURL string
	// CAPEM is the CA bundle that verifies the apiserver's serving certificate.
	CAPEM []byte
	// Kubeconfig is the path of the admin kubeconfig (group system:masters).
	Kubeconfig string
	// Config is the admin client configuration.
	Config *rest.Config
	// Client is the admin clientset.
	Client kubernetes.Interface

	pki        *pki
	dir        string
	binDir     string
	adminToken string
	components map[string]string // node components' static tokens by user (components.go)
	etcdURL    string
	etcd       *proc.Proc
	apiserver  *proc.Proc
}

// StartControlPlane starts etcd and kube-apiserver and waits until the
// apiserver is ready and serves OIDC discovery to anonymous clients.
func StartControlPlane(ctx context.Context, opts ControlPlaneOptions) (*ControlPlane, error) {
	cp, err := StartStorage(ctx, opts.Dir, opts.BinDir)
	if err != nil {
		return nil, err
	}
	if err := cp.StartAPIServer(ctx, opts.Issuer, nil); err != nil {
		_ = cp.Stop()
		return nil, err
	}
	return cp, nil
}

// StartStorage generates the key material and starts etcd: everything that
// does not need the issuer, so that it can run while moto starts.
func StartStorage(ctx context.Context, dir, binDir string) (*ControlPlane, error) {
	if err := proc.CheckBinaries(binDir, false); err != nil {
		return nil, err
	}
	pki, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("control plane keys: %w", err)
	}
	cp := &ControlPlane{CAPEM: pki.caPEM, pki: pki, dir: dir, binDir: binDir}
	if cp.etcd, cp.etcdURL, err = startEtcd(ctx, dir, filepath.Join(binDir, "etcd")); err != nil {
		return nil, err
	}
	return cp, nil
}

// StartAPIServer starts kube-apiserver on etcd with the given issuer, waits
// for /readyz, opens OIDC discovery to anonymous users and writes the admin
// kubeconfig. launched, when not nil, is called as soon as the process runs
// and cp.Config/cp.Client are set, before the apiserver is ready.
func (cp *ControlPlane) StartAPIServer(ctx context.Context, issuer string, launched func()) error {
	if !strings.HasPrefix(issuer, "https://") {
		return fmt.Errorf("service-account issuer %q: must be an https URL", issuer)
	}
	cp.Issuer = issuer
	port, err := proc.FreePort()
	if err != nil {
		return err
	}
	cp.URL = proc.LoopbackURL("https", port)
	cp.JWKSURL = cp.URL + "/openid/v1/jwks"
	adminToken := rand.Text()
	tokenFile := filepath.Join(cp.dir, "pki", "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(adminToken+",sandbox-admin,sandbox-admin,system:masters\n"+cp.componentTokenLines()), 0o600); err != nil {
		return err
	}
	cp.adminToken = adminToken
	cp.apiserver, err = proc.StartProc(proc.ProcSpec{
		Name:   "kube-apiserver",
		Path:   filepath.Join(cp.binDir, "kube-apiserver"),
		Args:   apiserverArgs(cp.dir, cp.etcdURL, port, issuer, cp.JWKSURL, cp.pki, tokenFile),
		Env:    proc.ScrubbedEnv(),
		LogDir: cp.dir,
	})
	if err != nil {
		return err
	}
	cp.Config = &rest.Config{
		Host:            cp.URL,
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.pki.caPEM},
		QPS:             200,
		Burst:           400,
		Timeout:         30 * time.Second,
	}
	if cp.Client, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return err
	}
	if launched != nil {
		launched()
	}
	httpClient := cp.HTTPClient()
	if err := cp.apiserver.WaitReady(ctx, 60*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, httpClient, cp.URL+"/readyz", adminToken)
	}); err != nil {
		return err
	}
	if err := cp.allowAnonymousDiscovery(ctx); err != nil {
		return err
	}
	if err := cp.apiserver.WaitReady(ctx, 10*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, httpClient, cp.URL+"/.well-known/openid-configuration", "")
	}); err != nil {
		return fmt.Errorf("anonymous OIDC discovery: %w", err)
	}
	cp.Kubeconfig = filepath.Join(cp.dir, "kubeconfig")
	return WriteKubeconfig(cp.Kubeconfig, cp.URL, cp.pki.caPEM, "sandbox-admin", adminToken, "")
}

// apiserverArgs are kube-apiserver's flags: loopback only, RBAC, an RS256
// service-account key and the EKS-style issuer with sts.amazonaws.com as an API audience.
func apiserverArgs(dir, etcdURL string, port int, issuer, jwksURL string, p *pki, tokenFile string) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--tls-cert-file=" + p.certFile,
		"--tls-private-key-file=" + p.keyFile,
		"--client-ca-file=" + p.caFile,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=Node,RBAC",
		"--anonymous-auth=true",
		"--service-account-issuer=" + issuer,
		"--service-account-key-file=" + p.saPublicFile,
		"--service-account-signing-key-file=" + p.saKeyFile,
		"--service-account-jwks-uri=" + jwksURL,
		"--api-audiences=" + issuer + "," + podiam.DefaultAudience,
		"--service-cluster-ip-range=10.100.0.0/16",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	}
}

// startEtcd starts etcd on two loopback ports, waits for /health and returns its client URL.
func startEtcd(ctx context.Context, dir, bin string) (*proc.Proc, string, error) {
	clientPort, err := proc.FreePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := proc.FreePort()
	if err != nil {
		return nil, "", err
	}
	clientURL, peerURL := proc.LoopbackURL("http", clientPort), proc.LoopbackURL("http", peerPort)
	child, err := proc.StartProc(proc.ProcSpec{
		Name: "etcd",
		Path: bin,
		Args: []string{
			"--name=sandbox",
			"--data-dir=" + filepath.Join(dir, "etcd"),
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=sandbox=" + peerURL,
			"--unsafe-no-fsync=true",
			"--log-level=warn",
		},
		Env:    proc.ScrubbedEnv(),
		LogDir: dir,
	})
	if err != nil {
		return nil, "", err
	}
	client := &http.Client{}
	if err := child.WaitReady(ctx, 30*time.Second, func(ctx context.Context) error {
		return proc.HTTPGetOK(ctx, client, clientURL+"/health", "")
	}); err != nil {
		_ = child.Stop(0)
		return nil, "", err
	}
	return child, clientURL, nil
}

// allowAnonymousDiscovery binds ClusterRole system:service-account-issuer-discovery
// to group system:unauthenticated, as EKS does, so that anyone (the STS front
// included) can read /.well-known/openid-configuration and /openid/v1/jwks.
// Kubernetes' bootstrap policy binds it to system:serviceaccounts only.
func (cp *ControlPlane) allowAnonymousDiscovery(ctx context.Context) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "podcred-sandbox:service-account-issuer-discovery", Labels: ManagedLabels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:service-account-issuer-discovery"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"}},
	}
	_, err := cp.Client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bind issuer discovery to anonymous users: %w", err)
	}
	return nil
}

// HTTPClient is an anonymous client that trusts the apiserver's serving CA.
func (cp *ControlPlane) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cp.CAPEM)
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
}

// Procs are the control plane's processes (etcd, kube-apiserver).
func (cp *ControlPlane) Procs() []*proc.Proc { return []*proc.Proc{cp.etcd, cp.apiserver} }

// CAFile is the path of the CA bundle that verifies the apiserver (and signs client certificates).
func (cp *ControlPlane) CAFile() string { return cp.pki.caFile }

// SAKeyID is the "kid" of the service-account signing key, as in the tokens and the JWKS.
func (cp *ControlPlane) SAKeyID() string { return cp.pki.saKeyID }

// AdminToken is the admin's bearer token, for leak scans. Never print it.
func (cp *ControlPlane) AdminToken() string { return cp.adminToken }

// Stop stops kube-apiserver, then etcd, by PID.
func (cp *ControlPlane) Stop() error {
	return proc.StopAll(0, cp.apiserver, cp.etcd)
}
