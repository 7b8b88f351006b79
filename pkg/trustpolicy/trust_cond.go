package trustpolicy

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
)

// Set qualifiers of a condition operator.
const (
	QualifierForAnyValue  = "ForAnyValue"
	QualifierForAllValues = "ForAllValues"
)

// ConditionOperator is a parsed condition operator such as
// "ForAnyValue:StringLikeIfExists". Operator names match case-insensitively.
type ConditionOperator struct {
	// Name is the operator as written in the policy.
	Name string
	// Qualifier is "", QualifierForAnyValue or QualifierForAllValues.
	Qualifier string
	// Base is the canonical operator without qualifier or IfExists, e.g. "StringLike".
	Base     string
	IfExists bool
	kind     opKind
}

// opKind says how an operator compares a request value with a policy value.
type opKind struct {
	family  string // string, arn, numeric, date, bool, binary, ip, null
	cmp     string // eq, eqi, like, lt, le, gt, ge
	negated bool
}

// conditionOps are IAM's condition operators by lower-cased name.
var conditionOps = map[string]struct {
	name string
	kind opKind
}{}

func init() {
	def := func(name, family, cmp string, negated bool) {
		conditionOps[strings.ToLower(name)] = struct {
			name string
			kind opKind
		}{name, opKind{family, cmp, negated}}
	}
	for _, s := range []struct {
		name, cmp string
		neg       bool
	}{
		{"StringEquals", "eq", false}, {"StringNotEquals", "eq", true},
		{"StringEqualsIgnoreCase", "eqi", false}, {"StringNotEqualsIgnoreCase", "eqi", true},
		{"StringLike", "like", false}, {"StringNotLike", "like", true},
	} {
		def(s.name, "string", s.cmp, s.neg)
	}
	def("ArnEquals", "arn", "like", false)
	def("ArnLike", "arn", "like", false)
	def("ArnNotEquals", "arn", "like", true)
	def("ArnNotLike", "arn", "like", true)
	for _, fam := range []string{"Numeric", "Date"} {
		family := strings.ToLower(fam)
		def(fam+"Equals", family, "eq", false)
		def(fam+"NotEquals", family, "eq", true)
		def(fam+"LessThan", family, "lt", false)
		def(fam+"LessThanEquals", family, "le", false)
		def(fam+"GreaterThan", family, "gt", false)
		def(fam+"GreaterThanEquals", family, "ge", false)
	}
	def("Bool", "bool", "eq", false)
	def("BinaryEquals", "binary", "eq", false)
	def("IpAddress", "ip", "eq", false)
	def("NotIpAddress", "ip", "eq", true)
	def("Null", "null", "eq", false)
}

// ParseConditionOperator parses an operator name with its optional
// "ForAnyValue:"/"ForAllValues:" qualifier and "IfExists" suffix.
func ParseConditionOperator(name string) (ConditionOperator, error) {
	op := ConditionOperator{Name: name}
	rest := name
	if q, after, ok := strings.Cut(name, ":"); ok {
		switch strings.ToLower(q) {
		case "foranyvalue":
			op.Qualifier = QualifierForAnyValue
		case "forallvalues":
			op.Qualifier = QualifierForAllValues
		default:
			return op, fmt.Errorf("unknown set qualifier %q in operator %q (want ForAnyValue: or ForAllValues:)", q, name)
		}
		rest = after
	}
	lower := strings.ToLower(rest)
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok && base != "null" {
		if _, known := conditionOps[base]; known {
			op.IfExists, lower = true, base
		}
	}
	def, ok := conditionOps[lower]
	if !ok {
		return op, fmt.Errorf("unknown condition operator %q", name)
	}
	op.Base, op.kind = def.name, def.kind
	return op, nil
}

// Negated reports whether the operator is a negated one (StringNotEquals,
// StringNotLike, ArnNotLike, NotIpAddress, ...).
func (o ConditionOperator) Negated() bool { return o.kind.negated }

