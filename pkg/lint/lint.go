// Package lint judges IRSA set-ups from files, with no cluster and no AWS
// access: Kubernetes manifests (ServiceAccounts, pods and workload
// templates, Secrets, Litmus ChaosExperiments and ChaosEngines, Argo
// Workflows and WorkflowTemplates), trust policies (bare JSON, `aws iam
// get-role` output, Terraform JSON plans and configuration). It maps them to
// preflight's facts and runs exactly the registered preflight checks whose
// needs files can satisfy — same IDs, same functions as `check` — reporting
// the rest as not judged, each finding located by file and line.
package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podcred/podcred/internal/version"
	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// Options say what to lint.
type Options struct {
	// Paths are files or directories.
	Paths []string
	// Issuer is the cluster's OIDC issuer (--issuer); Cluster the EKS
	// cluster name (--cluster), which lint cannot resolve without AWS.
	Issuer, Cluster string
	// Root is what file locations are relative to; default: the enclosing
	// git work tree of the working directory, else the working directory.
	Root string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result is one report per ServiceAccount judged, and the files that could
// not be read or understood.
type Result struct {
	Reports []*report.Report
	Errors  []FileError
	// Files is how many files were read.
	Files int
}

// Failed reports whether a check failed in any report.
func (r Result) Failed() bool {
	for _, rep := range r.Reports {
		if rep.Verdict == report.VerdictFail {
			return true
		}
	}
	return false
}

// Run lints the files. It stops reading files when ctx ends (the files not
// read are errors) and never fails as a whole: bad files are in Errors.
func Run(ctx context.Context, o Options) Result {
	if o.Now == nil {
		o.Now = time.Now
	}
	start := o.Now()
	root := o.Root
	if root == "" {
		root = repoRoot()
	}
	w := &workspace{roles: map[string]roleDoc{}, issuer: o.Issuer, cluster: o.Cluster}
	var res Result
	files, errs := discover(o.Paths)
	res.Errors = append(res.Errors, errs...)
	for _, file := range files {
		rel := relativeTo(root, file)
		if err := ctx.Err(); err != nil {
			res.Errors = append(res.Errors, FileError{rel, err})
			continue
		}
		data, err := readBounded(file)
		if err != nil {
			res.Errors = append(res.Errors, FileError{rel, err})
			continue
		}
		res.Files++
		docs, err := parseDocs(rel, data)
		if err != nil {
			res.Errors = append(res.Errors, FileError{rel, err})
		}
		for _, d := range docs {
			objs, err := kubeObjects(d)
			if err != nil {
				res.Errors = append(res.Errors, FileError{rel, err})
			}
			w.objects = append(w.objects, objs...)
			roles, rerrs := roleDocs(d)
			for _, e := range rerrs {
				res.Errors = append(res.Errors, FileError{rel, e})
			}
			for _, r := range roles {
				w.roles[r.name] = r
			}
		}
	}
	seen := map[string]bool{}
	for _, s := range w.subjects() {
		r, errs := w.report(s, start, o.Now)
		res.Reports = append(res.Reports, r)
		for _, e := range errs {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				res.Errors = append(res.Errors, e)
			}
		}
	}
	return res
}

// report judges one ServiceAccount.
func (w *workspace) report(s subjectKey, start time.Time, now func() time.Time) (*report.Report, []FileError) {
	f, has, errs := w.facts(s)
	checks := preflight.EvaluateFrom(f, func(n preflight.Need) bool { return has[n] })
	for i := range checks {
		if checks[i].Evidence[preflight.EvidenceNotJudged] == "" {
			checks[i].Location = w.locate(s, checks[i])
		}
	}
	r := &report.Report{
		SchemaVersion: report.SchemaVersion, Kind: report.KindPreflight,
		Tool:      report.Tool{Name: "podcred-preflight", Version: version.Version},
		Subject:   report.Subject{Cluster: w.cluster, Namespace: s.ns, ServiceAccount: s.sa, RoleArn: f.SA.RoleARN},
		StartedAt: start.UTC(), Checks: checks,
	}
	r.Finish(now())
	return r, errs
}

// repoRoot is the git work tree enclosing the working directory, else the
// working directory.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}

// relativeTo is file relative to root, slash-separated; file as given
// when it lies outside root.
func relativeTo(root, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return filepath.ToSlash(file)
	}
	if rootAbs, err := filepath.Abs(root); err == nil {
		if rel, err := filepath.Rel(rootAbs, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}
