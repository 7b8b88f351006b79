package lint

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

var (
	// statementRE finds "statement N" in a trust check's message (N from 0, as trustpolicy counts).
	statementRE = regexp.MustCompile(`statement (\d+)`)
	// patchPathRE finds the first JSON-pointer path of a JSON patch in a remedy.
	patchPathRE = regexp.MustCompile(`"path":"(/[^"]*)"`)
)

// locate says where in the files a check of subject s is about: the
// trust policy (its statement) for trust checks, the ServiceAccount's
// annotation for annotation checks, the object a finding names (the
// line its remedy's JSON patch touches) for the rest; nil when no file
// holds what the check judged.
func (w *workspace) locate(s subjectKey, c report.Check) *report.Location {
	if strings.HasPrefix(c.ID, "trust.") {
		arn, err := podiam.ParseRoleARN(w.saRoleARN(s))
		if r, ok := w.roles[arn.Name]; err == nil && ok {
			line := r.node.Line
			if m := statementRE.FindStringSubmatch(c.Message); m != nil {
				i, _ := strconv.Atoi(m[1])
				line = r.statementLine(i)
			}
			return &report.Location{File: r.file, Line: line, Object: "role " + r.name}
		}
	}
	if o, ok := w.mentioned(s.ns, c.Message); ok {
		n := o.root
		if m := patchPathRE.FindStringSubmatch(c.Remedy); m != nil {
			n = pointer(o.root, m[1])
		}
		return loc(o, n)
	}
	if o, ok := w.find("ServiceAccount", s.ns, s.sa); ok {
		n := o.root
		if k := keyNode(child(child(o.root, "metadata"), "annotations"), podiam.AnnotationRoleARN); k != nil {
			n = k
		}
		return loc(o, n)
	}
	return nil
}

func loc(o kobj, n *yaml.Node) *report.Location {
	return &report.Location{File: o.file, Line: n.Line, Column: n.Column, Object: o.kind + " " + o.name}
}

// saRoleARN is the role annotation of the subject's ServiceAccount manifest.
func (w *workspace) saRoleARN(s subjectKey) string {
	o, ok := w.find("ServiceAccount", s.ns, s.sa)
	if !ok {
		return ""
	}
	return o.u.GetAnnotations()[podiam.AnnotationRoleARN]
}

// mentioned returns the object of namespace ns the message names first.
func (w *workspace) mentioned(ns, msg string) (kobj, bool) {
	best, at := kobj{}, -1
	for _, o := range w.objects {
		if o.ns != ns || o.kind == "ServiceAccount" {
			continue
		}
		i := indexWord(msg, o.ref())
		if i >= 0 && (at < 0 || i < at) {
			best, at = o, i
		}
	}
	return best, at >= 0
}

// indexWord finds ref in msg as a whole word sequence (not a prefix of a longer name).
func indexWord(msg, ref string) int {
	for off := 0; ; {
		i := strings.Index(msg[off:], ref)
		if i < 0 {
			return -1
		}
		end := off + i + len(ref)
		if end == len(msg) || !isNameChar(msg[end]) {
			return off + i
		}
		off = end
	}
}

func isNameChar(b byte) bool {
	return b == '-' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}
