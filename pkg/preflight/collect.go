package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"k8s.io/client-go/kubernetes"

	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
)

// Options configure Collect for one ServiceAccount.
type Options struct {
	// Namespace and ServiceAccount name the subject (required).
	Namespace      string
	ServiceAccount string
	// Cluster is the EKS cluster name, for eks:DescribeCluster and remedies.
	Cluster string
	// Issuer, when set, is the OIDC issuer URL (--issuer); IssuerSource
	// labels where it came from (default IssuerFromFlag).
	Issuer       string
	IssuerSource string
	// Audience is the token audience (default: the SA's
	// eks.amazonaws.com/audience annotation, else podiam.DefaultAudience).
	Audience string
	// podiam.RoleARN, when set, is the role the SA must be annotated with.
	RoleARN string
	// Faults are fault names or aliases of Catalogue; unknown names are
	// ignored (validate them with Catalogue.Resolve first). Empty: the faults
	// are inferred from the namespace's chaos experiments.
	Faults []string
	// Experiment limits the chaos checks to this ChaosExperiment and the
	// ChaosEngines that run it.
	Experiment string

	// Kube reads Kubernetes (required).
	Kube *KubeSource
	// EKS reads the issuer when Cluster is set and Issuer is not; nil skips.
	EKS DescribeClusterAPI
	// IAM reads providers, roles and policies (required); wrap it with
	// NewCachedIAM to share objects across ServiceAccounts.
	IAM IAMAPI
	// EC2 reads the nodes' metadata options (nodes.imds); nil: the nodes are
	// listed but not described, and the check skips.
	EC2 DescribeInstancesAPI
	// DiscoverIssuer reads the issuer from the API server when neither Issuer
	// nor Cluster is set; nil: no discovery.
	DiscoverIssuer func(context.Context) (string, error)
	// Job runs the verification Job (--run-job); nil: job.verification skips.
	Job func(context.Context, Facts) *JobFact
	// PodIdentity reads EKS Pod Identity associations when Cluster is set;
	// nil: the podidentity.* checks skip. ExperimentSDK is the experiment's
	// SDK family podidentity.sdk judges (default DefaultExperimentSDK).
	PodIdentity   *PodIdentitySource
	ExperimentSDK string

	// Catalogue resolves fault names (default DefaultFaultCatalogue).
	Catalogue *FaultCatalogue
	// CallTimeout bounds each AWS call, retries included (default credcheck.DefaultCallTimeout).
	CallTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	// issuer, set by Audit, is the issuer resolved once for every ServiceAccount.
	issuer *IssuerFact
	// sa, set by Audit, is the ServiceAccount as listed (no Get needed).
	sa *SAFact
	// associationsListed, set by Audit: take the SA's associations from the
	// cluster's whole list (read once) instead of a filtered call each.
	associationsListed bool
}

