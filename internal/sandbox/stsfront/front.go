// Package stsfront is the sandbox's validating STS front: an HTTP server that
// sits before moto and does what AWS STS does for AssumeRoleWithWebIdentity
// (moto accepts any token), serves iam:SimulatePrincipalPolicy (moto lacks it),
// and passes every other call through to moto unchanged.
//
// Its decisions are the sandbox's oracle: it evaluates policies with
// internal/sandbox/iampolicy and must not import anything under
// github.com/podcred/podcred/pkg.
package stsfront

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rs/zerolog"
)

// Options configure a Front.
type Options struct {
	// Upstream is moto's base URL, e.g. http://127.0.0.1:5000. Required; it must
	// be a loopback address.
	Upstream string
	// KeySet returns the JWKS to verify tokens of an issuer with. Required: the
	// sandbox passes a remote key set on the local kube-apiserver's
	// /openid/v1/jwks, since the EKS-style issuer URL is not reachable. It is
	// called for every AssumeRoleWithWebIdentity that gets as far as the
	// signature check: return a long-lived key set (oidc.NewRemoteKeySet caches
	// keys and fetches again when a token names an unknown key ID).
	KeySet func(ctx context.Context, issuer string) (oidc.KeySet, error)
	// Latency is a delay injected into every call that reaches the front
	// (benchmarks). Default 0.
	Latency time.Duration
	// Now is the clock tokens are checked against. Default time.Now.
	Now func() time.Time
	// Logger receives one debug line per decision; never secrets or raw tokens.
	// Default: zerolog.Nop().
	Logger zerolog.Logger
	// Region signs the front's own IAM lookups in moto (aws partition).
	// Default us-east-1.
	Region string
}

// maxFormBody bounds the form bodies the front reads to route a call.
const maxFormBody = 8 << 20

// lookupTimeout bounds each IAM lookup the front makes in moto.
const lookupTimeout = 10 * time.Second

// Front is the validating STS front. It implements http.Handler.
type Front struct {
	opts   Options
	proxy  *httputil.ReverseProxy
	lookup *lookup
	log    zerolog.Logger

	mu     sync.Mutex
	calls  map[string]int
	faults map[string]*Fault
}

var _ http.Handler = (*Front)(nil)

// New returns a Front for o.
func New(o Options) (*Front, error) {
	if o.Upstream == "" {
		return nil, errors.New("stsfront: Upstream (moto's URL) is required")
	}
	up, err := url.Parse(o.Upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return nil, fmt.Errorf("stsfront: Upstream %q is not an http(s) URL", o.Upstream)
	}
	if !isLoopback(up.Hostname()) {
		return nil, fmt.Errorf("stsfront: Upstream %q is not a loopback address: the sandbox never sends traffic elsewhere", o.Upstream)
	}
	if o.KeySet == nil {
		return nil, errors.New("stsfront: KeySet is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	hc := &http.Client{Timeout: lookupTimeout}
	f := &Front{
		opts:   o,
		lookup: newLookup(strings.TrimSuffix(up.String(), "/"), o.Region, hc),
		log:    o.Logger,
		calls:  map[string]int{},
		faults: map[string]*Fault{},
	}
	f.proxy = httputil.NewSingleHostReverseProxy(up)
	f.proxy.ModifyResponse = f.enrichResponse
	f.proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		c := callFrom(r.Context())
		f.log.Warn().Err(err).Str("call", c.String()).Msg("moto unreachable")
		e := &apiError{Status: http.StatusServiceUnavailable, Type: "Receiver", Code: "ServiceUnavailable", Message: "Service is unavailable"}
		if c.json {
			writeJSONError(w, c.requestID, e)
		} else {
			writeQueryError(w, c.Service, c.requestID, e)
		}
	}
	return f, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Calls returns how many calls reached the front, by "service:Action" (e.g.
// "iam:GetRole", "sts:AssumeRoleWithWebIdentity"). The front's own lookups in
// moto are not counted.
func (f *Front) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.calls)
}

// ResetCalls sets every count back to zero.
func (f *Front) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[string]int{}
}

func (f *Front) count(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[c.String()]++
}

// ServeHTTP routes a call: AssumeRoleWithWebIdentity and SimulatePrincipalPolicy
// are judged here, everything else goes to moto unchanged.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Parameters come from the query string and, for form posts, the body.
	form := r.URL.Query()
	if isForm(r) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
		if err != nil {
			writeQueryError(w, "sts", newRequestID(), senderError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large or unreadable"))
			return
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		posted, _ := url.ParseQuery(string(body))
		for k, v := range posted {
			form[k] = append(form[k], v...)
		}
	}
	c := identify(r, form)
	c.requestID = newRequestID()
	r = r.WithContext(withCall(r.Context(), c))
	f.count(c)

	if err := sleep(r.Context(), f.opts.Latency); err != nil {
		return
	}
	if fault, ok := f.takeFault(c.String()); ok && f.inject(w, r, c, c.requestID, fault) {
		return
	}

	switch c.String() {
	case "sts:AssumeRoleWithWebIdentity":
		ctx, cancel := context.WithTimeout(r.Context(), 3*lookupTimeout)
		defer cancel()
		ok, e := f.assumeRoleWithWebIdentity(ctx, form)
		if e != nil {
			writeQueryError(w, "sts", c.requestID, e)
			return
		}
		r = r.WithContext(withCall(r.Context(), c.withEnrichment(ok)))
	case "iam:SimulatePrincipalPolicy":
		ctx, cancel := context.WithTimeout(r.Context(), 3*lookupTimeout)
		defer cancel()
		f.simulatePrincipalPolicy(ctx, w, c, form)
		return
	}
	changesIAM := c.Service == "iam" && !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") ||
		c.Service == "unknown" // e.g. POST /moto-api/reset
	if changesIAM {
		f.lookup.invalidate()
		defer f.lookup.invalidate() // also once moto has applied the change
	}
	f.proxy.ServeHTTP(w, r)
}

// ResetCache forgets what the front cached of IAM (OIDC providers). Call it
// after changing moto's state without going through the front (a reset).
func (f *Front) ResetCache() { f.lookup.invalidate() }

func isForm(r *http.Request) bool {
	if r.Body == nil || r.Method != http.MethodPost {
		return false
	}
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")
}
