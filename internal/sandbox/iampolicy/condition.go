package iampolicy

import (
	"encoding/base64"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Context holds a request's condition keys and their values. Keys are
// case-insensitive; values are case-sensitive. A key with no values is absent.
type Context map[string][]string

// Set sets key to values, replacing earlier values.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = append([]string(nil), values...)
}

// Get returns key's values and whether the key is present (has any value).
func (c Context) Get(key string) ([]string, bool) {
	v := c[strings.ToLower(key)]
	return v, len(v) > 0
}

// Holds reports whether the condition holds in ctx, with IAM's rules:
//   - a key that is absent makes a positive operator false and a negated one
//     true; "...IfExists" makes it true; ForAllValues is true and ForAnyValue
//     false on an absent key (an empty set);
//   - several policy values are ORed, and NORed for negated operators;
//   - without a qualifier, a key with several values holds when any of them
//     matches (for negated operators: when none does);
//   - ForAnyValue: some request value satisfies the operator; ForAllValues:
//     every request value does.
func (c Condition) Holds(ctx Context) bool {
	spec := c.Operator.spec()
	vals, present := ctx.Get(c.Key)
	if spec.fam == famNull {
		want := false
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") {
				want = want || !present
			} else if strings.EqualFold(v, "false") {
				want = want || present
			}
		}
		return want
	}
	if !present {
		switch {
		case c.Operator.IfExists:
			return true
		case c.Operator.Qualifier == QualifierForAllValues:
			return true
		case c.Operator.Qualifier == QualifierForAnyValue:
			return false
		default:
			return spec.negated
		}
	}
	// one reports whether a single request value satisfies the operator.
	one := func(v string) bool {
		hit := false
		for _, pv := range c.Values {
			if compare(spec, v, pv) {
				hit = true
				break
			}
		}
		return hit != spec.negated
	}
	switch c.Operator.Qualifier {
	case QualifierForAllValues:
		for _, v := range vals {
			if !one(v) {
				return false
			}
		}
		return true
	case QualifierForAnyValue:
		for _, v := range vals {
			if one(v) {
				return true
			}
		}
		return false
	default:
		// Single-valued use: any request value matching any policy value.
		hit := false
		for _, v := range vals {
			for _, pv := range c.Values {
				if compare(spec, v, pv) {
					hit = true
				}
			}
		}
		return hit != spec.negated
	}
}

// compare applies the positive form of the operator to request value v and
// policy value pv. Values that cannot be read as the family's type never match.
func compare(spec opSpec, v, pv string) bool {
	switch spec.fam {
	case famString:
		switch spec.cmp {
		case "eq":
			return v == pv
		case "eqi":
			return strings.EqualFold(v, pv)
		default:
			return Glob(pv, v, false)
		}
	case famBool:
		return strings.EqualFold(v, pv)
	case famBinary:
		a, err1 := base64.StdEncoding.DecodeString(v)
		b, err2 := base64.StdEncoding.DecodeString(pv)
		return err1 == nil && err2 == nil && string(a) == string(b)
	case famNumeric:
		a, ok1 := new(big.Float).SetString(strings.TrimSpace(v))
		b, ok2 := new(big.Float).SetString(strings.TrimSpace(pv))
		if !ok1 || !ok2 {
			return false
		}
		return ordered(spec.cmp, a.Cmp(b))
	case famDate:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		if !ok1 || !ok2 {
			return false
		}
		return ordered(spec.cmp, a.Compare(b))
	case famIP:
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		if pfx, err := netip.ParsePrefix(pv); err == nil {
			return pfx.Contains(addr)
		}
		a, err := netip.ParseAddr(pv)
		return err == nil && a == addr
	case famARN:
		return arnLike(pv, v)
	}
	return false
}

func ordered(cmp string, c int) bool {
	switch cmp {
	case "eq":
		return c == 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	}
	return false
}

// parseDate reads the date forms IAM accepts: ISO 8601 (with or without time)
// and seconds since the Unix epoch.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// arnLike matches an ARN against a pattern component by component (six
// colon-separated parts, the last one keeping its colons), each with * and ?
// wildcards, case-sensitively. ArnEquals and ArnLike behave the same in IAM.
func arnLike(pattern, arn string) bool {
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

// Keys returns the condition keys a statement tests, as written, in order.
func (s Statement) Keys() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range s.Conditions {
		k := strings.ToLower(c.Key)
		if !seen[k] {
			seen[k] = true
			out = append(out, c.Key)
		}
	}
	return out
}