func (o Options) withDefaults() Options {
	if o.CallTimeout <= 0 {
		o.CallTimeout = credcheck.DefaultCallTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Catalogue == nil {
		o.Catalogue, _ = DefaultFaultCatalogue()
	}
	if o.ExperimentSDK == "" {
		o.ExperimentSDK = DefaultExperimentSDK
	}
	if o.Issuer != "" && o.IssuerSource == "" {
		o.IssuerSource = IssuerFromFlag
	}
	return o
}

// Collect gathers the facts the preflight checks judge: first the
// ServiceAccount and the issuer, then — concurrently, each call bounded —
// the OIDC providers, the role and its policies, the SA's pods, the chaos
// objects and the verification Job, and last the simulation of the faults'
// actions. ctx bounds the whole collection.
func Collect(ctx context.Context, o Options) Facts {
	o = o.withDefaults()
	log := zerolog.Ctx(ctx)
	f := Facts{
		Now: o.Now().UTC(), Namespace: o.Namespace, ServiceAccount: o.ServiceAccount,
		Cluster: o.Cluster, ExpectedRoleARN: o.RoleARN, ExperimentSDK: o.ExperimentSDK,
	}
	var wg sync.WaitGroup
	run := func(name string, fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			fn()
			log.Debug().Str("collector", name).Str("serviceAccount", o.Namespace+"/"+o.ServiceAccount).
				Dur("took", time.Since(start)).Msg("collected")
		}()
	}
	if o.sa != nil {
		f.SA = *o.sa
	} else {
		run("serviceaccount", func() { f.SA = o.Kube.serviceAccount(ctx, o.Namespace, o.ServiceAccount) })
	}
	run("issuer", func() { f.Issuer = resolveIssuer(ctx, o) })
	if o.PodIdentity != nil && o.Cluster != "" {
		run("pod-identity", func() {
			f.PodIdentity = o.PodIdentity.collect(ctx, o.IAM, o.Cluster, o.Namespace, o.ServiceAccount, o.associationsListed, o.CallTimeout)
		})
	}
	wg.Wait()

	f.Audience = o.Audience
	if f.Audience == "" {
		f.Audience = f.SA.Audience
	}
	if f.Audience == "" {
		f.Audience = podiam.DefaultAudience
	}
	role, roleOK := f.role()
	var rolePtr *podiam.RoleARN
	if roleOK {
		rolePtr = &role
	}
	if o.Job != nil && f.SA.Found {
		snapshot := f // taken before this phase's collectors write to f
		run("job", func() { f.Job = o.Job(ctx, snapshot) })
	}
	if f.Issuer.URL != "" {
		run("oidc-providers", func() { f.Providers = collectProviders(ctx, o.IAM, f.Issuer.URL, rolePtr, o.CallTimeout) })
	}
	// The role whose policies the faults use: the annotated one, or the
	// Pod Identity association's for a Pod-Identity-only ServiceAccount.
	granted, _, grantedOK := f.grantedRole()
	if grantedOK {
		run("role", func() { f.Role = collectRole(ctx, o.IAM, granted, o.CallTimeout) })
		run("grants", func() { f.Grants = collectGrants(ctx, o.IAM, granted, o.CallTimeout) })
	}
	run("pods", func() { f.Pods = o.Kube.podsOf(ctx, o.Namespace, o.ServiceAccount) })
	run("chaos", func() { f.Chaos = o.Kube.chaosOf(ctx, o.Namespace, o.ServiceAccount, o.Experiment) })
	run("gate", func() { f.Gate = o.Kube.gateOf(ctx, o.Namespace, o.ServiceAccount, o.Experiment) })
	run("nodes", func() { f.Nodes = o.Kube.nodesOf(ctx, o.EC2, o.CallTimeout) })
	wg.Wait()
	run("secrets", func() { f.Secrets = o.Kube.secretsOf(ctx, o.Namespace, f.Pods, f.Chaos) })

	f.Faults, _ = o.Catalogue.Resolve(o.Faults)
	if len(o.Faults) == 0 && f.Chaos != nil {
		var names []string
		for _, obj := range f.Chaos.Objects {
			names = append(names, obj.Experiments...)
		}
		f.Faults, _ = o.Catalogue.Resolve(names)
		f.FaultsInferred = len(f.Faults) > 0
	}
	if len(f.Faults) > 0 && f.Role != nil && f.Role.Found {
		f.Permissions = collectPermissions(ctx, o.IAM, granted, FaultActions(f.Faults), o.CallTimeout)
	}
	wg.Wait()
	return f
}

// resolveIssuer finds the issuer: --issuer, else eks:DescribeCluster, else
// the API server's OIDC discovery document.
func resolveIssuer(ctx context.Context, o Options) IssuerFact {
	switch {
	case o.issuer != nil:
		return *o.issuer
	case o.Issuer != "":
		return IssuerFact{URL: o.Issuer, Source: o.IssuerSource}
	case o.Cluster != "" && o.EKS != nil:
		return DescribeClusterIssuer(ctx, o.EKS, o.Cluster, o.CallTimeout)
	case o.DiscoverIssuer != nil:
		iss, err := o.DiscoverIssuer(ctx)
		if err != nil {
			return IssuerFact{Source: IssuerFromDiscovery, Problem: fmt.Sprintf("no --cluster or --issuer, and the API server's discovery failed: %v", err)}
		}
		return IssuerFact{URL: iss, Source: IssuerFromDiscovery}
	}
	return IssuerFact{Problem: "neither --cluster nor --issuer was given"}
}

// IssuerFromAPIServer reads the service-account issuer from the API
// server's /.well-known/openid-configuration (on EKS, the cluster's OIDC
// issuer). Anonymous and authenticated users may read it by default.
func IssuerFromAPIServer(ctx context.Context, c kubernetes.Interface, timeout time.Duration) (string, error) {
	rc := c.Discovery().RESTClient()
	if rc == nil {
		return "", fmt.Errorf("no REST client for discovery")
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := rc.Get().AbsPath("/.well-known/openid-configuration").DoRaw(cctx)
	if err != nil {
		return "", fmt.Errorf("GET /.well-known/openid-configuration: %w", err)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Issuer == "" {
		return "", fmt.Errorf("/.well-known/openid-configuration names no issuer")
	}
	return doc.Issuer, nil
}
