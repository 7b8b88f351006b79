package awsemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rs/zerolog"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/eksauth"
	"github.com/podcred/podcred/internal/sandbox/stsfront"
)

// FrontServer serves the validating STS front on a loopback listener.
type FrontServer struct {
	url   string
	front *stsfront.Front
	podID *eksauth.Service // the Pod Identity APIs moto lacks
	srv   *http.Server
	done  chan struct{}
}

// StartFront starts the STS front before moto, validating tokens of the
// issuers keys can resolve.
func StartFront(motoURL, region string, latency time.Duration, now func() time.Time, logger zerolog.Logger, keys *IssuerKeys) (*FrontServer, error) {
	front, err := stsfront.New(stsfront.Options{
		Upstream: motoURL,
		KeySet:   keys.keySet,
		Latency:  latency,
		Now:      now,
		Logger:   logger,
		Region:   region,
	})
	if err != nil {
		return nil, fmt.Errorf("sts front: %w", err)
	}
	podID, err := eksauth.New(eksauth.Options{Backend: eksauth.NewMotoBackend(motoURL, region), KeySet: keys.keySet, Region: region, Now: now, Logger: logger})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sts front: %w", err)
	}
	fs := &FrontServer{
		url:   "http://" + l.Addr().String(),
		front: front,
		podID: podID,
		srv:   &http.Server{Handler: frontHandler(front, podID), ReadHeaderTimeout: 10 * time.Second},
		done:  make(chan struct{}),
	}
	go func() {
		defer close(fs.done)
		_ = fs.srv.Serve(l)
	}()
	return fs, nil
}

// URL is the front's http://127.0.0.1:PORT: AWS_ENDPOINT_URL for every AWS client.
func (f *FrontServer) URL() string { return f.url }

// PodID is the front's EKS Pod Identity service (associations, eks-auth).
func (f *FrontServer) PodID() *eksauth.Service { return f.podID }

// frontHandler routes the Pod Identity APIs (eks association operations and
// eks-auth AssumeRoleForPodIdentity, which moto lacks) to svc, everything else
// to the STS front.
func frontHandler(front http.Handler, svc *eksauth.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if eksauth.Handles(r) {
			svc.ServeHTTP(w, r)
			return
		}
		front.ServeHTTP(w, r)
	})
}

// Front is the validating STS front.
func (f *FrontServer) Front() *stsfront.Front { return f.front }

// Stop closes the listener and every connection, and waits for Serve to return.
func (f *FrontServer) Stop() error {
	err := f.srv.Close()
	<-f.done
	return err
}

// IssuerKeys resolves the JWKS of the sandbox cluster's issuer for the front,
// the way STS does (discovery document, then jwks_uri) but at the apiserver's
// loopback address: the issuer's public host is never contacted.
type IssuerKeys struct {
	mu     sync.Mutex
	cp     *controlplane.ControlPlane
	cached oidc.KeySet
}

// SetControlPlane tells which control plane serves the cluster's issuer.
func (k *IssuerKeys) SetControlPlane(cp *controlplane.ControlPlane) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cp, k.cached = cp, nil
}

// keySet is the front's KeySet option.
func (k *IssuerKeys) keySet(ctx context.Context, issuer string) (oidc.KeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cp == nil || issuer != k.cp.Issuer {
		return nil, fmt.Errorf("issuer %s is not served by the sandbox", issuer)
	}
	if k.cached != nil {
		return k.cached, nil
	}
	client := k.cp.HTTPClient()
	jwksURI, err := discoverJWKS(ctx, client, k.cp.URL, issuer)
	if err != nil {
		return nil, err
	}
	k.cached = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), client), jwksURI)
	return k.cached, nil
}

// discoverJWKS reads the issuer's discovery document anonymously from the
// apiserver at base and returns its jwks_uri, which must be a loopback URL.
func discoverJWKS(ctx context.Context, client *http.Client, base, issuer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/openid-configuration", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("oidc discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("oidc discovery: HTTP %d", resp.StatusCode)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return "", fmt.Errorf("oidc discovery: %w", err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("oidc discovery: issuer %q, want %q", doc.Issuer, issuer)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Scheme != "https" || !isLoopbackHost(u.Hostname()) {
		return "", errors.New("oidc discovery: jwks_uri is not an https loopback URL")
	}
	return doc.JWKSURI, nil
}

// isLoopbackHost reports whether host is a loopback IP literal.
func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
