package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Qualifier is a condition operator's set qualifier.
type Qualifier int

// The set qualifiers: none, ForAnyValue:, ForAllValues:.
const (
	QualifierNone Qualifier = iota
	QualifierForAnyValue
	QualifierForAllValues
)

// Operator is a parsed condition operator such as "ForAnyValue:StringLikeIfExists".
type Operator struct {
	// Name is the operator as written in the policy.
	Name      string
	Qualifier Qualifier
	// Base is the canonical operator without qualifier or IfExists ("StringLike").
	Base     string
	IfExists bool
}

// Condition is one key of one operator of a Condition element. Its values are
// ORed (NORed for negated operators); conditions of a statement are ANDed.
type Condition struct {
	Operator Operator
	// Key is the condition key as written; keys are matched case-insensitively.
	Key    string
	Values []string
}

type opFamily int

const (
	famString opFamily = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type opSpec struct {
	fam     opFamily
	negated bool
	// cmp is the comparison within the family, e.g. "eq", "like", "lt".
	cmp string
}

// operators lists IAM's condition operators, by lower-cased name.
var operators = map[string]struct {
	name string
	spec opSpec
}{}

func init() {
	add := func(name string, fam opFamily, negated bool, cmp string) {
		operators[strings.ToLower(name)] = struct {
			name string
			spec opSpec
		}{name, opSpec{fam, negated, cmp}}
	}
	add("StringEquals", famString, false, "eq")
	add("StringNotEquals", famString, true, "eq")
	add("StringEqualsIgnoreCase", famString, false, "eqi")
	add("StringNotEqualsIgnoreCase", famString, true, "eqi")
	add("StringLike", famString, false, "like")
	add("StringNotLike", famString, true, "like")
	add("NumericEquals", famNumeric, false, "eq")
	add("NumericNotEquals", famNumeric, true, "eq")
	add("NumericLessThan", famNumeric, false, "lt")
	add("NumericLessThanEquals", famNumeric, false, "le")
	add("NumericGreaterThan", famNumeric, false, "gt")
	add("NumericGreaterThanEquals", famNumeric, false, "ge")
	add("DateEquals", famDate, false, "eq")
	add("DateNotEquals", famDate, true, "eq")
	add("DateLessThan", famDate, false, "lt")
	add("DateLessThanEquals", famDate, false, "le")
	add("DateGreaterThan", famDate, false, "gt")
	add("DateGreaterThanEquals", famDate, false, "ge")
	add("Bool", famBool, false, "eq")
	add("BinaryEquals", famBinary, false, "eq")
	add("IpAddress", famIP, false, "in")
	add("NotIpAddress", famIP, true, "in")
	add("ArnEquals", famARN, false, "like")
	add("ArnLike", famARN, false, "like")
	add("ArnNotEquals", famARN, true, "like")
	add("ArnNotLike", famARN, true, "like")
	add("Null", famNull, false, "null")
}

// parseOperator reads "[ForAnyValue:|ForAllValues:]<Base>[IfExists]". Operator
// names are matched case-insensitively.
func parseOperator(name string) (Operator, error) {
	op := Operator{Name: name}
	rest := name
	if q, r, ok := strings.Cut(rest, ":"); ok {
		switch strings.ToLower(q) {
		case "foranyvalue":
			op.Qualifier = QualifierForAnyValue
		case "forallvalues":
			op.Qualifier = QualifierForAllValues
		default:
			return op, fmt.Errorf("unknown condition qualifier %q in %q", q, name)
		}
		rest = r
	}
	lower := strings.ToLower(rest)
	if trimmed, ok := strings.CutSuffix(lower, "ifexists"); ok {
		op.IfExists = true
		lower = trimmed
	}
	known, ok := operators[lower]
	if !ok {
		return op, fmt.Errorf("unknown condition operator %q", name)
	}
	if known.spec.fam == famNull && (op.IfExists || op.Qualifier != QualifierNone) {
		return op, fmt.Errorf("condition operator %q: Null takes neither IfExists nor a qualifier", name)
	}
	op.Base = known.name
	return op, nil
}

func (op Operator) spec() opSpec { return operators[strings.ToLower(op.Base)].spec }

// Negated reports whether the operator is a negated matching operator
// (StringNotEquals, StringNotLike, NotIpAddress, ArnNotLike, ...).
func (op Operator) Negated() bool { return op.spec().negated }

func parseConditions(m map[string]map[string]json.RawMessage) ([]Condition, error) {
	var out []Condition
	for opName, keys := range m {
		op, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("condition operator %s has no keys", opName)
		}
		for key, raw := range keys {
			vals, err := conditionValues(raw)
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", opName, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Operator.Name != out[j].Operator.Name {
			return out[i].Operator.Name < out[j].Operator.Name
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// conditionValues reads a condition value: a string, boolean or number, or a
// list of them. Booleans and numbers become their JSON text ("true", "42").
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("empty value")
	}
	switch {
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case bytes.Equal(raw, []byte("true")), bytes.Equal(raw, []byte("false")):
		return string(raw), nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	default:
		return "", fmt.Errorf("want a string, boolean or number, not %s", truncate(string(raw), 40))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
