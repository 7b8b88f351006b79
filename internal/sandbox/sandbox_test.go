package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
)

const worldsDir = "../../examples/worlds"

// startSandbox starts a sandbox on file (a file of examples/worlds) and
// stops it when the test ends, whatever happens. It never skips: missing
// binaries fail with the command that builds them.
func startSandbox(t *testing.T, file string) *Sandbox {
	t.Helper()
	binDir, err := proc.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(binDir, "kube-apiserver")); err != nil {
		t.Fatalf("%s/kube-apiserver is missing: run `make tools`", binDir)
	}
	if err := awsemu.CheckMoto(""); err != nil {
		t.Fatal(err)
	}
	w, err := world.LoadWorld(filepath.Join(worldsDir, file))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	s, err := Start(ctx, Options{Dir: t.TempDir(), BinDir: binDir, World: w})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	t.Logf("sandbox with %s up in %s", file, time.Since(start).Round(time.Millisecond))
	return s
}

// stsClient talks to the front without credentials (AssumeRoleWithWebIdentity is unsigned).
func stsClient(s *Sandbox) *sts.Client {
	cfg := awsemu.AdminConfig(s.EndpointURL(), s.World().Region)
	cfg.Credentials = aws.AnonymousCredentials{}
	cfg.RetryMaxAttempts = 1
	return sts.NewFromConfig(cfg)
}

func assumeRole(ctx context.Context, s *Sandbox, role, tokenFile string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	return stsClient(s).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(awsemu.RoleARN(s.World().Account, role)),
		RoleSessionName:  aws.String("sandbox-test"),
		WebIdentityToken: aws.String(string(tok)),
	})
}

