// Package eksauth is the sandbox's emulation of what moto lacks for EKS Pod
// Identity: the EKS association APIs (CreatePodIdentityAssociation,
// ListPodIdentityAssociations, DescribePodIdentityAssociation,
// DeletePodIdentityAssociation — moto 5.2.1's eks backend has none of them) and
// eks-auth's AssumeRoleForPodIdentity, which validates the pod's token against
// the cluster's keys, finds the association, judges the role's trust with the
// sandbox's own oracle (internal/sandbox/iampolicy, never podcred's checks) and
// issues credentials through moto's sts:AssumeRole. Shapes and error codes
// follow botocore's service models (data/eks-auth/2023-11-26,
// data/eks/2017-11-01). It also serves the loopback Pod Identity agent
// (agent.go).
package eksauth

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/rs/zerolog"
)

// Cluster is what the service needs of an EKS cluster.
type Cluster struct {
	Name, ARN, Issuer string
	// Account owns the cluster (aws:SourceAccount).
	Account string
}

// Role is what the service needs of an IAM role.
type Role struct {
	ARN string
	// RoleID is IAM's unique ID (AROA...), the first half of assumeRoleId.
	RoleID string
	// TrustPolicy is the assume-role policy document (URL-encoded or not).
	TrustPolicy string
}

// AssumeRoleInput is the sts:AssumeRole the service makes for a pod.
type AssumeRoleInput struct {
	RoleARN, SessionName string
	Tags                 map[string]string
}

// Issued are credentials of a role session.
type Issued struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// AssumedRoleARN is arn:aws:sts::<acct>:assumed-role/<role>/<session>.
	AssumedRoleARN string
	// AssumedRoleID is <role id>:<session>.
	AssumedRoleID string
}

// Backend is the AWS state behind the service (moto, see NewMotoBackend).
// Cluster and Role return nil, nil when the object does not exist.
type Backend interface {
	Cluster(ctx context.Context, name string) (*Cluster, error)
	Role(ctx context.Context, roleARN string) (*Role, error)
	AssumeRole(ctx context.Context, in AssumeRoleInput) (*Issued, error)
}

// Options configure a Service.
type Options struct {
	// Backend holds clusters, roles and STS. Required.
	Backend Backend
	// KeySet returns the JWKS of the cluster's issuer. Required.
	KeySet func(ctx context.Context, issuer string) (oidc.KeySet, error)
	// Region names the association ARNs; default us-east-1.
	Region string
	// Now is the clock tokens are checked against; default time.Now.
	Now func() time.Time
	// Logger gets one debug line per decision (claims only, never tokens or keys).
	Logger zerolog.Logger
}

// Service serves the Pod Identity APIs. It implements http.Handler for the
// requests Handles accepts.
type Service struct {
	opts Options

	mu           sync.Mutex
	associations []*Association // in creation order
}

var _ http.Handler = (*Service)(nil)

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Backend == nil || o.KeySet == nil {
		return nil, errors.New("eksauth: Backend and KeySet are required")
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{opts: o}, nil
}

var (
	assumePath = regexp.MustCompile(`^/clusters/([^/]+)/assume-role-for-pod-identity$`)
	assocPath  = regexp.MustCompile(`^/clusters/([^/]+)/pod-identity-associations(?:/([^/]+))?$`)
)

// Handles reports whether r is one of the service's operations: the front
// routes these here and everything else to moto.
func Handles(r *http.Request) bool {
	return assumePath.MatchString(r.URL.Path) || assocPath.MatchString(r.URL.Path)
}

// ServeHTTP answers one operation.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := newID()
	if m := assumePath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		s.assumeRoleForPodIdentity(w, r, rid, m[1])
		return
	}
	m := assocPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil:
		writeError(w, rid, errNotFound("Not Found"))
	case m[2] == "" && r.Method == http.MethodPost:
		s.createAssociation(w, r, rid, m[1])
	case m[2] == "" && r.Method == http.MethodGet:
		s.listAssociations(w, r, rid, m[1])
	case m[2] != "" && r.Method == http.MethodGet:
		s.describeAssociation(w, r, rid, m[1], m[2])
	case m[2] != "" && r.Method == http.MethodDelete:
		s.deleteAssociation(w, r, rid, m[1], m[2])
	default:
		writeError(w, rid, &apiError{Status: http.StatusMethodNotAllowed, Code: "InvalidRequestException", Message: "Method not allowed"})
	}
}

// Reset forgets every association (a moto reset, a new world).
func (s *Service) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.associations = nil
}

// ForServiceAccount returns the association of cluster's ns/sa, or nil: what
// EKS pushes to its pod identity webhook (the webhook's containercredentials
// config, aws/amazon-eks-pod-identity-webhook pkg/containercredentials/config.go,
// keyed by namespace and ServiceAccount).
func (s *Service) ForServiceAccount(cluster, ns, sa string) *Association {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.associations {
		if a.ClusterName == cluster && a.Namespace == ns && a.ServiceAccount == sa {
			c := *a
			return &c
		}
	}
	return nil
}
