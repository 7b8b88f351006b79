package trustpolicy

import (
	"strconv"
	"strings"
	"time"
)

// conditionDate reads ISO 8601 dates (with or without time) and epoch seconds.
func conditionDate(s string) (time.Time, bool) {
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

// arnMatch matches an ARN against a pattern part by part (the six
// colon-separated parts, the last keeping its colons), each with * and ?.
// ArnEquals and ArnLike behave alike in IAM.
func arnMatch(pattern, arn string) bool {
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !WildcardMatch(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

// WildcardMatch reports whether s matches pattern, where * matches any run of
// characters (none included, '/' and ':' included) and ? exactly one;
// everything else is literal. foldCase compares case-insensitively (actions).
// It is linear in practice and never recurses or backtracks exponentially.
func WildcardMatch(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	starP, starT := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			starP, starT = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case starP >= 0:
			starT++
			pi, ti = starP+1, starT
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// hasWildcard reports whether a policy value contains * or ?.
func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
