package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// conditionValues reads a condition value: a string, boolean or number, or a
// list of them. IAM compares them as text.
func conditionValues(raw json.RawMessage, where string) ([]string, error) {
	one := func(r json.RawMessage) (string, error) {
		switch firstByte(r) {
		case '"':
			return stringOf(r, where)
		case 't', 'f':
			var b bool
			if err := json.Unmarshal(r, &b); err != nil {
				return "", policyError("%s: %v", where, err)
			}
			return fmt.Sprint(b), nil
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			var n json.Number
			if err := json.Unmarshal(r, &n); err != nil {
				return "", policyError("%s: %v", where, err)
			}
			return n.String(), nil
		}
		return "", policyError("%s: a condition value must be a string, boolean or number", where)
	}
	if firstByte(raw) != '[' {
		v, err := one(raw)
		if err != nil {
			return nil, err
		}
		return []string{v}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, policyError("%s: %v", where, err)
	}
	out := make([]string, 0, len(list))
	for _, r := range list {
		v, err := one(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func objectOf(raw []byte, where string) (map[string]json.RawMessage, error) {
	if firstByte(raw) != '{' {
		return nil, policyError("%s must be a JSON object", where)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, policyError("%s: %s", where, jsonProblem(err))
	}
	return m, nil
}

func stringOf(raw json.RawMessage, where string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", policyError("%s must be a string", where)
	}
	return s, nil
}

// stringsOf reads IAM's string-or-list-of-strings.
func stringsOf(raw json.RawMessage, where string) ([]string, error) {
	switch firstByte(raw) {
	case '"':
		s, err := stringOf(raw, where)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, policyError("%s must be a string or a list of strings", where)
		}
		if len(list) == 0 {
			return nil, policyError("%s is an empty list", where)
		}
		return list, nil
	}
	return nil, policyError("%s must be a string or a list of strings", where)
}

func firstByte(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// jsonProblem shortens encoding/json's errors to what a user can act on.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err.Error()
}
