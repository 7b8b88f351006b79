package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: one run, the
// tool's rules, results with a physical location and partialFingerprints.
const (
	SARIFVersion = "2.1.0"
	// SARIFSchema is the schema URI stamped in the log.
	SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"
	// SARIFFingerprintKey names podcred's partial fingerprint: a hash of the
	// rule, the file, the subject and the object, never of line numbers or
	// messages, so a finding keeps its identity when lines move.
	SARIFFingerprintKey = "podcredFinding/v1"
	// sarifSrcRoot is the base the result URIs are relative to.
	sarifSrcRoot = "%SRCROOT%"
)

// SARIFRule is a check as a SARIF reporting descriptor.
type SARIFRule struct {
	// ID is the check ID; Name its CamelCase name; Title its short description.
	ID, Name, Title string
	// Help is how to fix a finding; HelpURI the documentation.
	Help, HelpURI string
	// Level is the default level (error, warning or note).
	Level string
	Tags  []string
}

// SARIFNotice is a problem of the run itself (a file that could not be
// read), reported as a tool execution notification.
type SARIFNotice struct {
	File    string
	Message string
}

// SARIFRun is what RenderSARIF writes: the tool, its rules, the reports
// whose located non-passing checks become results, and the notices.
type SARIFRun struct {
	Tool    Tool
	InfoURI string
	Rules   []SARIFRule
	Reports []*Report
	Notices []SARIFNotice
}

// SARIFLevel maps a check status to a SARIF level; "" for statuses that are
// not findings (pass, skip).
func SARIFLevel(s Status) string {
	switch s {
	case StatusFail:
		return "error"
	case StatusWarn, StatusError:
		return "warning"
	}
	return ""
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifLocation struct {
	Physical struct {
		Artifact struct {
			URI       string `json:"uri"`
			URIBaseID string `json:"uriBaseId,omitempty"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifResult struct {
	RuleID       string            `json:"ruleId"`
	RuleIndex    int               `json:"ruleIndex"`
	Level        string            `json:"level"`
	Message      sarifMessage      `json:"message"`
	Locations    []sarifLocation   `json:"locations"`
	Fingerprints map[string]string `json:"partialFingerprints"`
	Properties   map[string]string `json:"properties,omitempty"`
}

func location(file string, line, col int) sarifLocation {
	var l sarifLocation
	l.Physical.Artifact.URI, l.Physical.Artifact.URIBaseID = file, sarifSrcRoot
	if line > 0 {
		l.Physical.Region = &sarifRegion{StartLine: line, StartColumn: col}
	}
	return l
}

// SARIFFingerprint is the partial fingerprint of a finding.
func SARIFFingerprint(ruleID string, s Subject, loc Location) string {
	h := sha256.Sum256([]byte(strings.Join([]string{ruleID, loc.File, s.Namespace, s.ServiceAccount, loc.Object}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// RenderSARIF writes the run as a SARIF 2.1.0 log. Checks without a
// location or with a non-finding status are left out: code scanning shows
// findings in files.
func RenderSARIF(w io.Writer, run SARIFRun) error {
	index := map[string]int{}
	rules := make([]map[string]any, 0, len(run.Rules))
	for i, r := range run.Rules {
		index[r.ID] = i
		rules = append(rules, map[string]any{
			"id": r.ID, "name": r.Name,
			"shortDescription":     sarifMessage{Text: r.Title},
			"help":                 sarifMessage{Text: r.Help},
			"helpUri":              r.HelpURI,
			"defaultConfiguration": map[string]string{"level": r.Level},
			"properties":           map[string]any{"tags": r.Tags},
		})
	}
	results := []sarifResult{}
	for _, rep := range run.Reports {
		for _, c := range rep.Checks {
			level := SARIFLevel(c.Status)
			i, known := index[c.ID]
			if level == "" || c.Location == nil || !known {
				continue
			}
			text := SafeText(fmt.Sprintf("%s/%s: %s", rep.Subject.Namespace, rep.Subject.ServiceAccount, c.Message))
			if c.Remedy != "" {
				text += "\nFix: " + SafeText(c.Remedy)
			}
			results = append(results, sarifResult{
				RuleID: c.ID, RuleIndex: i, Level: level, Message: sarifMessage{Text: text},
				Locations:    []sarifLocation{location(c.Location.File, c.Location.Line, c.Location.Column)},
				Fingerprints: map[string]string{SARIFFingerprintKey: SARIFFingerprint(c.ID, rep.Subject, *c.Location)},
				Properties:   map[string]string{"status": string(c.Status), "object": c.Location.Object},
			})
		}
	}
	notes := []map[string]any{}
	for _, n := range run.Notices {
		notes = append(notes, map[string]any{
			"level": "error", "message": sarifMessage{Text: SafeText(n.Message)},
			"locations": []sarifLocation{location(n.File, 0, 0)},
		})
	}
	log := map[string]any{
		"$schema": SARIFSchema, "version": SARIFVersion,
		"runs": []map[string]any{{
			"tool": map[string]any{"driver": map[string]any{
				"name": run.Tool.Name, "version": run.Tool.Version, "informationUri": run.InfoURI, "rules": rules,
			}},
			"invocations": []map[string]any{{
				"executionSuccessful": len(run.Notices) == 0, "toolExecutionNotifications": notes,
			}},
			"originalUriBaseIds": map[string]any{sarifSrcRoot: map[string]any{"description": sarifMessage{Text: "the repository root"}}},
			"results":            results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
