package preflightcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
)

// LocalAgentRunner runs a verification Job's pod as a local podcred-agent
// process, for clusters without a kubelet (the sandbox, tests). It plays the
// parts a real cluster plays:
//
//   - the Job controller: it creates the Job's pod object from the template
//     (named <job>-local, labelled job-name=<job>) and deletes it afterwards;
//   - the EKS pod identity webhook: when the ServiceAccount carries
//     eks.amazonaws.com/role-arn it sets AWS_ROLE_ARN,
//     AWS_WEB_IDENTITY_TOKEN_FILE, AWS_REGION and AWS_STS_REGIONAL_ENDPOINTS;
//   - the kubelet: it asks the TokenRequest API for the IRSA token (the
//     SA's audience, bound to the pod) and for a Kubernetes token of the SA,
//     writes them and a kubeconfig under a private temporary directory,
//     resolves the downward-API env, and runs the container's args with
//     --kubeconfig added.
//
// How that differs from a real cluster: no image is pulled (Agent is a
// binary on this machine), no node runs it (so no node network path, no
// IMDS: AWS_EC2_METADATA_DISABLED=true), the token is minted through
// TokenRequest rather than projected (same claims: issuer, sub, aud, pod
// binding), the webhook's mutation is not applied to the pod object, the
// Job's status is never updated, and AWS endpoints come from this process's
// AWS_ENDPOINT_URL* and AWS_REGION (its AWS keys are never passed on). The
// verdict is read back from the ConfigMap the agent publishes, exactly as
// on a real cluster.
type LocalAgentRunner struct {
	// Agent is the podcred-agent binary.
	Agent string
	// REST is the API server the agent's kubeconfig points at.
	REST *rest.Config
	// LookupEnv supplies AWS_ENDPOINT_URL* and AWS_REGION (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Stderr receives the agent's stderr (default discarded).
	Stderr io.Writer
}

var _ preflight.JobRunner = (*LocalAgentRunner)(nil)

// forwardedEnv are the variables of this process the agent gets.
var forwardedEnv = []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_CA_BUNDLE"}

// RunJob creates the Job's pod, runs the agent as it and removes the pod.
func (l *LocalAgentRunner) RunJob(ctx context.Context, c kubernetes.Interface, job *batchv1.Job) error {
	lookup := l.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	tmpl := job.Spec.Template
	if len(tmpl.Spec.Containers) == 0 {
		return errors.New("the Job's pod template has no container")
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: job.Name + "-local", Namespace: job.Namespace, Labels: map[string]string{"job-name": job.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID, Controller: ptr.To(true)}}},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	for k, v := range tmpl.Labels {
		pod.Labels[k] = v
	}
	pods := c.CoreV1().Pods(job.Namespace)
	_ = pods.Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create pod %s: %w", pod.Name, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = pods.Delete(dctx, created.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
	}()
	dir, err := os.MkdirTemp("", "podcred-local-job-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := l.podEnv(ctx, c, created, dir, lookup)
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := l.writeKubeconfig(ctx, c, created, kubeconfig); err != nil {
		return err
	}
	ctr := created.Spec.Containers[0]
	args := append(append([]string(nil), ctr.Args...), "--kubeconfig", kubeconfig)
	cmd := exec.CommandContext(ctx, l.Agent, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.Discard
	if l.Stderr != nil {
		cmd.Stderr = l.Stderr
	}
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return fmt.Errorf("run %s: %w", l.Agent, err)
	}
	// A non-zero exit is a verdict (3 fail, 1 unverified): it is in the ConfigMap.
	return nil
}

// podEnv is the container's environment as the webhook and the kubelet would make it.
func (l *LocalAgentRunner) podEnv(ctx context.Context, c kubernetes.Interface, p *corev1.Pod, dir string, lookup func(string) (string, bool)) ([]string, error) {
	env := []string{"HOME=" + dir, "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=" + p.Name, "AWS_EC2_METADATA_DISABLED=true"}
	for _, name := range forwardedEnv {
		if v, ok := lookup(name); ok && v != "" {
			env = append(env, name+"="+v)
		}
	}
	for _, e := range p.Spec.Containers[0].Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = p.Name
			case "metadata.namespace":
				v = p.Namespace
			case "metadata.uid":
				v = string(p.UID)
			case "spec.serviceAccountName":
				v = p.Spec.ServiceAccountName
			}
		}
		env = append(env, e.Name+"="+v)
	}
	sa, err := c.CoreV1().ServiceAccounts(p.Namespace).Get(ctx, p.Spec.ServiceAccountName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("serviceaccount %s/%s: %w", p.Namespace, p.Spec.ServiceAccountName, err)
	}
	role, ok := sa.Annotations[podiam.AnnotationRoleARN]
	if !ok {
		return env, nil // the webhook injects nothing
	}
	audience := sa.Annotations[podiam.AnnotationAudience]
	if audience == "" {
		audience = podiam.DefaultAudience
	}
	tok, err := requestToken(ctx, c, p, []string{audience})
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(dir, "eks.amazonaws.com", "serviceaccount", "token")
	if err := os.MkdirAll(filepath.Dir(tokenFile), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		return nil, err
	}
	region, _ := lookup("AWS_REGION")
	if region == "" {
		region = defaultRegion
	}
	return append(env, "AWS_ROLE_ARN="+role, "AWS_WEB_IDENTITY_TOKEN_FILE="+tokenFile, "AWS_STS_REGIONAL_ENDPOINTS=regional",
		"AWS_REGION="+region, "AWS_DEFAULT_REGION="+region), nil
}

// requestToken asks the TokenRequest API for a token of the pod's SA, bound to the pod.
func requestToken(ctx context.Context, c kubernetes.Interface, p *corev1.Pod, audiences []string) (string, error) {
	tr, err := c.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, p.Spec.ServiceAccountName, &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		Audiences: audiences, ExpirationSeconds: ptr.To(int64(3600)),
		BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
	}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token request for %s/%s: %w", p.Namespace, p.Spec.ServiceAccountName, err)
	}
	return tr.Status.Token, nil
}

// writeKubeconfig writes a kubeconfig authenticating as the pod's SA.
func (l *LocalAgentRunner) writeKubeconfig(ctx context.Context, c kubernetes.Interface, p *corev1.Pod, path string) error {
	if l.REST == nil {
		return errors.New("no API server configuration for the agent's kubeconfig")
	}
	tok, err := requestToken(ctx, c, p, nil)
	if err != nil {
		return err
	}
	ca := l.REST.CAData
	if len(ca) == 0 && l.REST.CAFile != "" {
		if ca, err = os.ReadFile(l.REST.CAFile); err != nil {
			return err
		}
	}
	user := podiam.Subject(p.Namespace, p.Spec.ServiceAccountName)
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"cluster": {Server: l.REST.Host, CertificateAuthorityData: ca, InsecureSkipTLSVerify: l.REST.Insecure}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: tok}},
		Contexts:       map[string]*clientcmdapi.Context{"pod": {Cluster: "cluster", AuthInfo: user, Namespace: p.Namespace}},
		CurrentContext: "pod",
	}
	if strings.HasPrefix(l.REST.Host, "http://") {
		cfg.Clusters["cluster"].CertificateAuthorityData = nil
	}
	return clientcmd.WriteToFile(cfg, path)
}
