// Package iampolicy parses IAM policy documents and evaluates them with IAM's
// semantics: trust policies for sts:AssumeRoleWithWebIdentity and identity
// policies for iam:SimulatePrincipalPolicy.
//
// It is the sandbox's oracle. It must not import anything under
// github.com/podcred/podcred/pkg, so that tests comparing podcred's prediction
// with the sandbox's decision compare two independent implementations.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Effect is a statement's Effect: EffectAllow or EffectDeny.
type Effect string

// The two effects IAM knows.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a parsed IAM policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy. A nil Values field means the element
// is absent; a present but empty list is a non-nil empty slice.
type Statement struct {
	// Index is the statement's position in the document, from 0.
	Index        int
	Sid          string
	Effect       Effect
	Principal    *Principal
	NotPrincipal *Principal
	Action       Values
	NotAction    Values
	Resource     Values
	NotResource  Values
	// Conditions are sorted by operator, then key, so evaluation and output are
	// deterministic.
	Conditions []Condition
}

// Values is an element that IAM accepts as a string or a list of strings.
type Values []string

// Principal is a Principal or NotPrincipal element: "*", or a map of principal
// types to values.
type Principal struct {
	// Any is true for "Principal": "*".
	Any           bool
	AWS           Values
	Federated     Values
	Service       Values
	CanonicalUser Values
}

// maxDocument bounds the documents Parse accepts. IAM's largest documents (managed
// policies) are 6,144 characters without whitespace; 1 MiB leaves room for
// formatting and stops pathological input early.
const maxDocument = 1 << 20

// Parse parses a policy document. It accepts the URL-encoded form IAM returns
// from GetRole, GetRolePolicy and GetPolicyVersion. Broken input yields an error,
// never a panic.
func Parse(doc []byte) (*Policy, error) {
	if len(doc) > maxDocument {
		return nil, fmt.Errorf("policy document is %d bytes, more than the %d accepted", len(doc), maxDocument)
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, errors.New("policy document is empty")
	}
	if doc[0] == '%' {
		// IAM percent-encodes documents (RFC 3986: a literal '+' arrives as %2B),
		// so PathUnescape, which leaves '+' alone, is the right inverse.
		s, err := url.PathUnescape(string(doc))
		if err != nil {
			return nil, fmt.Errorf("policy document looks URL-encoded but is not: %w", err)
		}
		doc = bytes.TrimSpace([]byte(s))
	}
	var raw rawPolicy
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("policy document is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("policy document has data after its closing brace")
	}
	p := &Policy{Version: raw.Version, ID: raw.ID}
	stmts, err := raw.statements()
	if err != nil {
		return nil, err
	}
	for i, rs := range stmts {
		s, err := rs.statement(i)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

type rawPolicy struct {
	Version   string          `json:"Version"`
	ID        string          `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

func (r rawPolicy) statements() ([]rawStatement, error) {
	trimmed := bytes.TrimSpace(r.Statement)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, errors.New("policy document has no Statement")
	}
	if trimmed[0] == '{' {
		var one rawStatement
		if err := json.Unmarshal(trimmed, &one); err != nil {
			return nil, fmt.Errorf("statement 0: %w", err)
		}
		return []rawStatement{one}, nil
	}
	var list []rawStatement
	if err := json.Unmarshal(trimmed, &list); err != nil {
		return nil, fmt.Errorf("statement list: %w", err)
	}
	return list, nil
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       Values                                `json:"Action"`
	NotAction    Values                                `json:"NotAction"`
	Resource     Values                                `json:"Resource"`
	NotResource  Values                                `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

func (rs rawStatement) statement(i int) (Statement, error) {
	s := Statement{
		Index: i, Sid: rs.Sid,
		Action: rs.Action, NotAction: rs.NotAction,
		Resource: rs.Resource, NotResource: rs.NotResource,
	}
	switch {
	case strings.EqualFold(rs.Effect, string(EffectAllow)):
		s.Effect = EffectAllow
	case strings.EqualFold(rs.Effect, string(EffectDeny)):
		s.Effect = EffectDeny
	default:
		return s, fmt.Errorf("Effect must be Allow or Deny, not %q", rs.Effect)
	}
	if s.Action != nil && s.NotAction != nil {
		return s, errors.New("statement has both Action and NotAction")
	}
	if s.Action == nil && s.NotAction == nil {
		return s, errors.New("statement has neither Action nor NotAction")
	}
	if s.Resource != nil && s.NotResource != nil {
		return s, errors.New("statement has both Resource and NotResource")
	}
	var err error
	if s.Principal, err = parsePrincipal(rs.Principal); err != nil {
		return s, fmt.Errorf("Principal: %w", err)
	}
	if s.NotPrincipal, err = parsePrincipal(rs.NotPrincipal); err != nil {
		return s, fmt.Errorf("NotPrincipal: %w", err)
	}
	if s.Principal != nil && s.NotPrincipal != nil {
		return s, errors.New("statement has both Principal and NotPrincipal")
	}
	if s.Conditions, err = parseConditions(rs.Condition); err != nil {
		return s, err
	}
	return s, nil
}

// UnmarshalJSON accepts a string or a list of strings.
func (v *Values) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return errors.New("null is not a string or a list of strings")
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Values{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	if list == nil {
		list = []string{}
	}
	*v = list
	return nil
}

func parsePrincipal(b json.RawMessage) (*Principal, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", not %q", s)
		}
		return &Principal{Any: true}, nil
	}
	var m map[string]Values
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("want \"*\" or a map of principal types: %w", err)
	}
	p := &Principal{}
	for typ, vals := range m {
		switch typ {
		case "AWS":
			p.AWS = append(p.AWS, vals...)
		case "Federated":
			p.Federated = append(p.Federated, vals...)
		case "Service":
			p.Service = append(p.Service, vals...)
		case "CanonicalUser":
			p.CanonicalUser = append(p.CanonicalUser, vals...)
		default:
			return nil, fmt.Errorf("unknown principal type %q", typ)
		}
	}
	return p, nil
}