func wantAPIError(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), msgPart) {
		t.Fatalf("got %s %q, want %s containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msgPart)
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func jwtPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		t.Fatalf("token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSandboxDemoWorld(t *testing.T) {
	s := startSandbox(t, "demo.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := s.World()

	t.Run("every server listens on loopback only", func(t *testing.T) {
		procs := s.Procs()
		if len(procs) != 4 { // moto, etcd, kube-apiserver, ec2-metadata-mock (a scenario wants it)
			t.Fatalf("got %d processes, want 4", len(procs))
		}
		for _, p := range procs {
			addrs, err := proc.ListenAddrs(p.PID())
			if err != nil {
				t.Fatal(err)
			}
			if len(addrs) == 0 {
				t.Errorf("%s (pid %d) listens nowhere", p.Name(), p.PID())
			}
			for _, a := range addrs {
				if !a.Addr().IsLoopback() {
					t.Errorf("%s (pid %d) listens on %s", p.Name(), p.PID(), a)
				}
			}
		}
		u, _ := url.Parse(s.EndpointURL())
		if u.Hostname() != "127.0.0.1" {
			t.Errorf("front at %s", s.EndpointURL())
		}
	})

	t.Run("OIDC discovery is open to anonymous clients", func(t *testing.T) {
		client := s.ControlPlane().HTTPClient()
		resp, err := client.Get(s.ControlPlane().URL + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("anonymous GET: HTTP %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc.Issuer != s.Issuer() || doc.JWKSURI != s.ControlPlane().JWKSURL {
			t.Fatalf("discovery %+v, want issuer %s and jwks %s", doc, s.Issuer(), s.ControlPlane().JWKSURL)
		}
		jwks, err := client.Get(doc.JWKSURI)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(jwks.Body)
		jwks.Body.Close()
		if jwks.StatusCode != http.StatusOK || !strings.Contains(string(body), `"alg":"RS256"`) || !strings.Contains(string(body), s.cp.SAKeyID()) {
			t.Fatalf("anonymous GET jwks: HTTP %d %s", jwks.StatusCode, body)
		}
	})

	t.Run("eks DescribeCluster agrees with the apiserver's issuer", func(t *testing.T) {
		out, err := eks.NewFromConfig(awsemu.AdminConfig(s.EndpointURL(), w.Region)).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(w.Cluster.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Cluster.Identity.Oidc.Issuer); got != s.Issuer() || !strings.HasPrefix(got, "https://oidc.eks.us-east-1.amazonaws.com/id/") {
			t.Fatalf("eks issuer %s, apiserver issuer %s", got, s.Issuer())
		}
	})

	t.Run("a minted token is what the kubelet projects", func(t *testing.T) {
		path, err := s.MintToken(ctx, "litmus", "litmus-admin", "ec2-terminate-runner", podiam.DefaultAudience, controlplane.MinTokenTTL)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("token file %s: %v %v", path, fi.Mode(), err)
		}
		raw, _ := os.ReadFile(path)
		head, claims := jwtPart(t, string(raw), 0), jwtPart(t, string(raw), 1)
		if head["alg"] != "RS256" || head["kid"] != s.cp.SAKeyID() {
			t.Errorf("header %v", head)
		}
		pod, err := s.ControlPlane().Client.CoreV1().Pods("litmus").Get(ctx, "ec2-terminate-runner", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		k8s, _ := claims["kubernetes.io"].(map[string]any)
		boundPod, _ := k8s["pod"].(map[string]any)
		aud, _ := claims["aud"].([]any)
		if claims["iss"] != s.Issuer() || claims["sub"] != "system:serviceaccount:litmus:litmus-admin" ||
			len(aud) != 1 || aud[0] != podiam.DefaultAudience || boundPod["name"] != pod.Name || boundPod["uid"] != string(pod.UID) {
			t.Fatalf("claims %v", claims)
		}
	})

	t.Run("STS through the front lets the healthy SA in", func(t *testing.T) {
		path, err := s.MintToken(ctx, "litmus", "litmus-admin", "ec2-terminate-runner", podiam.DefaultAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		out, err := assumeRole(ctx, s, "chaos-ec2", path)
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		cfg := awsemu.AdminConfig(s.EndpointURL(), w.Region)
		cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if want := "arn:aws:sts::" + w.Account + ":assumed-role/chaos-ec2/sandbox-test"; aws.ToString(id.Arn) != want {
			t.Fatalf("caller %s, want %s", aws.ToString(id.Arn), want)
		}
		secrets, err := s.Secrets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !contains(secrets, aws.ToString(c.SecretAccessKey)) || !contains(secrets, aws.ToString(c.SessionToken)) {
			t.Fatal("Secrets misses the credentials moto issued")
		}
	})

	t.Run("STS refuses a trust policy naming another namespace", func(t *testing.T) {
		path, err := s.MintToken(ctx, "litmus", "wrong-namespace", "wrong-namespace-runner", podiam.DefaultAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, err = assumeRole(ctx, s, "chaos-wrong-namespace", path)
		wantAPIError(t, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	})

	t.Run("STS refuses an expired token signed by the cluster's key", func(t *testing.T) {
		path, err := s.MintExpiredToken(ctx, "litmus", "litmus-admin", "ec2-terminate-runner", podiam.DefaultAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if exp, _ := jwtPart(t, string(raw), 1)["exp"].(float64); time.Unix(int64(exp), 0).After(time.Now()) {
			t.Fatal("token not expired")
		}
		_, err = assumeRole(ctx, s, "chaos-ec2", path)
		var expired *ststypes.ExpiredTokenException
		if !errors.As(err, &expired) {
			t.Fatalf("got %v, want ExpiredTokenException", err)
		}
	})

	t.Run("AgentEnv is an IRSA pod's environment, without admin keys", func(t *testing.T) {
		env, err := s.AgentEnv(ctx, "litmus", "litmus-admin", "ec2-terminate-runner")
		if err != nil {
			t.Fatal(err)
		}
		m := envMap(env)
		for _, forbidden := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
			if _, ok := m[forbidden]; ok {
				t.Errorf("%s is set", forbidden)
			}
		}
		if m["AWS_ROLE_ARN"] != awsemu.RoleARN(w.Account, "chaos-ec2") || m["AWS_REGION"] != w.Region ||
			m["AWS_STS_REGIONAL_ENDPOINTS"] != "regional" || m["AWS_ENDPOINT_URL"] != s.EndpointURL() ||
			m["POD_NAME"] != "ec2-terminate-runner" || m["POD_NAMESPACE"] != "litmus" || m["POD_UID"] == "" {
			t.Fatalf("env %v", m)
		}
		for _, name := range awsemu.EndpointVars {
			if m[name] != s.EndpointURL() {
				t.Errorf("%s = %q, want the front", name, m[name])
			}
		}
		imds, _ := url.Parse(m["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
		if imds.Hostname() != "127.0.0.1" {
			t.Fatalf("IMDS endpoint %q is not loopback", m["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
		}
		if conn, err := net.DialTimeout("tcp", imds.Host, time.Second); err == nil { // blocked: nothing listens
			conn.Close()
			t.Fatal("blocked IMDS endpoint accepts connections")
		}
		if _, err := assumeRole(ctx, s, "chaos-ec2", m["AWS_WEB_IDENTITY_TOKEN_FILE"]); err != nil {
			t.Fatalf("the pod's token file: %v", err)
		}

		// The kubeconfig authenticates as the SA: RBAC and the shipped admission policy apply.
		cfg, err := clientcmd.BuildConfigFromFlags("", m["KUBECONFIG"])
		if err != nil {
			t.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(cfg)
		own := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "podcred-litmus-admin"}}
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
		if _, err := client.CoreV1().ConfigMaps("litmus").Create(ctx, own, dry); err != nil {
			t.Fatalf("the shipped agent Role should let the SA create its own report ConfigMap: %v", err)
		}
		other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "podcred-other-sa"}}
		if _, err := client.CoreV1().ConfigMaps("litmus").Create(ctx, other, dry); !apierrors.IsForbidden(err) ||
			!strings.Contains(err.Error(), "only that ServiceAccount") {
			t.Fatalf("creating another SA's report ConfigMap: %v, want the admission policy's refusal", err)
		}
		if _, err := client.CoreV1().Secrets("litmus").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("listing secrets as the SA: %v, want Forbidden", err)
		}
	})

	t.Run("scenario env: cloud-secret mounted, IMDS serving the node role", func(t *testing.T) {
		sc, _ := w.Scenario("cloud-secret")
		env, err := s.ScenarioEnv(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		file := envMap(env)["AWS_SHARED_CREDENTIALS_FILE"]
		data, err := os.ReadFile(file)
		if err != nil || !strings.HasPrefix(file, s.Dir()) || !strings.Contains(string(data), "aws_access_key_id") {
			t.Fatalf("shared credentials file %q: %v", file, err)
		}
		sc, _ = w.Scenario("imds-reachable")
		env, err = s.ScenarioEnv(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(envMap(env)["AWS_EC2_METADATA_SERVICE_ENDPOINT"] + "/latest/meta-data/iam/security-credentials/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.TrimSpace(string(body)) != awsemu.NodeRoleName {
			t.Fatalf("IMDS role list %q", body)
		}
	})

	t.Run("Litmus objects exist", func(t *testing.T) {
		dyn := dynamic.NewForConfigOrDie(s.ControlPlane().Config)
		gvr := schema.GroupVersionResource{Group: "litmuschaos.io", Version: "v1alpha1", Resource: "chaosexperiments"}
		exp, err := dyn.Resource(gvr).Namespace("litmus-legacy").Get(ctx, "ec2-terminate-by-id", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(mustJSON(t, exp.Object), "cloud-secret") {
			t.Fatal("ChaosExperiment lost its secrets")
		}
	})

	t.Run("the AWS CLI gets the same answers as the SDK", func(t *testing.T) {
		allowed, err := s.MintToken(ctx, "litmus", "litmus-admin", "ec2-terminate-runner", podiam.DefaultAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		out, stderr, err := awsCLI(t, s, "chaos-ec2", allowed)
		if err != nil {
			t.Fatalf("aws cli: %v: %s", err, stderr)
		}
		if !strings.Contains(out, "assumed-role/chaos-ec2/cli-test") {
			t.Fatalf("aws cli output %q", out)
		}
		refused, err := s.MintToken(ctx, "litmus", "wildcard-equals", "wildcard-equals-runner", podiam.DefaultAudience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, stderr, err = awsCLI(t, s, "chaos-wildcard-equals", refused)
		if err == nil || !strings.Contains(stderr, "(AccessDenied)") {
			t.Fatalf("aws cli: err %v, stderr %q; want (AccessDenied)", err, stderr)
		}
	})

	t.Run("the AWS CLI reads the nodes' metadata options as the SDK does", func(t *testing.T) { testNodesCLIFidelity(t, s) })

	t.Run("the AWS CLI's default chain in AgentEnv takes the role through the front", func(t *testing.T) {
		env, err := s.AgentEnv(ctx, "litmus", "litmus-admin", "ec2-terminate-runner")
		if err != nil {
			t.Fatal(err)
		}
		aws, err := execLookPath("aws")
		if err != nil {
			t.Fatal("the AWS CLI is missing: pip install awscli")
		}
		env = append(env, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		out, stderr, err := runCmd(aws, []string{"sts", "get-caller-identity", "--output", "text", "--query", "Arn"}, env)
		if err != nil || !strings.Contains(out, ":assumed-role/chaos-ec2/") {
			t.Fatalf("aws sts get-caller-identity: %v %q %q", err, out, stderr)
		}
	})

	t.Run("worlds switch without restarting", func(t *testing.T) {
		for _, tc := range []struct{ world, code, msg string }{
			{"wrong-audience.yaml", "InvalidIdentityToken", "Incorrect token audience"},
			{"no-oidc-provider.yaml", "InvalidIdentityToken", "No OpenIDConnect provider found"},
		} {
			nw, err := world.LoadWorld(filepath.Join(worldsDir, tc.world))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := s.Load(ctx, nw); err != nil {
				t.Fatalf("load %s: %v", tc.world, err)
			}
			t.Logf("%s loaded in %s", tc.world, time.Since(start).Round(time.Millisecond))
			env, err := s.AgentEnv(ctx, "litmus", "litmus-admin", "ec2-terminate-runner")
			if err != nil {
				t.Fatal(err)
			}
			_, err = assumeRole(ctx, s, "chaos-ec2", envMap(env)["AWS_WEB_IDENTITY_TOKEN_FILE"])
			wantAPIError(t, err, tc.code, tc.msg)
		}
	})

	t.Run("Close stops every process by PID", func(t *testing.T) {
		var pids []int
		for _, p := range s.Procs() {
			pids = append(pids, p.PID())
		}
		front := s.EndpointURL()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("pid %d still exists after Close (kill 0: %v)", pid, err)
			}
		}
		if resp, err := http.Get(front); err == nil {
			resp.Body.Close()
			t.Error("the STS front still answers after Close")
		}
	})
}

func awsCLI(t *testing.T, s *Sandbox, role, tokenFile string) (stdout, stderr string, err error) {
	t.Helper()
	aws, lookErr := execLookPath("aws")
	if lookErr != nil {
		t.Fatal("the AWS CLI is missing: pip install awscli")
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--endpoint-url", s.EndpointURL(), "--region", s.World().Region, "--output", "json",
		"sts", "assume-role-with-web-identity",
		"--role-arn", awsemu.RoleARN(s.World().Account, role), "--role-session-name", "cli-test",
		"--web-identity-token", string(tok)}
	if cliV2(aws) {
		args = append([]string{"--no-cli-pager"}, args...)
	}
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_MAX_ATTEMPTS=1",
	}
	return runCmd(aws, args, env)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
