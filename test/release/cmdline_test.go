package release

import (
	"fmt"
	"regexp"
	"strings"
)

// invocation is one podcred-preflight command line found in a CI script.
type invocation struct {
	args   []string // the words after podcred-preflight, up to a shell operator
	stdout string   // the file its stdout is redirected to ("" when none)
}

// program is the binary the CI templates call.
const program = "podcred-preflight"

// expression matches a CI expression (`${{ vars.X || 'y' }}`), which may hold
// spaces: it stands for one value.
var expression = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

// invocations finds every podcred-preflight command line in a shell script:
// continuation lines are joined, CI expressions become one placeholder word,
// words are split as a POSIX shell splits them (quotes kept together) and end
// at the first shell operator; a `> FILE` right after is the redirect target.
func invocations(script string) ([]invocation, error) {
	script = strings.ReplaceAll(script, "\\\n", " ")
	script = expression.ReplaceAllString(script, "EXPR")
	var out []invocation
	for _, line := range strings.Split(script, "\n") {
		for {
			i := strings.Index(line, program+" ")
			if i < 0 {
				break
			}
			if i > 0 && !strings.ContainsRune(" \t;&|(", rune(line[i-1])) {
				line = line[i+len(program):]
				continue
			}
			words, ops, err := shellWords(line[i+len(program):])
			if err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			inv := invocation{args: words}
			for j := 0; j+1 < len(ops); j++ {
				if ops[j] == ">" && !strings.ContainsAny(ops[j+1][:1], "><|;&#") {
					inv.stdout = ops[j+1]
					break
				}
			}
			out = append(out, inv)
			line = strings.Join(ops, " ")
		}
	}
	return out, nil
}

// shellWords splits s into words until a shell operator (> | ; & < or a
// comment), returning the words and what follows, split the same way.
func shellWords(s string) (words, rest []string, err error) {
	var cur strings.Builder
	inWord, quote := false, rune(0)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for i, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune("><|;&#", r):
			op := string(r)
			if r == '>' && inWord && strings.Trim(cur.String(), "0123456789") == "" {
				op = cur.String() + op // 2>: a file descriptor's redirect, not a word
				cur.Reset()
				inWord = false
			}
			flush()
			tw, tr, err := shellWords(strings.TrimLeft(s[i:], "><|;&#"))
			return words, append(append([]string{op}, tw...), tr...), err
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, nil, fmt.Errorf("unterminated %c quote", quote)
	}
	flush()
	return words, nil, nil
}