// IsLike reports whether the operator's policy values are patterns with * and ?.
func (o ConditionOperator) IsLike() bool { return o.kind.cmp == "like" }

// IsString reports whether the operator compares strings (String* operators).
func (o ConditionOperator) IsString() bool { return o.kind.family == "string" }

// RequestContext holds a request's condition keys and their values. Keys are
// case-insensitive (use Set and Values); a key with no value is absent.
type RequestContext map[string][]string

// Set sets key to values.
func (c RequestContext) Set(key string, values ...string) {
	c[strings.ToLower(key)] = append([]string(nil), values...)
}

// Values returns key's values and whether the key is present.
func (c RequestContext) Values(key string) ([]string, bool) {
	v := c[strings.ToLower(key)]
	return v, len(v) > 0
}

// Holds reports whether the condition holds for the request context, with
// IAM's semantics:
//   - an absent key makes a positive operator false and a negated one true;
//     with IfExists it is true; ForAllValues holds and ForAnyValue does not
//     on an absent key (the empty set);
//   - several policy values are ORed (NORed for negated operators);
//   - without a qualifier, a multi-valued key holds when any request value
//     matches (for negated operators: when none does);
//   - ForAnyValue: at least one request value satisfies the operator;
//     ForAllValues: every request value does.
func (c PolicyCondition) Holds(ctx RequestContext) bool {
	k := c.Operator.kind
	vals, present := ctx.Values(c.Key)
	if k.family == "null" {
		for _, v := range c.Values {
			switch strings.ToLower(v) {
			case "true":
				if !present {
					return true
				}
			case "false":
				if present {
					return true
				}
			}
		}
		return false
	}
	if !present {
		switch {
		case c.Operator.IfExists:
			return true
		case c.Operator.Qualifier == QualifierForAllValues:
			return true
		case c.Operator.Qualifier == QualifierForAnyValue:
			return false
		}
		return k.negated
	}
	matchesAny := func(v string) bool {
		for _, pv := range c.Values {
			if k.compare(v, pv) {
				return true
			}
		}
		return false
	}
	satisfies := func(v string) bool { return matchesAny(v) != k.negated }
	switch c.Operator.Qualifier {
	case QualifierForAnyValue:
		for _, v := range vals {
			if satisfies(v) {
				return true
			}
		}
		return false
	case QualifierForAllValues:
		for _, v := range vals {
			if !satisfies(v) {
				return false
			}
		}
		return true
	}
	any := false
	for _, v := range vals {
		any = any || matchesAny(v)
	}
	return any != k.negated
}

// compare applies the positive form of the operator to a request value and a
// policy value. Values that do not read as the family's type never match.
func (k opKind) compare(v, pv string) bool {
	switch k.family {
	case "string":
		switch k.cmp {
		case "eq":
			return v == pv
		case "eqi":
			return strings.EqualFold(v, pv)
		}
		return WildcardMatch(pv, v, false)
	case "arn":
		return arnMatch(pv, v)
	case "bool":
		return strings.EqualFold(v, pv)
	case "binary":
		a, err1 := base64.StdEncoding.DecodeString(v)
		b, err2 := base64.StdEncoding.DecodeString(pv)
		return err1 == nil && err2 == nil && string(a) == string(b)
	case "numeric":
		a, ok1 := new(big.Float).SetString(strings.TrimSpace(v))
		b, ok2 := new(big.Float).SetString(strings.TrimSpace(pv))
		return ok1 && ok2 && k.order(a.Cmp(b))
	case "date":
		a, ok1 := conditionDate(v)
		b, ok2 := conditionDate(pv)
		return ok1 && ok2 && k.order(a.Compare(b))
	case "ip":
		addr, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return false
		}
		if pfx, err := netip.ParsePrefix(strings.TrimSpace(pv)); err == nil {
			return pfx.Contains(addr)
		}
		b, err := netip.ParseAddr(strings.TrimSpace(pv))
		return err == nil && b == addr
	}
	return false
}

func (k opKind) order(c int) bool {
	switch k.cmp {
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	}
	return c == 0
}
