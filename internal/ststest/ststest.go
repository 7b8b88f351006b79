// Package ststest is an httptest STS that answers the query protocol exactly
// as AWS does (form POST, XML bodies, x-amzn-RequestId), for the SDK's real
// serializers and deserializers. Tests of the agent and its CLI use it.
package ststest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Secrets the fake STS issues; tests assert they never appear in any output.
const (
	AccessKeyPrefix = "ASIAFAKEACCESSKEY" // issued keys are this prefix plus a counter
	SecretKey       = "SecretKey/DoNotLeak/0123456789abcdef"
	SessionToken    = "FAKESESSIONTOKEN//DoNotLeak+abcdefghijklmnopqrstuvwxyz=="
)

// Answer is how the fake answers one action: an error code (with HTTP
// status and message) or success.
type Answer struct {
	Status  int
	Code    string
	Message string
	// Delay holds the answer back (to test deadlines).
	Delay time.Duration
	// Malformed answers HTTP 200 with truncated XML.
	Malformed bool
	// Reset closes the connection without an answer (TCP RST).
	Reset bool
	// Endless answers HTTP 200 with a body that never ends (until the client hangs up).
	Endless bool
}

// Server answers the STS query protocol exactly as AWS does (form POST,
// XML bodies, x-amzn-RequestId), enough for the SDK's real deserializers.
type Server struct {
	*httptest.Server
	mu sync.Mutex
	// answers by RoleArn for AssumeRoleWithWebIdentity ("" = any role).
	assume map[string]Answer
	caller *Answer
	// CallerARN overrides the ARN GetCallerIdentity returns.
	CallerARN string
	calls     map[string]*atomic.Int32
	tokens    []string
	// explicit counts the agent's own AssumeRoleWithWebIdentity calls (its
	// session names start with podcred-; the SDK chain's are numeric).
	explicit int
	// issued maps each access key issued to its assumed-role ARN.
	issued map[string]string
}

// New starts the server for the test and closes it when the test ends.
func New(t *testing.T) *Server {
	t.Helper()
	f := &Server{assume: map[string]Answer{}, issued: map[string]string{}, calls: map[string]*atomic.Int32{
		"AssumeRoleWithWebIdentity": {}, "GetCallerIdentity": {},
	}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// AnswerAssume makes AssumeRoleWithWebIdentity for roleARN ("" for any role) answer a.
func (f *Server) AnswerAssume(roleARN string, a Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assume[roleARN] = a
}

// IssueKey registers a fresh access key ID (AccessKeyPrefix plus a counter)
// as credentials of assumedRoleARN, so GetCallerIdentity signed with it
// answers that ARN: for doubles that issue credentials STS does not (the
// Pod Identity agent's stand-in).
func (f *Server) IssueKey(assumedRoleARN string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fmt.Sprintf("%s%04d", AccessKeyPrefix, len(f.issued))
	f.issued[key] = assumedRoleARN
	return key
}

// Count is how many calls of action reached the server.
func (f *Server) Count(action string) int { return int(f.calls[action].Load()) }

// Tokens returns every web identity token AssumeRoleWithWebIdentity received.
func (f *Server) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

// ExplicitAssumes counts the agent's own AssumeRoleWithWebIdentity calls.
func (f *Server) ExplicitAssumes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.explicit
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	if c, ok := f.calls[action]; ok {
		c.Add(1)
	}
	reqID := fmt.Sprintf("req-%s-%d", strings.ToLower(action), f.calls[action].Load())
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Type", "text/xml")
	f.mu.Lock()
	var ans *Answer
	switch action {
	case "AssumeRoleWithWebIdentity":
		f.tokens = append(f.tokens, r.PostForm.Get("WebIdentityToken"))
		if strings.HasPrefix(r.PostForm.Get("RoleSessionName"), "podcred-") {
			f.explicit++
		}
		if a, ok := f.assume[r.PostForm.Get("RoleArn")]; ok {
			ans = &a
		} else if a, ok := f.assume[""]; ok {
			ans = &a
		}
	case "GetCallerIdentity":
		ans = f.caller
	}
	CallerARN := f.CallerARN
	f.mu.Unlock()
	if ans != nil && ans.Delay > 0 {
		select {
		case <-time.After(ans.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case ans != nil && ans.Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST instead of FIN
				}
				conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusInternalServerError)
		return
	case ans != nil && ans.Endless:
		Endless(w, r)
		return
	case ans != nil && ans.Malformed:
		fmt.Fprint(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>`)
		return
	}
	if ans != nil && ans.Code != "" {
		w.WriteHeader(ans.Status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`+
			`<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, ans.Code, ans.Message, reqID)
		return
	}
	f.succeed(w, r, action, reqID, CallerARN)
}

// succeed answers action successfully: credentials of an assumed-role
// session for AssumeRoleWithWebIdentity, the signer's identity for
// GetCallerIdentity.
func (f *Server) succeed(w http.ResponseWriter, r *http.Request, action, reqID, CallerARN string) {
	switch action {
	case "AssumeRoleWithWebIdentity":
		role := r.PostForm.Get("RoleArn")
		name := role[strings.LastIndex(role, "/")+1:]
		acct := strings.Split(role, ":")[4]
		session := r.PostForm.Get("RoleSessionName")
		f.mu.Lock()
		key := fmt.Sprintf("%s%04d", AccessKeyPrefix, len(f.issued))
		f.issued[key] = fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", acct, name, session)
		f.mu.Unlock()
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult>
<SubjectFromWebIdentityToken>system:serviceaccount:litmus:litmus-admin</SubjectFromWebIdentityToken>
<Audience>sts.amazonaws.com</Audience>
<AssumedRoleUser><Arn>arn:aws:sts::%[1]s:assumed-role/%[2]s/%[3]s</Arn><AssumedRoleId>AROAFAKE:%[3]s</AssumedRoleId></AssumedRoleUser>
<Credentials><SessionToken>%[4]s</SessionToken><SecretAccessKey>%[5]s</SecretAccessKey><Expiration>%[6]s</Expiration><AccessKeyId>%[7]s</AccessKeyId></Credentials>
<Provider>arn:aws:iam::%[1]s:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/TEST</Provider>
</AssumeRoleWithWebIdentityResult>
<ResponseMetadata><RequestId>%[8]s</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`, acct, name, session, SessionToken, SecretKey,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339), key, reqID)
	case "GetCallerIdentity":
		// Identify the caller from the SigV4 credential scope, like STS does.
		auth := r.Header.Get("Authorization")
		arn := CallerARN
		if _, cred, ok := strings.Cut(auth, "Credential="); ok && arn == "" {
			f.mu.Lock()
			arn = f.issued[strings.SplitN(cred, "/", 2)[0]]
			f.mu.Unlock()
		}
		if arn == "" {
			arn = "arn:aws:iam::123456789012:user/static-key-user"
		}
		acct := strings.Split(arn, ":")[4]
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>%s</Arn><UserId>AROAFAKE:x</UserId><Account>%s</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn, acct, reqID)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unknown</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, reqID)
	}
}

// Endless writes an HTTP 200 body of spaces that never ends until the client
// goes away: a hostile or broken endpoint that a bounded reader must cut off.
func Endless(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	chunk := []byte(strings.Repeat(" ", 32<<10))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}
