package lint

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/preflight"
)

// workspace is everything found in the files.
type workspace struct {
	objects []kobj
	roles   map[string]roleDoc
	issuer  string
	cluster string
}

// subjectKey is a ServiceAccount lint judges: one with a manifest, or one
// a chaos object, pod or workflow of the files runs as.
type subjectKey struct{ ns, sa string }

// subjects lists the ServiceAccounts to judge, sorted.
func (w *workspace) subjects() []subjectKey {
	seen := map[subjectKey]bool{}
	for _, o := range w.objects {
		var sa string
		switch o.kind {
		case "ServiceAccount":
			sa = o.name
		case "ChaosEngine":
			sa, _, _ = unstructured.NestedString(o.u.Object, "spec", "chaosServiceAccount")
		case "Workflow", "WorkflowTemplate":
			sa, _, _ = unstructured.NestedString(o.u.Object, "spec", "serviceAccountName")
		default:
			if p, _, ok, err := o.asPod(); ok && err == nil {
				sa = p.Spec.ServiceAccountName
			}
		}
		if sa != "" {
			seen[subjectKey{o.ns, sa}] = true
		}
	}
	out := make([]subjectKey, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].ns < out[j].ns || (out[i].ns == out[j].ns && out[i].sa < out[j].sa)
	})
	return out
}

// find returns the object of a kind, namespace and name.
func (w *workspace) find(kind, ns, name string) (kobj, bool) {
	for _, o := range w.objects {
		if o.kind == kind && o.ns == ns && o.name == name {
			return o, true
		}
	}
	return kobj{}, false
}

// facts builds the facts of one ServiceAccount from the files, exactly as
// preflight.Collect would from the API, and says which needs they satisfy.
func (w *workspace) facts(s subjectKey) (preflight.Facts, map[preflight.Need]bool, []FileError) {
	f := preflight.Facts{Namespace: s.ns, ServiceAccount: s.sa, Cluster: w.cluster, Audience: podiam.DefaultAudience}
	has := map[preflight.Need]bool{preflight.NeedWorkloads: true}
	switch {
	case w.issuer != "":
		f.Issuer, has[preflight.NeedIssuer] = preflight.IssuerFact{URL: w.issuer, Source: preflight.IssuerFromFlag}, true
	case w.cluster != "":
		f.Issuer = preflight.IssuerFact{Problem: fmt.Sprintf("lint makes no AWS call, so --cluster %s is not resolved to its issuer: pass --issuer "+
			"(aws eks describe-cluster --name %s --query cluster.identity.oidc.issuer --output text)", w.cluster, w.cluster)}
		has[preflight.NeedIssuer] = true
	}
	if o, ok := w.find("ServiceAccount", s.ns, s.sa); ok {
		var sa corev1.ServiceAccount
		if err := convert(o.u.Object, &sa); err == nil {
			f.SA, has[preflight.NeedServiceAccount] = preflight.ServiceAccountFact(&sa), true
			if f.SA.Audience != "" {
				f.Audience = f.SA.Audience
			}
		}
	}
	if arn, err := podiam.ParseRoleARN(f.SA.RoleARN); err == nil && f.SA.HasRoleAnnotation {
		if r, ok := w.roles[arn.Name]; ok {
			f.Role = &preflight.RoleFact{ARN: arn, Found: true, Trust: r.trust, TrustErr: r.err}
			has[preflight.NeedTrustPolicy] = true
		}
	}
	var chaos, workflows []unstructured.Unstructured
	pods := &preflight.PodsFact{}
	secrets := &preflight.SecretsFact{Secrets: map[string]preflight.SecretFact{}}
	var errs []FileError
	for _, o := range w.objects {
		if o.ns != s.ns {
			continue
		}
		switch o.kind {
		case "ChaosExperiment", "ChaosEngine":
			chaos = append(chaos, *o.u)
		case "Workflow", "WorkflowTemplate":
			workflows = append(workflows, *o.u)
		case "Secret":
			var sec corev1.Secret
			if err := convert(o.u.Object, &sec); err != nil {
				errs = append(errs, FileError{o.file, fmt.Errorf("Secret %s: %w", o.name, err)})
				continue
			}
			secrets.Secrets[o.name] = preflight.SecretFactOf(&sec)
		}
		p, workload, ok, err := o.asPod()
		switch {
		case !ok:
		case err != nil:
			errs = append(errs, FileError{o.file, err})
		case orDefault(p.Spec.ServiceAccountName) == s.sa:
			pf := preflight.PodFactOf(p)
			pf.Workload = workload
			pods.Pods = append(pods.Pods, pf)
		}
	}
	f.Chaos = preflight.ChaosFactOf(chaos, s.sa, "")
	f.Gate = preflight.GateFactOf(chaos, workflows, s.sa)
	f.Pods, f.Secrets = pods, secrets
	return f, has, errs
}

// orDefault is the ServiceAccount a pod runs as.
func orDefault(sa string) string {
	if sa == "" {
		return "default"
	}
	return sa
}
