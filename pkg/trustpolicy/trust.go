package trustpolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// MaxPolicyBytes bounds the policy documents podcred parses. IAM's own limits
// are far lower (trust policies 2,048 characters by default, at most 8,192;
// managed policies 6,144), so anything larger is not an IAM document.
const MaxPolicyBytes = 128 << 10

// PolicyDocument is a parsed IAM policy document: a role's trust policy or a
// permission policy. Every element that IAM accepts as a string or a list of
// strings is held as a list.
type PolicyDocument struct {
	Version    string
	ID         string
	Statements []PolicyStatement
}

// PolicyStatement is one statement. Exactly one of Action/NotAction is set
// (HasNotAction says which); Principal and NotPrincipal are nil when absent.
type PolicyStatement struct {
	// Index is the statement's position in the document, from 0.
	Index  int
	Sid    string
	Effect string // "Allow" or "Deny"

	Principal    *Principals
	NotPrincipal *Principals

	Actions      []string
	HasNotAction bool

	Resources       []string
	HasNotResource  bool
	HasResourceElem bool

	// Conditions are the statement's conditions, one per operator and key,
	// sorted by operator then key so that output is stable.
	Conditions []PolicyCondition
}

// Principals is a Principal or NotPrincipal element: "*" (Any) or a map from
// principal type (Federated, AWS, Service, CanonicalUser) to its values.
type Principals struct {
	Any    bool
	ByType map[string][]string
}

// Federated returns the element's Federated principals.
func (p *Principals) Federated() []string {
	if p == nil {
		return nil
	}
	return p.ByType["Federated"]
}

// PolicyCondition is one key under one operator of a Condition element:
// its values are ORed (NORed for negated operators), and the conditions of a
// statement are ANDed.
type PolicyCondition struct {
	Operator ConditionOperator
	// Key is the condition key as written; keys match case-insensitively.
	Key    string
	Values []string
}

// Label renders the condition as in a policy: `StringEquals oidc...:sub`.
func (c PolicyCondition) Label() string { return c.Operator.Name + " " + c.Key }

// ErrNotPolicy is wrapped by every ParsePolicy error, so callers can tell a
// broken document from other failures.
var ErrNotPolicy = errors.New("not a valid IAM policy document")

// policyError wraps a precise message with ErrNotPolicy.
func policyError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotPolicy, fmt.Sprintf(format, args...))
}

// DecodePolicyText returns the JSON text of a policy document as IAM returns
// it: GetRole, GetRolePolicy and GetPolicyVersion answer with the document
// URL-encoded (RFC 3986); documents given as plain JSON pass unchanged.
func DecodePolicyText(doc string) (string, error) {
	s := strings.TrimSpace(doc)
	if s == "" {
		return "", policyError("the document is empty")
	}
	if strings.HasPrefix(s, "{") {
		return s, nil
	}
	dec, err := url.PathUnescape(s)
	if err != nil {
		return "", policyError("the document is neither JSON nor URL-encoded JSON: %v", err)
	}
	dec = strings.TrimSpace(dec)
	if !strings.HasPrefix(dec, "{") {
		return "", policyError("the document does not start with '{' (after URL-decoding)")
	}
	return dec, nil
}

