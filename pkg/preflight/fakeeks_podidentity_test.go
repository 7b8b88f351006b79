package preflight

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fakePodIdentity is the EKS Pod Identity and Fargate state of fakeAWS,
// answered on EKS's REST JSON wire format (paths and query names from
// aws-sdk-go-v2 service/eks schemas: /clusters/{clusterName}/pod-identity-associations
// with namespace, serviceAccount, nextToken; .../{associationId};
// /clusters/{clusterName}/fargate-profiles[/{fargateProfileName}]).
type fakePodIdentity struct {
	assocs []fakeAssociation
	// fargate maps a profile name to its selectors (namespace, labels).
	fargate map[string][]map[string]any
	// pageSize > 0 paginates the association list.
	pageSize int
	// denied answers AccessDeniedException to every Pod Identity call.
	denied bool
	// fargateDenied answers AccessDeniedException to the Fargate calls.
	fargateDenied bool
}

type fakeAssociation struct {
	cluster, ns, sa, id, role string
	created                   time.Time
	noTags                    bool
}

func (a fakeAssociation) arn() string {
	return "arn:aws:eks:us-east-1:123456789012:podidentityassociation/" + a.cluster + "/" + a.id
}

// servePodIdentity answers the Pod Identity and Fargate calls; false when
// the request is another one.
func (f *fakeAWS) servePodIdentity(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/clusters/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || (parts[1] != "pod-identity-associations" && parts[1] != "fargate-profiles") {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	op := map[[2]bool]string{{true, false}: "ListPodIdentityAssociations", {true, true}: "DescribePodIdentityAssociation",
		{false, false}: "ListFargateProfiles", {false, true}: "DescribeFargateProfile"}[[2]bool{parts[1] == "pod-identity-associations", len(parts) > 2}]
	f.calls[op]++
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", "req-"+op)
	if f.pi.denied || (f.pi.fargateDenied && parts[1] == "fargate-profiles") {
		w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:%s"}`, op)
		return true
	}
	var body any
	switch op {
	case "ListPodIdentityAssociations":
		body = f.listAssociations(parts[0], r)
	case "DescribePodIdentityAssociation":
		for _, a := range f.pi.assocs {
			if a.cluster == parts[0] && a.id == parts[2] {
				body = map[string]any{"association": map[string]any{"clusterName": a.cluster, "namespace": a.ns, "serviceAccount": a.sa,
					"roleArn": a.role, "associationArn": a.arn(), "associationId": a.id, "createdAt": float64(a.created.Unix()),
					"modifiedAt": float64(a.created.Unix()), "disableSessionTags": a.noTags}}
			}
		}
	case "ListFargateProfiles":
		var names []string
		for name := range f.pi.fargate {
			names = append(names, name)
		}
		body = map[string]any{"fargateProfileNames": names}
	case "DescribeFargateProfile":
		if sel, ok := f.pi.fargate[parts[2]]; ok {
			body = map[string]any{"fargateProfile": map[string]any{"fargateProfileName": parts[2], "clusterName": parts[0], "selectors": sel, "status": "ACTIVE"}}
		}
	}
	if body == nil {
		w.Header().Set("x-amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"not found"}`)
		return true
	}
	_ = json.NewEncoder(w).Encode(body)
	return true
}

// listAssociations filters by the query's namespace and serviceAccount and
// pages with nextToken (an offset).
func (f *fakeAWS) listAssociations(cluster string, r *http.Request) map[string]any {
	q := r.URL.Query()
	var match []map[string]any
	for _, a := range f.pi.assocs {
		if a.cluster != cluster || (q.Get("namespace") != "" && q.Get("namespace") != a.ns) || (q.Get("serviceAccount") != "" && q.Get("serviceAccount") != a.sa) {
			continue
		}
		match = append(match, map[string]any{"clusterName": a.cluster, "namespace": a.ns, "serviceAccount": a.sa, "associationArn": a.arn(), "associationId": a.id})
	}
	start, _ := strconv.Atoi(q.Get("nextToken"))
	out := map[string]any{}
	end := len(match)
	if f.pi.pageSize > 0 && start+f.pi.pageSize < end {
		end = start + f.pi.pageSize
		out["nextToken"] = strconv.Itoa(end)
	}
	if start > len(match) {
		start = len(match)
	}
	out["associations"] = match[start:end]
	return out
}
