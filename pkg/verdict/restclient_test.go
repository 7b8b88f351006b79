package verdict

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/podcred/podcred/pkg/report"
)

// fakeAPIServer answers the core/v1 REST paths the agent uses with the wire
// format of a real kube-apiserver: objects as JSON, errors as metav1.Status.
type fakeAPIServer struct {
	mu        sync.Mutex
	requests  []string
	conflicts int    // PUTs to answer 409 before succeeding
	stored    []byte // the ConfigMap, once created
}

func (f *fakeAPIServer) status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"code":%d}`, msg, reason, code)
}

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
	const cm = "/api/v1/namespaces/litmus/configmaps"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == cm+"/podcred-litmus-admin":
		if f.stored == nil {
			f.status(w, 404, "NotFound", `configmaps "podcred-litmus-admin" not found`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.stored)
	case r.Method == http.MethodPost && r.URL.Path == cm:
		if f.stored != nil {
			f.status(w, 409, "AlreadyExists", `configmaps "podcred-litmus-admin" already exists`)
			return
		}
		f.stored = body
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		w.Write(body)
	case r.Method == http.MethodPut && r.URL.Path == cm+"/podcred-litmus-admin":
		if f.conflicts > 0 {
			f.conflicts--
			f.status(w, 409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again")
			return
		}
		f.stored = body
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	case r.Method == http.MethodPatch && r.URL.Path == "/api/v1/namespaces/litmus/pods/"+testPod:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"chaos-pod","namespace":"litmus"}}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/namespaces/litmus/events":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		w.Write(body)
	default:
		f.status(w, 404, "NotFound", "no route "+r.Method+" "+r.URL.Path)
	}
}

func newRESTCore(t *testing.T, f *fakeAPIServer) CoreClient {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := NewCoreClient(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRESTCoreClientSpeaksTheAPIServersWireFormat(t *testing.T) {
	f := &fakeAPIServer{}
	c := newRESTCore(t, f)
	if _, err := c.GetConfigMap(t.Context(), testNS, "podcred-litmus-admin"); !apierrors.IsNotFound(err) {
		t.Fatalf("get of a missing ConfigMap: %v, want NotFound", err)
	}
	// Create, then an update that conflicts once: the sink retries and ends correct.
	if err := NewConfigMapSink(c).Write(t.Context(), passing()); err != nil {
		t.Fatalf("create: %v", err)
	}
	f.conflicts = 1
	if err := NewConfigMapSink(c).Write(t.Context(), withVerdict(report.VerdictFail)); err != nil {
		t.Fatalf("update after a conflict: %v", err)
	}
	got, err := c.GetConfigMap(t.Context(), testNS, "podcred-litmus-admin")
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels[LabelVerdict] != string(report.VerdictFail) || got.Data[DataVerdict] != string(report.VerdictFail) {
		t.Errorf("stored ConfigMap labels %v data verdict %q, want fail", got.Labels, got.Data[DataVerdict])
	}
	var stored map[string]any
	if err := json.Unmarshal(f.stored, &stored); err != nil || stored["kind"] != "ConfigMap" || stored["apiVersion"] != "v1" {
		t.Errorf("the body sent is not a v1 ConfigMap: %s", f.stored)
	}
	if err := NewAnnotationSink(c).Write(t.Context(), passing()); err != nil {
		t.Fatalf("pod patch: %v", err)
	}
	if err := NewEventSink(c).Write(t.Context(), passing()); err != nil {
		t.Fatalf("event: %v", err)
	}
	puts, patch := 0, ""
	for _, r := range f.requests {
		if len(r) > 3 && r[:3] == "PUT" {
			puts++
		}
		if len(r) > 5 && r[:5] == "PATCH" {
			patch = r
		}
	}
	if puts != 2 {
		t.Errorf("%d PUTs, want 2 (one conflict, one retry): %q", puts, f.requests)
	}
	if want := "PATCH /api/v1/namespaces/litmus/pods/" + testPod + " application/merge-patch+json"; patch != want {
		t.Errorf("pod patch request %q, want %q", patch, want)
	}
}
