package iampolicy

import (
	"strings"
	"unicode/utf8"
)

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none, and including ':' and '/') and '?' matches one
// character. Everything else is literal. foldCase compares letters
// case-insensitively. It runs in O(len(pattern)*len(s)) at worst, with no
// regular expressions and no recursion.
func Glob(pattern, s string, foldCase bool) bool {
	if foldCase {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, n := 0, 0
	// Where to resume after the last '*': pattern index after it, and the
	// position in s it currently absorbs up to.
	star, mark := -1, 0
	for n < len(s) {
		if p < len(pattern) {
			pc, pw := utf8.DecodeRuneInString(pattern[p:])
			sc, sw := utf8.DecodeRuneInString(s[n:])
			switch {
			case pc == '*':
				star, mark = p+pw, n
				p += pw
				continue
			case pc == '?' || pc == sc:
				p += pw
				n += sw
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last '*' absorb one more character and retry.
		_, sw := utf8.DecodeRuneInString(s[mark:])
		mark += sw
		p, n = star, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchAction reports whether an action ("sts:AssumeRoleWithWebIdentity")
// matches a policy's action pattern ("sts:*", "*", "STS:assumerole*"). Actions
// are case-insensitive.
func MatchAction(pattern, action string) bool {
	return Glob(pattern, action, true)
}

// MatchResource reports whether a resource ARN matches a policy's resource
// pattern. Resources are case-sensitive.
func MatchResource(pattern, resource string) bool {
	return Glob(pattern, resource, false)
}

func anyAction(patterns Values, action string) bool {
	for _, p := range patterns {
		if MatchAction(p, action) {
			return true
		}
	}
	return false
}

func anyResource(patterns Values, resource string) bool {
	for _, p := range patterns {
		if MatchResource(p, resource) {
			return true
		}
	}
	return false
}

// actionApplies reports whether the statement's Action/NotAction covers action.
func (s Statement) actionApplies(action string) bool {
	if s.NotAction != nil {
		return !anyAction(s.NotAction, action)
	}
	return anyAction(s.Action, action)
}

// resourceApplies reports whether the statement's Resource/NotResource covers
// resource. A statement with neither covers every resource (trust policies).
func (s Statement) resourceApplies(resource string) bool {
	switch {
	case s.NotResource != nil:
		return !anyResource(s.NotResource, resource)
	case s.Resource != nil:
		return anyResource(s.Resource, resource)
	default:
		return true
	}
}
