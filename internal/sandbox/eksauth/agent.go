package eksauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/rs/zerolog"
)

// AgentOptions configure the loopback Pod Identity agent.
type AgentOptions struct {
	// EKSAuthURL is where eks-auth is served (the sandbox's front). Required, loopback.
	EKSAuthURL string
	// ClusterName is the cluster the agent runs in. Required.
	ClusterName string
	// Region signs the eks-auth calls; default us-east-1.
	Region string
	// Credentials sign the eks-auth calls (the node role's, on EKS). Required.
	Credentials aws.CredentialsProvider
	// Logger gets one line per request (never the token or the credentials).
	Logger zerolog.Logger
}

// Agent is the sandbox's stand-in for the node's EKS Pod Identity agent
// (aws/eks-pod-identity-agent): GET /v1/credentials with the pod's token as
// Authorization, answered with container-credentials JSON from
// AssumeRoleForPodIdentity. It listens on 127.0.0.1 instead of 169.254.170.23
// (the sandbox's documented deviation): the target-host check of its
// internal/validation/request.go accepts that address only.
type Agent struct {
	// URL is AWS_CONTAINER_CREDENTIALS_FULL_URI for pods: http://127.0.0.1:<port>/v1/credentials.
	URL     string
	host    string
	opts    AgentOptions
	cluster atomic.Pointer[string]
	hc      *http.Client
	srv     *http.Server
	done    chan struct{}
}

// agentTimeout bounds one eks-auth call, like the real agent's client
// (internal/cloud/eksauth/service.go: 1 s; the sandbox allows more for moto).
const agentTimeout = 10 * time.Second

// StartAgent serves the agent on a free loopback port.
func StartAgent(o AgentOptions) (*Agent, error) {
	u, err := url.Parse(o.EKSAuthURL)
	if err != nil || u.Scheme != "http" || net.ParseIP(u.Hostname()) == nil || !net.ParseIP(u.Hostname()).IsLoopback() {
		return nil, fmt.Errorf("pod identity agent: EKSAuthURL %q is not a loopback http URL", o.EKSAuthURL)
	}
	if o.ClusterName == "" || o.Credentials == nil {
		return nil, errors.New("pod identity agent: ClusterName and Credentials are required")
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &Agent{URL: "http://" + l.Addr().String() + "/v1/credentials", host: "127.0.0.1", opts: o,
		hc: &http.Client{Timeout: agentTimeout}, done: make(chan struct{})}
	a.SetClusterName(o.ClusterName)
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/credentials", a.serve)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, MaxHeaderBytes: 1 << 20}
	go func() {
		defer close(a.done)
		_ = a.srv.Serve(l)
	}()
	return a, nil
}

// ClusterName is the cluster the agent serves pods of.
func (a *Agent) ClusterName() string { return *a.cluster.Load() }

// SetClusterName moves the agent to another cluster (a sandbox that loads another world).
func (a *Agent) SetClusterName(name string) { a.cluster.Store(&name) }

// Stop closes the listener and every connection and waits for the server.
func (a *Agent) Stop() error {
	err := a.srv.Close()
	<-a.done
	return err
}

// agentCreds is the real agent's EksCredentialsResponse (pkg/credentials/model.go).
type agentCreds struct {
	AccessKeyID     string `json:"AccessKeyId,omitempty"`
	SecretAccessKey string `json:"SecretAccessKey,omitempty"`
	Token           string `json:"Token,omitempty"`
	AccountID       string `json:"AccountId,omitempty"`
	Expiration      string `json:"Expiration,omitempty"`
}

// serve is the real agent's EksCredentialHandler.HandleRequest
// (pkg/handlers/eks_credential_handler.go): validate the target host and the
// token, call EKS Auth, answer JSON — or http.Error with the message and
// status of pkg/errors/errors.go HandleCredentialFetchingError.
func (a *Agent) serve(w http.ResponseWriter, r *http.Request) {
	log := a.opts.Logger.With().Str("component", "pod-identity-agent").Logger()
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host != a.host {
		http.Error(w, fmt.Sprintf("Access Denied. Called agent through invalid address, please use either [%s] address not %s", a.host, host), http.StatusForbidden)
		return
	}
	token := r.Header.Get("Authorization")
	if msg := validateToken(token); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), agentTimeout)
	defer cancel()
	out, status, msg := a.assume(ctx, token)
	if out == nil {
		log.Debug().Int("status", status).Str("error", msg).Msg("error fetching credentials")
		http.Error(w, msg, status)
		return
	}
	account := ""
	if parts := strings.Split(out.AssumedRoleUser.Arn, ":"); len(parts) > 4 {
		account = parts[4]
	}
	body, _ := json.Marshal(agentCreds{
		AccessKeyID: out.Credentials.AccessKeyID, SecretAccessKey: out.Credentials.SecretAccessKey,
		Token: out.Credentials.SessionToken, AccountID: account,
		Expiration: time.Time(out.Credentials.Expiration).UTC().Format(time.RFC3339Nano),
	})
	w.Header().Add("Content-Type", "application/json")
	_, _ = w.Write(body)
	log.Debug().Str("assumedRole", out.AssumedRoleUser.Arn).Msg("credentials served")
}

// validateToken is the real agent's validateToken (internal/validation/request.go):
// the token must be present and parse as a JWT whose registered claims hold.
func validateToken(token string) string {
	if token == "" {
		return "Service account token cannot be empty"
	}
	c, ok := parseClaims(token)
	if !ok {
		return "Service account token cannot be parsed: token is malformed"
	}
	if c.Exp != 0 && float64(time.Now().Unix()) >= c.Exp {
		return "Service account token failed basic claim validations: token has invalid claims: token is expired"
	}
	return ""
}

// assume calls eks-auth AssumeRoleForPodIdentity, SigV4-signed as the
// eksauth SDK client signs it (service "eks-auth"), and returns the answer,
// or the status and message the real agent would send.
func (a *Agent) assume(ctx context.Context, token string) (*response, int, string) {
	body, _ := json.Marshal(map[string]string{"token": token})
	endpoint := strings.TrimSuffix(a.opts.EKSAuthURL, "/") + "/clusters/" + url.PathEscape(a.ClusterName()) + "/assume-role-for-pod-identity"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := a.opts.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, http.StatusInternalServerError, "unable to fetch credentials from EKS Auth: " + err.Error()
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "eks-auth", a.opts.Region, time.Now()); err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, http.StatusInternalServerError, "unable to fetch credentials from EKS Auth: " + err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	rid := resp.Header.Get("x-amzn-RequestId")
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		fault := "client"
		if resp.StatusCode >= 500 {
			fault = "server"
		}
		return nil, resp.StatusCode, fmt.Sprintf("[%s]: (%s): %s, fault: %s", rid, resp.Header.Get("x-amzn-ErrorType"), e.Message, fault)
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil || out.Credentials.AccessKeyID == "" || out.AssumedRoleUser.Arn == "" {
		return nil, http.StatusInternalServerError, "invalid response from server: credentials or assumed role empty"
	}
	return &out, 0, ""
}