// ParsePolicy parses an IAM policy document, URL-encoded or not. Element
// names are case-sensitive as in IAM; values that IAM accepts as a string or
// a list are accepted both ways, and condition values may be strings,
// booleans or numbers. The error wraps ErrNotPolicy and says precisely what
// is wrong; ParsePolicy never panics.
func ParsePolicy(doc string) (*PolicyDocument, error) {
	if len(doc) > 3*MaxPolicyBytes {
		return nil, policyError("the document is %d bytes, over the %d-byte limit", len(doc), MaxPolicyBytes)
	}
	text, err := DecodePolicyText(doc)
	if err != nil {
		return nil, err
	}
	if len(text) > MaxPolicyBytes {
		return nil, policyError("the document is %d bytes, over the %d-byte limit", len(text), MaxPolicyBytes)
	}
	top, err := objectOf([]byte(text), "the document")
	if err != nil {
		return nil, err
	}
	p := &PolicyDocument{}
	for k, raw := range top {
		switch k {
		case "Version":
			if p.Version, err = stringOf(raw, "Version"); err != nil {
				return nil, err
			}
		case "Id":
			if p.ID, err = stringOf(raw, "Id"); err != nil {
				return nil, err
			}
		case "Statement":
		default:
			return nil, policyError("unknown top-level element %q (element names are case-sensitive)", k)
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, policyError("the document has no Statement")
	}
	var stmts []json.RawMessage
	switch firstByte(raw) {
	case '[':
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return nil, policyError("Statement: %v", err)
		}
	case '{':
		stmts = []json.RawMessage{raw}
	default:
		return nil, policyError("Statement must be an object or a list of objects")
	}
	if len(stmts) == 0 {
		return nil, policyError("Statement is empty")
	}
	for i, s := range stmts {
		st, err := parseStatement(i, s)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(i int, raw json.RawMessage) (PolicyStatement, error) {
	st := PolicyStatement{Index: i}
	where := fmt.Sprintf("statement %d", i)
	obj, err := objectOf(raw, where)
	if err != nil {
		return st, err
	}
	var hasAction bool
	for k, v := range obj {
		switch k {
		case "Sid":
			st.Sid, err = stringOf(v, where+" Sid")
		case "Effect":
			st.Effect, err = stringOf(v, where+" Effect")
			if err == nil && st.Effect != "Allow" && st.Effect != "Deny" {
				err = policyError("%s: Effect must be \"Allow\" or \"Deny\", not %q", where, st.Effect)
			}
		case "Principal":
			st.Principal, err = principalsOf(v, where+" Principal")
		case "NotPrincipal":
			st.NotPrincipal, err = principalsOf(v, where+" NotPrincipal")
		case "Action":
			st.Actions, err = stringsOf(v, where+" Action")
			hasAction = true
		case "NotAction":
			st.Actions, err = stringsOf(v, where+" NotAction")
			st.HasNotAction = true
		case "Resource":
			st.Resources, err = stringsOf(v, where+" Resource")
			st.HasResourceElem = true
		case "NotResource":
			st.Resources, err = stringsOf(v, where+" NotResource")
			st.HasNotResource, st.HasResourceElem = true, true
		case "Condition":
			st.Conditions, err = conditionsOf(v, where)
		default:
			err = policyError("%s: unknown element %q (element names are case-sensitive)", where, k)
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, policyError("%s has no Effect", where)
	case hasAction && st.HasNotAction:
		return st, policyError("%s has both Action and NotAction", where)
	case !hasAction && !st.HasNotAction:
		return st, policyError("%s has neither Action nor NotAction", where)
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, policyError("%s has both Principal and NotPrincipal", where)
	}
	if _, both := obj["Resource"]; both && st.HasNotResource {
		return st, policyError("%s has both Resource and NotResource", where)
	}
	return st, nil
}

func principalsOf(raw json.RawMessage, where string) (*Principals, error) {
	if firstByte(raw) == '"' {
		s, err := stringOf(raw, where)
		if err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, policyError("%s must be \"*\" or an object such as {\"Federated\": ...}, not %q", where, s)
		}
		return &Principals{Any: true}, nil
	}
	obj, err := objectOf(raw, where)
	if err != nil {
		return nil, err
	}
	p := &Principals{ByType: map[string][]string{}}
	for typ, v := range obj {
		vals, err := stringsOf(v, where+" "+typ)
		if err != nil {
			return nil, err
		}
		p.ByType[typ] = vals
	}
	return p, nil
}

func conditionsOf(raw json.RawMessage, where string) ([]PolicyCondition, error) {
	ops, err := objectOf(raw, where+" Condition")
	if err != nil {
		return nil, err
	}
	var out []PolicyCondition
	for name, body := range ops {
		op, err := ParseConditionOperator(name)
		if err != nil {
			return nil, policyError("%s Condition: %v", where, err)
		}
		keys, err := objectOf(body, where+" Condition "+name)
		if err != nil {
			return nil, err
		}
		for key, v := range keys {
			vals, err := conditionValues(v, where+" Condition "+name+" "+key)
			if err != nil {
				return nil, err
			}
			out = append(out, PolicyCondition{Operator: op, Key: key, Values: vals})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Operator.Name != out[j].Operator.Name {
			return out[i].Operator.Name < out[j].Operator.Name
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}
