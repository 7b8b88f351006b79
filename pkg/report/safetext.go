package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SafeText makes untrusted text (trust policies, annotations, AWS messages,
// names read from a cluster) safe to show in a terminal, a Markdown page or a
// CI log. Control characters other than newline and tab (C0, DEL, C1, so no
// terminal escape sequence), and the Unicode bidirectional and invisible
// format characters that can reorder or hide what a reader sees ("Trojan
// Source", CVE-2021-42574: U+061C, U+200B-U+200F, U+202A-U+202E,
// U+2060-U+2069, U+FEFF) are written as visible escapes such as [U+202E];
// invalid UTF-8 becomes U+FFFD. Every text renderer (text, Markdown, JUnit)
// passes report text through it; JSON carries the exact text, escaped by JSON.
func SafeText(s string) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unsafeRune(r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune reports whether r must not reach a reader as is.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0x061C, r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x2069, r == 0xFEFF:
		return true
	}
	return false
}
