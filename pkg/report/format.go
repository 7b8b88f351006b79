package report

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Format is an output format for a report on a stream or in a file.
type Format string

// Output formats. junit (JUnit XML, one testcase per check) and markdown (a
// table for CI job summaries) serve podcred-preflight in CI.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatJUnit    Format = "junit"
	FormatMarkdown Format = "markdown"
)

// formats lists the valid formats, in the order error messages show them.
var formats = []Format{FormatText, FormatJSON, FormatJUnit, FormatMarkdown}

// Formats returns the names of the valid formats.
func Formats() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = string(f)
	}
	return out
}

// ParseFormat parses a --format value (case-insensitive). An unknown value
// is an error naming the valid ones.
func ParseFormat(s string) (Format, error) {
	want := Format(strings.ToLower(strings.TrimSpace(s)))
	for _, f := range formats {
		if f == want {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: valid values are %s", s, strings.Join(Formats(), ", "))
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Render writes r to w in format f. color only matters for FormatText.
func Render(w io.Writer, r *Report, f Format, color bool) error {
	switch f {
	case FormatText:
		return RenderText(w, r, color)
	case FormatJSON:
		return RenderJSON(w, r)
	case FormatJUnit:
		if r == nil {
			return errNilReport
		}
		return RenderJUnit(w, r)
	case FormatMarkdown:
		return RenderMarkdown(w, r)
	default:
		return fmt.Errorf("render: unknown format %q: valid values are %s", string(f), strings.Join(Formats(), ", "))
	}
}

// StreamSink renders the report to a stream (the "stdout" sink).
type StreamSink struct {
	// W receives the report, typically os.Stdout.
	W io.Writer
	// Format is the rendering; the zero value means FormatText.
	Format Format
	// Color turns on ANSI colour for FormatText.
	Color bool
}

var _ Sink = StreamSink{}

// Name returns "stdout".
func (s StreamSink) Name() string { return "stdout" }

// Write renders r to s.W. ctx is not used.
func (s StreamSink) Write(_ context.Context, r *Report) error {
	f := s.Format
	if f == "" {
		f = FormatText
	}
	return Render(s.W, r, f, s.Color)
}
