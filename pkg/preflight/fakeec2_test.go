package preflight

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// fakeEC2 answers ec2:DescribeInstances the way EC2 (and moto) does on the
// wire: ec2query form POST in, DescribeInstancesResponse XML out, errors as
// <Response><Errors>. It records the instance IDs of every call.
type fakeEC2 struct {
	*httptest.Server
	mu        sync.Mutex
	instances map[string]fakeInstance
	calls     [][]string
	regions   []string // the SigV4 scope's region of every call
	// errCode, when set, is the error every call answers.
	errCode string
	// pageSize, when set, splits answers into pages with NextToken.
	pageSize int
}

// fakeInstance is an instance's metadata options as EC2 stores them; an
// empty field is left out of the answer.
type fakeInstance struct {
	tokens, endpoint string
	hops             int
}

func newFakeEC2(t testing.TB) *fakeEC2 {
	f := &fakeEC2{instances: map[string]fakeInstance{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// client is a real SDK EC2 client pointed at the fake, without retries.
func (f *fakeEC2) client() *ec2.Client {
	creds := credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")
	return ec2.New(ec2.Options{BaseEndpoint: aws.String(f.URL), Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1})
}

func (f *fakeEC2) callIDs() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeEC2) callRegions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.regions)
}

func (f *fakeEC2) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "DescribeInstances" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	var ids []string
	if r.PostForm.Get("Filter.1.Name") == "instance-id" {
		for i := 1; r.PostForm.Has(fmt.Sprintf("Filter.1.Value.%d", i)); i++ {
			ids = append(ids, r.PostForm.Get(fmt.Sprintf("Filter.1.Value.%d", i)))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ids)
	if _, scope, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(scope, "/"); len(parts) > 2 {
			f.regions = append(f.regions, parts[2])
		}
	}
	if f.errCode != "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>req-ec2</RequestID></Response>`, f.errCode)
		return
	}
	var found []string
	for _, id := range ids {
		if _, ok := f.instances[id]; ok {
			found = append(found, id)
		}
	}
	start, _ := strconv.Atoi(r.PostForm.Get("NextToken"))
	end, next := len(found), ""
	if f.pageSize > 0 && start+f.pageSize < len(found) {
		end, next = start+f.pageSize, strconv.Itoa(start+f.pageSize)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-ec2</requestId><reservationSet>`)
	for _, id := range found[min(start, end):end] {
		in := f.instances[id]
		fmt.Fprintf(&b, `<item><reservationId>r-%s</reservationId><ownerId>123456789012</ownerId><instancesSet><item><instanceId>%s</instanceId>`+
			`<instanceState><code>16</code><name>running</name></instanceState><placement><availabilityZone>us-east-1a</availabilityZone></placement>`+
			`<metadataOptions><state>applied</state>`, id, id)
		if in.tokens != "" {
			fmt.Fprintf(&b, `<httpTokens>%s</httpTokens>`, in.tokens)
		}
		if in.hops > 0 {
			fmt.Fprintf(&b, `<httpPutResponseHopLimit>%d</httpPutResponseHopLimit>`, in.hops)
		}
		if in.endpoint != "" {
			fmt.Fprintf(&b, `<httpEndpoint>%s</httpEndpoint>`, in.endpoint)
		}
		b.WriteString(`</metadataOptions></item></instancesSet></item>`)
	}
	b.WriteString(`</reservationSet>`)
	if next != "" {
		fmt.Fprintf(&b, `<nextToken>%s</nextToken>`, next)
	}
	b.WriteString(`</DescribeInstancesResponse>`)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(b.String()))
}
