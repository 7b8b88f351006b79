package agentcli

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/report"
)

// sinkSpec is one parsed --sink value.
type sinkSpec struct {
	kind string // stdout, configmap, annotation, event, file
	path string // for file
}

func parseSinks(values []string) ([]sinkSpec, error) {
	var out []sinkSpec
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "stdout" || v == "configmap" || v == "annotation" || v == "event":
			out = append(out, sinkSpec{kind: v})
		case strings.HasPrefix(v, "file="):
			p := strings.TrimPrefix(v, "file=")
			if p == "" {
				return nil, report.UsageError(fmt.Errorf("--sink file= needs a path: file=/path/report.json"))
			}
			out = append(out, sinkSpec{kind: "file", path: p})
		default:
			return nil, report.UsageError(fmt.Errorf("unknown --sink %q: valid values are stdout, configmap, annotation, event, file=PATH", v))
		}
	}
	return out, nil
}

func (o *verifyOptions) buildSinks(specs []sinkSpec) ([]report.Sink, error) {
	var (
		sinks []report.Sink
		kube  report.CoreClient
	)
	for _, s := range specs {
		switch s.kind {
		case "stdout":
			sinks = append(sinks, report.StreamSink{W: o.streams.Out, Format: o.parsed, Color: o.color})
		case "file":
			sinks = append(sinks, report.FileSink{Path: s.path})
		default:
			if kube == nil {
				c, err := cli.CoreClient(o.kubeconfig, "")
				if err != nil {
					return nil, report.UsageError(fmt.Errorf("--sink %s: %w", s.kind, err))
				}
				kube = c
			}
			switch s.kind {
			case "configmap":
				sinks = append(sinks, report.NewConfigMapSink(kube))
			case "annotation":
				var opts []report.Option
				if !hasSink(specs, "configmap") {
					opts = append(opts, report.WithoutConfigMapLink()) // do not name a ConfigMap never written
				}
				sinks = append(sinks, report.NewAnnotationSink(kube, opts...))
			case "event":
				sinks = append(sinks, report.NewEventSink(kube))
			}
		}
	}
	return sinks, nil
}

func hasSink(specs []sinkSpec, kind string) bool {
	for _, s := range specs {
		if s.kind == kind {
			return true
		}
	}
	return false
}
