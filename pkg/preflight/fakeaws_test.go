package preflight

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// fakeAWS answers IAM (awsquery: form POST, XML answers) and EKS (REST
// JSON) the way AWS does on the wire, from an in-memory account, and counts
// every call by operation.
type fakeAWS struct {
	*httptest.Server
	mu        sync.Mutex
	calls     map[string]int
	clusters  map[string]string // name -> issuer
	providers map[string][]string
	roles     map[string]*fakeRole
	policies  map[string]string // managed policy ARN -> document
	// allowed lists the actions SimulatePrincipalPolicy allows, per role name.
	allowed map[string][]string
	// delay is added to every answer (latency injection).
	delay time.Duration
	// pi holds EKS Pod Identity associations and Fargate profiles (fakeeks_podidentity_test.go).
	pi fakePodIdentity
}

type fakeRole struct {
	trust    string
	inline   map[string]string
	attached []string
}

func newFakeAWS(t testing.TB) *fakeAWS {
	f := &fakeAWS{calls: map[string]int{}, clusters: map[string]string{}, providers: map[string][]string{},
		roles: map[string]*fakeRole{}, policies: map[string]string{}, allowed: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeAWS) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// clients returns real SDK clients pointed at the fake, without retries.
func (f *fakeAWS) clients() (*iam.Client, *eks.Client) {
	creds := credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")
	ic := iam.New(iam.Options{BaseEndpoint: aws.String(f.URL), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1})
	ec := eks.New(eks.Options{BaseEndpoint: aws.String(f.URL), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1})
	return ic, ec
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.servePodIdentity(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, "/clusters/") {
		f.describeCluster(w, strings.TrimPrefix(r.URL.Path, "/clusters/"))
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op := r.PostForm.Get("Action")
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
	body, code, msg := f.iam(op, r.PostForm)
	if code != "" {
		status := http.StatusBadRequest
		if code == "NoSuchEntity" {
			status = http.StatusNotFound
		}
		w.Header().Set("x-amzn-RequestId", "req-"+op)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-%s</RequestId></ErrorResponse>`,
			code, xmlEscape(msg), op)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>req-%s</RequestId></ResponseMetadata></%sResponse>`,
		op, op, body, op, op, op)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func members(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func (f *fakeAWS) iam(op string, form url.Values) (body, code, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	memberList := func(tag string, xs []string) string {
		var b strings.Builder
		b.WriteString("<" + tag + ">")
		for _, x := range xs {
			b.WriteString("<member>" + xmlEscape(x) + "</member>")
		}
		return b.String() + "</" + tag + ">"
	}
	roleOf := func() (*fakeRole, string) {
		name := form.Get("RoleName")
		return f.roles[name], name
	}
	switch op {
	case "ListOpenIDConnectProviders":
		var b strings.Builder
		b.WriteString("<OpenIDConnectProviderList>")
		for _, arn := range sortedKeys(f.providers) {
			b.WriteString("<member><Arn>" + arn + "</Arn></member>")
		}
		return b.String() + "</OpenIDConnectProviderList>", "", ""
	case "GetOpenIDConnectProvider":
		arn := form.Get("OpenIDConnectProviderArn")
		ids, ok := f.providers[arn]
		if !ok {
			return "", "NoSuchEntity", "OpenIDConnect Provider not found for arn " + arn
		}
		_, host, _ := strings.Cut(arn, ":oidc-provider/")
		return memberList("ClientIDList", ids) + memberList("ThumbprintList", []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}) +
			"<Url>" + host + "</Url><CreateDate>2026-01-01T00:00:00Z</CreateDate>", "", ""
	case "GetRole":
		r, name := roleOf()
		if r == nil {
			return "", "NoSuchEntity", "The role with name " + name + " cannot be found."
		}
		return fmt.Sprintf("<Role><Path>/</Path><RoleName>%s</RoleName><RoleId>AROAFAKE</RoleId><Arn>arn:aws:iam::123456789012:role/%s</Arn>"+
			"<CreateDate>2026-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument></Role>",
			name, name, url.PathEscape(r.trust)), "", ""
	case "SimulatePrincipalPolicy":
		src := form.Get("PolicySourceArn")
		name := src[strings.LastIndex(src, "/")+1:]
		if f.roles[name] == nil {
			return "", "NoSuchEntity", "The role with name " + name + " cannot be found."
		}
		var b strings.Builder
		b.WriteString("<EvaluationResults>")
		for _, a := range members(form, "ActionNames") {
			d := "implicitDeny"
			if slices.Contains(f.allowed[name], a) {
				d = "allowed"
			}
			fmt.Fprintf(&b, "<member><EvalActionName>%s</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>%s</EvalDecision>"+
				"<MatchedStatements><member><SourcePolicyId>faults</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements></member>", a, d)
		}
		return b.String() + "</EvaluationResults><IsTruncated>false</IsTruncated>", "", ""
	case "ListAttachedRolePolicies":
		r, name := roleOf()
		if r == nil {
			return "", "NoSuchEntity", "The role with name " + name + " cannot be found."
		}
		var b strings.Builder
		b.WriteString("<AttachedPolicies>")
		for _, arn := range r.attached {
			fmt.Fprintf(&b, "<member><PolicyName>%s</PolicyName><PolicyArn>%s</PolicyArn></member>", arn[strings.LastIndex(arn, "/")+1:], arn)
		}
		return b.String() + "</AttachedPolicies><IsTruncated>false</IsTruncated>", "", ""
	case "ListRolePolicies":
		r, name := roleOf()
		if r == nil {
			return "", "NoSuchEntity", "The role with name " + name + " cannot be found."
		}
		return memberList("PolicyNames", sortedKeys(r.inline)) + "<IsTruncated>false</IsTruncated>", "", ""
	case "GetRolePolicy":
		r, name := roleOf()
		doc, ok := "", false
		if r != nil {
			doc, ok = r.inline[form.Get("PolicyName")]
		}
		if !ok {
			return "", "NoSuchEntity", "The role policy with name " + form.Get("PolicyName") + " cannot be found."
		}
		return fmt.Sprintf("<RoleName>%s</RoleName><PolicyName>%s</PolicyName><PolicyDocument>%s</PolicyDocument>", name, form.Get("PolicyName"), url.PathEscape(doc)), "", ""
	case "GetPolicy":
		arn := form.Get("PolicyArn")
		if _, ok := f.policies[arn]; !ok {
			return "", "NoSuchEntity", "Policy " + arn + " was not found."
		}
		return fmt.Sprintf("<Policy><PolicyName>%s</PolicyName><Arn>%s</Arn><DefaultVersionId>v3</DefaultVersionId><AttachmentCount>1</AttachmentCount></Policy>",
			arn[strings.LastIndex(arn, "/")+1:], arn), "", ""
	case "GetPolicyVersion":
		doc, ok := f.policies[form.Get("PolicyArn")]
		if !ok || form.Get("VersionId") != "v3" {
			return "", "NoSuchEntity", "version not found"
		}
		return fmt.Sprintf("<PolicyVersion><Document>%s</Document><VersionId>v3</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>", url.PathEscape(doc)), "", ""
	}
	return "", "InvalidAction", "unknown action " + op
}

func (f *fakeAWS) describeCluster(w http.ResponseWriter, name string) {
	f.mu.Lock()
	f.calls["DescribeCluster"]++
	issuer, ok := f.clusters[name]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", "req-DescribeCluster")
	if !ok {
		w.Header().Set("x-amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"message":"No cluster found for name: %s."}`, name)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"cluster": map[string]any{
		"name": name, "arn": "arn:aws:eks:us-east-1:123456789012:cluster/" + name, "status": "ACTIVE",
		"identity": map[string]any{"oidc": map[string]any{"issuer": issuer}},
	}})
}
