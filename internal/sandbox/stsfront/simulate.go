package stsfront

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/podcred/podcred/internal/sandbox/iampolicy"
)

// simulatePrincipalPolicy answers iam:SimulatePrincipalPolicy for a role: its
// inline and attached managed policies (read from moto) and any
// PolicyInputList documents, evaluated with iampolicy for each action, with
// ContextEntries as the request context. Permissions boundaries, SCPs and
// resource policies are not simulated.
func (f *Front) simulatePrincipalPolicy(ctx context.Context, w http.ResponseWriter, c call, form url.Values) {
	fail := func(e *apiError) {
		f.log.Debug().Str("call", c.String()).Str("code", e.Code).Msg("refused")
		writeQueryError(w, "iam", c.requestID, e)
	}
	source := form.Get("PolicySourceArn")
	actions := members(form, "ActionNames")
	switch {
	case source == "":
		fail(senderError(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null"))
		return
	case len(actions) == 0:
		fail(senderError(http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null"))
		return
	}
	role, ok := parseRoleARN(source)
	if !ok {
		fail(senderError(http.StatusBadRequest, "InvalidInput", fmt.Sprintf("ARN %s is not valid. The sandbox simulates roles only.", source)))
		return
	}
	got, err := f.lookup.getRole(ctx, role)
	if err != nil {
		f.log.Error().Err(err).Msg("looking up the role in moto")
		fail(internalFailure())
		return
	}
	if got == nil {
		fail(senderError(http.StatusNotFound, "NoSuchEntity", fmt.Sprintf("The role with name %s cannot be found.", role.Name)))
		return
	}
	sources, err := f.lookup.rolePolicies(ctx, role)
	if err != nil {
		f.log.Error().Err(err).Msg("reading the role's policies from moto")
		fail(internalFailure())
		return
	}
	for i, doc := range members(form, "PolicyInputList") {
		p, err := iampolicy.Parse([]byte(doc))
		if err != nil {
			fail(senderError(http.StatusBadRequest, "MalformedPolicyDocument", fmt.Sprintf("PolicyInputList.%d: %v", i+1, err)))
			return
		}
		sources = append(sources, iampolicy.Source{ID: "PolicyInputList." + strconv.Itoa(i+1), Type: "none", Policy: p})
	}
	reqCtx := contextEntries(form)
	resources := members(form, "ResourceArns")
	perResource := len(resources) > 0
	if !perResource {
		resources = []string{"*"}
	}

	result := simulateResult{IsTruncated: false}
	for _, action := range actions {
		er := evaluateAction(sources, action, resources, perResource, reqCtx)
		f.log.Debug().Str("call", c.String()).Str("role", role.String()).Str("action", action).Str("decision", er.EvalDecision).Msg("simulated")
		result.EvaluationResults = append(result.EvaluationResults, er)
	}
	writeXML(w, c.requestID, simulateResponse{
		XMLNS: nsIAM, Result: result, Metadata: responseMetadata{RequestID: c.requestID},
	})
}

// evaluateAction simulates one action over the resources: per-resource
// results when resources were given, the most restrictive decision on top.
func evaluateAction(sources []iampolicy.Source, action string, resources []string, perResource bool, reqCtx iampolicy.Context) evaluationResult {
	er := evaluationResult{EvalActionName: action, EvalResourceName: "*"}
	var decisions []iampolicy.Result
	for _, res := range resources {
		r := iampolicy.Evaluate(sources, iampolicy.Request{Action: action, Resource: res, Context: reqCtx})
		decisions = append(decisions, r)
		if perResource {
			er.ResourceSpecificResults = append(er.ResourceSpecificResults, resourceResult{
				EvalResourceName:     res,
				EvalResourceDecision: string(r.Decision),
				MatchedStatements:    statements(r.Matched),
				MissingContextValues: r.MissingKeys,
			})
		}
	}
	top := mostRestrictive(decisions)
	er.EvalDecision = string(top)
	for _, r := range decisions {
		if r.Decision == top {
			er.MatchedStatements = appendUnique(er.MatchedStatements, statements(r.Matched)...)
		}
		if !perResource {
			er.MissingContextValues = appendUnique(er.MissingContextValues, r.MissingKeys...)
		}
	}
	return er
}

// mostRestrictive is the decision IAM reports over several resources.
func mostRestrictive(rs []iampolicy.Result) iampolicy.Decision {
	top := iampolicy.Allowed
	for _, r := range rs {
		switch {
		case r.Decision == iampolicy.ExplicitDeny:
			return iampolicy.ExplicitDeny
		case r.Decision == iampolicy.ImplicitDeny:
			top = iampolicy.ImplicitDeny
		}
	}
	return top
}

func appendUnique[T comparable](list []T, items ...T) []T {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

func statements(ms []iampolicy.Match) []statementXML {
	out := make([]statementXML, 0, len(ms))
	for _, m := range ms {
		out = append(out, statementXML{SourcePolicyID: m.SourceID, SourcePolicyType: m.SourceType})
	}
	return out
}

// members reads a query-protocol list: Name.member.1, Name.member.2, ...
func members(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// contextEntries reads ContextEntries.member.N.{ContextKeyName,ContextKeyValues.member.M}.
func contextEntries(form url.Values) iampolicy.Context {
	ctx := iampolicy.Context{}
	for i := 1; ; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i) + "."
		name, ok := form[prefix+"ContextKeyName"]
		if !ok {
			return ctx
		}
		ctx.Set(name[0], members(form, prefix+"ContextKeyValues")...)
	}
}

type simulateResponse struct {
	XMLName  xml.Name         `xml:"SimulatePrincipalPolicyResponse"`
	XMLNS    string           `xml:"xmlns,attr"`
	Result   simulateResult   `xml:"SimulatePrincipalPolicyResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type simulateResult struct {
	EvaluationResults []evaluationResult `xml:"EvaluationResults>member"`
	IsTruncated       bool               `xml:"IsTruncated"`
}

type evaluationResult struct {
	EvalActionName          string           `xml:"EvalActionName"`
	EvalResourceName        string           `xml:"EvalResourceName"`
	EvalDecision            string           `xml:"EvalDecision"`
	MatchedStatements       []statementXML   `xml:"MatchedStatements>member"`
	MissingContextValues    []string         `xml:"MissingContextValues>member"`
	ResourceSpecificResults []resourceResult `xml:"ResourceSpecificResults>member,omitempty"`
}

type resourceResult struct {
	EvalResourceName     string         `xml:"EvalResourceName"`
	EvalResourceDecision string         `xml:"EvalResourceDecision"`
	MatchedStatements    []statementXML `xml:"MatchedStatements>member"`
	MissingContextValues []string       `xml:"MissingContextValues>member"`
}

type statementXML struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeXML(w http.ResponseWriter, requestID string, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		writeQueryError(w, "iam", requestID, internalFailure())
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
