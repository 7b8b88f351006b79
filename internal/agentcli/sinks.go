package agentcli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/report"
	"github.com/podcred/podcred/pkg/verdict"
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
				return nil, cli.UsageError(fmt.Errorf("--sink file= needs a path: file=/path/report.json"))
			}
			out = append(out, sinkSpec{kind: "file", path: p})
		default:
			return nil, cli.UsageError(fmt.Errorf("unknown --sink %q: valid values are stdout, configmap, annotation, event, file=PATH", v))
		}
	}
	return out, nil
}

func (o *verifyOptions) buildSinks(specs []sinkSpec) ([]report.Sink, error) {
	var (
		sinks []report.Sink
		kube  verdict.CoreClient
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
					return nil, cli.UsageError(fmt.Errorf("--sink %s: %w", s.kind, err))
				}
				kube = c
			}
			switch s.kind {
			case "configmap":
				sinks = append(sinks, verdict.NewConfigMapSink(kube))
			case "annotation":
				var opts []verdict.Option
				if !hasSink(specs, "configmap") {
					opts = append(opts, verdict.WithoutConfigMapLink()) // do not name a ConfigMap never written
				}
				sinks = append(sinks, verdict.NewAnnotationSink(kube, opts...))
			case "event":
				sinks = append(sinks, verdict.NewEventSink(kube))
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

// markPending clears the previous verdict in the report ConfigMap before the
// checks run, when the configmap sink is in use, so that a run that crashes
// or hangs cannot leave an old pass for a label-selector gate to find (the
// gate contract, pkg/report/gate.go). It needs the subject up front, from
// POD_NAMESPACE and POD_SERVICE_ACCOUNT (every shipped manifest sets both).
// A failure is logged, not fatal: publishing the verdict decides the exit
// code, and it fails closed when the ConfigMap cannot be written.
func (o *verifyOptions) markPending(ctx context.Context, sinks []report.Sink, started time.Time) {
	log := zerolog.Ctx(ctx)
	for _, s := range sinks {
		cm, ok := s.(*verdict.ConfigMapSink)
		if !ok {
			continue
		}
		ns, _ := o.streams.LookupEnv(credcheck.EnvPodNamespace)
		sa, _ := o.streams.LookupEnv(credcheck.EnvPodServiceAcct)
		if ns == "" || sa == "" {
			log.Warn().Msgf("%s or %s is not set: the previous verdict is not cleared before verifying",
				credcheck.EnvPodNamespace, credcheck.EnvPodServiceAcct)
			return
		}
		if err := cm.MarkPending(ctx, report.Subject{Namespace: ns, ServiceAccount: sa}, started); err != nil {
			log.Warn().Err(err).Msg("could not clear the previous verdict before verifying")
		}
	}
}
