package stsfront

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// call identifies an AWS call: its service and action.
type call struct {
	Service string
	Action  string
	// json is true for JSON protocols (EKS REST, X-Amz-Target): errors are JSON.
	json      bool
	requestID string
	// enrich, when set, is added to a successful AssumeRoleWithWebIdentity answer.
	enrich *webIdentityResult
}

// String renders "service:Action".
func (c call) String() string { return c.Service + ":" + c.Action }

func (c call) withEnrichment(r *webIdentityResult) call {
	c.enrich = r
	return c
}

type callKey struct{}

func withCall(ctx context.Context, c call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) call {
	c, _ := ctx.Value(callKey{}).(call)
	return c
}

// unsignedActions are the query actions AWS accepts without a signature, with
// their service.
var unsignedActions = map[string]string{
	"AssumeRoleWithWebIdentity": "sts",
	"AssumeRoleWithSAML":        "sts",
}

// identify works out a call's service and action. The service comes from the
// SigV4 credential scope (".../<region>/<service>/aws4_request", in the
// Authorization header or a presigned URL), or for unsigned calls from the
// action; the action from the Action parameter (query or form), X-Amz-Target, or for EKS
// the REST route.
func identify(r *http.Request, form url.Values) call {
	c := call{Service: scopeService(r)}
	action := form.Get("Action")
	if target := r.Header.Get("X-Amz-Target"); action == "" && target != "" {
		_, action, _ = strings.Cut(target, ".")
		c.json = true
	}
	if c.Service == "" {
		c.Service = unsignedActions[action]
	}
	if c.Service == "" {
		c.Service = "unknown"
	}
	if action == "" && c.Service == "eks" {
		action = eksAction(r.Method, r.URL.Path)
		c.json = true
	}
	if action == "" {
		action = r.Method + " " + firstSegment(r.URL.Path)
	}
	c.Action = action
	return c
}

func scopeService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return ""
	}
	return strings.ToLower(parts[3])
}

// eksAction names the EKS REST operations the sandbox uses.
func eksAction(method, path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	if len(seg) == 0 || seg[0] != "clusters" {
		return ""
	}
	switch {
	case len(seg) == 1 && method == http.MethodGet:
		return "ListClusters"
	case len(seg) == 1 && method == http.MethodPost:
		return "CreateCluster"
	case len(seg) == 2 && method == http.MethodGet:
		return "DescribeCluster"
	case len(seg) == 2 && method == http.MethodDelete:
		return "DeleteCluster"
	case len(seg) == 3 && seg[2] == "node-groups" && method == http.MethodGet:
		return "ListNodegroups"
	case len(seg) == 4 && seg[2] == "node-groups" && method == http.MethodGet:
		return "DescribeNodegroup"
	case len(seg) == 3 && seg[2] == "pod-identity-associations" && method == http.MethodGet:
		return "ListPodIdentityAssociations"
	}
	return ""
}

func firstSegment(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return "/" + seg
}
