package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/pkg/podiam"
)

// agentGet calls the pod's Pod Identity agent as the SDK's container provider does.
func agentGet(t *testing.T, env map[string]string) (int, []byte) {
	t.Helper()
	tok, err := os.ReadFile(env[podiam.EnvContainerAuthTokenFile])
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, env[podiam.EnvContainerCredsFullURI], nil)
	req.Header.Set("Authorization", string(tok))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

func TestSandboxPodIdentityWorld(t *testing.T) {
	s := startSandbox(t, "pod-identity.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	podEnv := func(t *testing.T, sa, pod string) map[string]string {
		t.Helper()
		env, err := s.AgentEnv(ctx, "litmus", sa, pod)
		if err != nil {
			t.Fatal(err)
		}
		return envMap(env)
	}

	t.Run("an associated SA's pod gets the Pod Identity env and a pods.eks.amazonaws.com token, not IRSA", func(t *testing.T) {
		env := podEnv(t, "chaos-pi", "")
		if env[podiam.EnvContainerCredsFullURI] != s.PodIdentityAgentURL() || !strings.HasPrefix(s.PodIdentityAgentURL(), "http://127.0.0.1:") {
			t.Fatalf("FULL_URI %q, want the loopback agent %q", env[podiam.EnvContainerCredsFullURI], s.PodIdentityAgentURL())
		}
		if env[podiam.EnvRoleARN] != "" || env[podiam.EnvRegion] == "" {
			t.Fatalf("AWS_ROLE_ARN %q, AWS_REGION %q", env[podiam.EnvRoleARN], env[podiam.EnvRegion])
		}
		tok, err := os.ReadFile(env[podiam.EnvContainerAuthTokenFile])
		if err != nil {
			t.Fatal(err)
		}
		claims := jwtPart(t, string(tok), 1)
		if aud, _ := json.Marshal(claims["aud"]); !strings.Contains(string(aud), podiam.PodIdentityAudience) || claims["sub"] != "system:serviceaccount:litmus:chaos-pi" {
			t.Fatalf("token aud %s sub %v", aud, claims["sub"])
		}
	})

	t.Run("the agent trades the token for the associated role, and STS says assumed-role/<role>/eks-...", func(t *testing.T) {
		status, body := agentGet(t, podEnv(t, "chaos-pi", ""))
		if status != http.StatusOK {
			t.Fatalf("agent answered %d: %s", status, body)
		}
		var c struct{ AccessKeyId, SecretAccessKey, Token, AccountId, Expiration string }
		if err := json.Unmarshal(body, &c); err != nil || c.AccountId != s.World().Account {
			t.Fatalf("answer does not decode (%v) or names account %q", err, c.AccountId)
		}
		cfg := awsemu.AdminConfig(s.EndpointURL(), s.World().Region)
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyId, c.SecretAccessKey, c.Token)
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		want := "arn:aws:sts::" + s.World().Account + ":assumed-role/chaos-pod-identity/eks-chaos-lab-podcred-v"
		if !strings.HasPrefix(aws.ToString(id.Arn), want) {
			t.Fatalf("caller %s, want %s...", aws.ToString(id.Arn), want)
		}
	})

	for sa, code := range map[string]string{"chaos-wrong-principal": "(AccessDeniedException)", "chaos-no-tagsession": "(AccessDeniedException)"} {
		t.Run(sa+" is refused by eks-auth, as the agent reports it", func(t *testing.T) {
			status, body := agentGet(t, podEnv(t, sa, ""))
			if status != http.StatusBadRequest || !strings.Contains(string(body), code) {
				t.Fatalf("agent answered %d %q, want 400 with %s", status, body, code)
			}
		})
	}

	t.Run("an SA with neither mechanism gets neither", func(t *testing.T) {
		env := podEnv(t, "chaos-missing", "")
		if env[podiam.EnvContainerCredsFullURI] != "" || env[podiam.EnvRoleARN] != "" {
			t.Fatalf("FULL_URI %q AWS_ROLE_ARN %q", env[podiam.EnvContainerCredsFullURI], env[podiam.EnvRoleARN])
		}
	})

	t.Run("a pod whose manifest carries IRSA gets Pod Identity on top", func(t *testing.T) {
		env := podEnv(t, "chaos-both", "both-runner")
		if env[podiam.EnvContainerCredsFullURI] == "" || !strings.HasSuffix(env[podiam.EnvRoleARN], ":role/chaos-both") {
			t.Fatalf("FULL_URI %q AWS_ROLE_ARN %q", env[podiam.EnvContainerCredsFullURI], env[podiam.EnvRoleARN])
		}
	})

	t.Run("the AWS CLI gets the same associations, exchange and refusal as the Go SDK and the agent", func(t *testing.T) {
		awsPath, err := execLookPath("aws")
		if err != nil {
			t.Fatal("the AWS CLI is not installed (pip install awscli)")
		}
		cliEnv := append(s.Env(), "HOME="+t.TempDir(), "PATH="+os.Getenv("PATH"))
		out, stderr, err := runCmd(awsPath, []string{"eks", "list-pod-identity-associations", "--cluster-name", "chaos-lab",
			"--namespace", "litmus", "--service-account", "chaos-pi", "--output", "json"}, cliEnv)
		if err != nil {
			t.Fatalf("aws eks list-pod-identity-associations: %v: %s", err, stderr)
		}
		var cli struct {
			Associations []struct{ AssociationId string }
		}
		if err := json.Unmarshal([]byte(out), &cli); err != nil {
			t.Fatal(err)
		}
		sdk, err := eks.NewFromConfig(awsemu.AdminConfig(s.EndpointURL(), s.World().Region)).ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{
			ClusterName: aws.String("chaos-lab"), Namespace: aws.String("litmus"), ServiceAccount: aws.String("chaos-pi")})
		if err != nil || len(sdk.Associations) != 1 || len(cli.Associations) != 1 || cli.Associations[0].AssociationId != aws.ToString(sdk.Associations[0].AssociationId) {
			t.Fatalf("CLI %+v, SDK %v %+v: want the same single association", cli, err, sdk)
		}
		out, stderr, err = runCmd(awsPath, []string{"eks", "describe-pod-identity-association", "--cluster-name", "chaos-lab",
			"--association-id", cli.Associations[0].AssociationId, "--output", "json"}, cliEnv)
		if err != nil || !strings.Contains(out, `:role/chaos-pod-identity"`) {
			t.Fatalf("describe: %v %s %s", err, out, stderr)
		}
		// A healthy exchange: eks-auth's answer to the CLI names the same
		// association, subject and role session the agent's credentials are of.
		okEnv := podEnv(t, "chaos-pi", "")
		okTok, _ := os.ReadFile(okEnv[podiam.EnvContainerAuthTokenFile])
		out, stderr, err = runCmd(awsPath, []string{"eks-auth", "assume-role-for-pod-identity", "--cluster-name", "chaos-lab", "--token", string(okTok), "--output", "json"}, cliEnv)
		if err != nil {
			t.Fatalf("aws eks-auth assume-role-for-pod-identity: %v: %s", err, stderr)
		}
		var got struct {
			Subject                struct{ Namespace, ServiceAccount string }
			Audience               string
			PodIdentityAssociation struct{ AssociationId string }
			AssumedRoleUser        struct{ Arn string }
			Credentials            struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		status, agentOK := agentGet(t, okEnv)
		var creds struct{ AccountId string }
		_ = json.Unmarshal(agentOK, &creds)
		wantARN := "arn:aws:sts::" + s.World().Account + ":assumed-role/chaos-pod-identity/eks-chaos-lab-"
		if got.Subject.Namespace != "litmus" || got.Subject.ServiceAccount != "chaos-pi" || got.Audience != podiam.PodIdentityAudience ||
			got.PodIdentityAssociation.AssociationId != cli.Associations[0].AssociationId || !strings.HasPrefix(got.AssumedRoleUser.Arn, wantARN) ||
			got.Credentials.AccessKeyId == "" || got.Credentials.SecretAccessKey == "" || got.Credentials.SessionToken == "" ||
			status != http.StatusOK || creds.AccountId != s.World().Account {
			t.Fatalf("CLI: subject %+v audience %q association %q role session %q (keys present: %v); agent %d account %q: "+
				"want litmus/chaos-pi, %s, %s, %s*, and the agent's credentials in the same account",
				got.Subject, got.Audience, got.PodIdentityAssociation.AssociationId, got.AssumedRoleUser.Arn, got.Credentials.AccessKeyId != "",
				status, creds.AccountId, podiam.PodIdentityAudience, cli.Associations[0].AssociationId, wantARN)
		}

		env := podEnv(t, "chaos-wrong-principal", "")
		tok, _ := os.ReadFile(env[podiam.EnvContainerAuthTokenFile])
		_, stderr, err = runCmd(awsPath, []string{"eks-auth", "assume-role-for-pod-identity", "--cluster-name", "chaos-lab", "--token", string(tok)}, cliEnv)
		_, agentBody := agentGet(t, env)
		if err == nil || !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(string(agentBody), strings.TrimSpace(stderr[strings.LastIndex(stderr, ": ")+2:])) {
			t.Fatalf("CLI refusal %v %q, agent %q: want the same AccessDeniedException", err, stderr, agentBody)
		}
	})
}
