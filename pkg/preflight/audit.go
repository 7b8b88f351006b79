package preflight

import (
	"context"
	"fmt"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/podcred/podcred/pkg/podiam"
	"github.com/podcred/podcred/pkg/report"
)

// DefaultAuditWorkers is how many ServiceAccounts audit checks at once.
const DefaultAuditWorkers = 16

// AuditOptions configure Audit.
type AuditOptions struct {
	// Namespace limits the audit to one namespace; "" audits all namespaces.
	Namespace string
	// Workers bounds the ServiceAccounts checked at once (default DefaultAuditWorkers).
	Workers int
	// Base holds everything but the subject: Kube, IAM, EKS, EC2, Cluster or
	// Issuer, Audience, Faults, Catalogue, CallTimeout, Now. Its IAM is
	// wrapped in a CachedIAM unless it already is one.
	Base Options
	// Progress, when set, is called after each ServiceAccount with the
	// number done and the total.
	Progress func(done, total int)
}

// AuditResult is the outcome of an audit.
type AuditResult struct {
	// Reports holds one BuildReport per ServiceAccount with a role
	// annotation or an EKS Pod Identity association, sorted by namespace and name.
	Reports []*report.Report
	// Verdict aggregates every report's checks.
	Verdict report.Verdict
	// IAMCalls is how many IAM calls reached AWS (the cache absorbs the rest).
	IAMCalls int64
}

// Audit checks every ServiceAccount carrying eks.amazonaws.com/role-arn, or
// with an EKS Pod Identity association (Base.PodIdentity and Base.Cluster
// set), in the namespace (or the cluster) concurrently, with a bounded worker pool.
// The issuer is resolved once, and every IAM role, policy and OIDC provider
// is fetched once however many ServiceAccounts share it; namespace-wide
// Kubernetes lists are read once per namespace. The error is set only when
// the ServiceAccounts cannot be listed.
func Audit(ctx context.Context, o AuditOptions) (*AuditResult, error) {
	base := o.Base.withDefaults()
	cache, ok := base.IAM.(*CachedIAM)
	if !ok {
		cache = NewCachedIAM(base.IAM)
	}
	base.IAM = cache
	lctx, cancel := context.WithTimeout(ctx, base.Kube.timeout())
	list, err := base.Kube.Client.CoreV1().ServiceAccounts(o.Namespace).List(lctx, metav1.ListOptions{})
	cancel()
	if err != nil {
		where := "all namespaces"
		if o.Namespace != "" {
			where = "namespace " + o.Namespace
		}
		return nil, fmt.Errorf("list serviceaccounts in %s: %w", where, err)
	}
	subjects := auditSubjects(list.Items, associatedSubjects(ctx, base, o.Namespace))
	issuer := resolveIssuer(ctx, base)
	base.issuer = &issuer

	workers := o.Workers
	if workers <= 0 {
		workers = DefaultAuditWorkers
	}
	res := &AuditResult{Reports: make([]*report.Report, len(subjects))}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < min(workers, max(len(subjects), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				so := base
				so.Namespace, so.ServiceAccount, so.sa = subjects[i].ns, subjects[i].name, &subjects[i].fact
				so.associationsListed = true
				res.Reports[i], _ = Run(ctx, so)
				if o.Progress != nil {
					mu.Lock()
					done++
					o.Progress(done, len(subjects))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range subjects {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	var all []report.Check
	var reports []*report.Report
	for _, r := range res.Reports {
		if r != nil {
			reports = append(reports, r)
			all = append(all, r.Checks...)
		}
	}
	res.Reports = reports
	res.Verdict = report.Aggregate(all)
	if ctx.Err() != nil && len(reports) < len(subjects) {
		res.Verdict = report.VerdictError
	}
	res.IAMCalls = cache.Calls()
	return res, nil
}

// auditSubject is one ServiceAccount audit checks.
type auditSubject struct {
	ns, name string
	fact     SAFact
}

// auditSubjects are the listed ServiceAccounts with a role annotation or an
// association, and the associated ones that do not exist, sorted by
// namespace and name.
func auditSubjects(items []corev1.ServiceAccount, withAssociation []subjectKey) []auditSubject {
	associated := map[subjectKey]bool{}
	for _, k := range withAssociation {
		associated[k] = true
	}
	var subjects []auditSubject
	for i := range items {
		sa := &items[i]
		_, annotated := sa.Annotations[podiam.AnnotationRoleARN]
		if k := (subjectKey{sa.Namespace, sa.Name}); annotated || associated[k] {
			subjects = append(subjects, auditSubject{sa.Namespace, sa.Name, saFact(sa)})
			delete(associated, k)
		}
	}
	for k := range associated { // an association for a ServiceAccount that does not exist
		subjects = append(subjects, auditSubject{k.ns, k.name, SAFact{}})
	}
	sort.Slice(subjects, func(i, j int) bool {
		if subjects[i].ns != subjects[j].ns {
			return subjects[i].ns < subjects[j].ns
		}
		return subjects[i].name < subjects[j].name
	})
	return subjects
}
