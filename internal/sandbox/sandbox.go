package sandbox

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/rs/zerolog"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/eksauth"
	"github.com/podcred/podcred/internal/sandbox/node"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/stsfront"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// Options configures Start.
type Options struct {
	// Dir is the sandbox's working directory (keys, logs, kubeconfigs, tokens).
	// Default: a new temporary directory, removed by Close.
	Dir string
	// BinDir holds kube-apiserver, etcd and ec2-metadata-mock. Default: FindBinDir().
	BinDir string
	// World is the world to load (see LoadWorld). Required.
	World *world.World
	// IMDS overrides the world's imds mode when set.
	IMDS world.IMDSMode
	// Python runs moto; default "python3".
	Python string
	// Latency is added by the STS front to every AWS call (benchmarks).
	Latency time.Duration
	// Now is the STS front's clock; default time.Now.
	Now func() time.Time
	// Logger receives the sandbox's and the front's logs; default: none.
	Logger *zerolog.Logger
	// AWSManagedPolicies makes moto load AWS managed policies (arn:aws:iam::aws:policy/...),
	// which costs about 3 s at start and after every Load. It is turned on by
	// itself when the first world attaches one; set it when a later world will.
	AWSManagedPolicies bool
	// Node starts the real node too (package node): kube-controller-manager,
	// kube-scheduler, containerd with runc, a kubelet, the agent image built
	// from BinDir, and the pod identity webhook. Default: off.
	Node bool
}

// Sandbox is a running EKS-like world: etcd and kube-apiserver, moto behind
// the validating STS front, optionally the IMDS mock, and a loaded world.
// Every process binds 127.0.0.1 and is stopped by its PID by Close.
type Sandbox struct {
	dir, binDir string
	tempDir     bool
	lock        *proc.DirLock // held on a given --dir until Close
	log         zerolog.Logger

	moto  *awsemu.Moto
	front *awsemu.FrontServer
	keys  *awsemu.IssuerKeys
	cp    *controlplane.ControlPlane
	imds  *awsemu.IMDS
	kube  *kubeLoader
	node  *node.Node // nil unless Options.Node
	// podIDAgent is the loopback Pod Identity agent (podidentity.go).
	podIDAgent *eksauth.Agent
	closed     sync.Once

	// blockedIMDS is a loopback URL nothing listens on: "IMDS blocked" fails fast.
	blockedIMDS string

	mu    sync.Mutex
	world *world.World // resolved

	secretsMu sync.Mutex
	secrets   map[string]bool // every secret the sandbox saw, for leak scans
}

// Start brings up the sandbox and loads opts.World. On error everything
// already started is stopped.
func Start(ctx context.Context, opts Options) (s *Sandbox, err error) {
	if opts.World == nil {
		return nil, errors.New("sandbox: no world given")
	}
	ctx, cancel := context.WithCancel(ctx) // ends background start-up work on return
	defer cancel()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if s, err = newSandbox(opts); err != nil {
		return nil, err
	}
	sb := s // the named result is nil by the time a failed Start's defer runs
	defer func() {
		if err != nil {
			_ = sb.Close()
			s = nil
		}
	}()
	w := *opts.World
	w.SetDefaults()
	if opts.IMDS != "" {
		if err := world.ValidIMDS(opts.IMDS); err != nil {
			return nil, err
		}
		w.IMDS = opts.IMDS
	}
	if err := proc.CheckBinaries(s.binDir, w.NeedsIMDS()); err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	s.blockedIMDS = proc.LoopbackURL("http", port)

	started := time.Now()
	if err := s.startClusters(ctx, &w, opts, started); err != nil {
		return nil, err
	}
	if err := s.load(ctx, &w, false); err != nil { // creates the Nodes too (applyNodes)
		return nil, err
	}
	if err := s.kube.CRDsInstalled(ctx); err != nil {
		return nil, err
	}
	s.log.Debug().Stringer("elapsed", time.Since(started)).Msg("world loaded")
	if opts.Node {
		if err := s.startNode(ctx); err != nil {
			return nil, err
		}
		s.log.Debug().Stringer("elapsed", time.Since(started)).Msg("node ready")
	}
	return s, nil
}

// startAWS starts moto and the STS front, and returns the cluster's issuer:
// the world's, or the one moto's EKS gives the cluster it creates.
func (s *Sandbox) startAWS(ctx context.Context, w *world.World, opts Options) (string, error) {
	var err error
	managed := opts.AWSManagedPolicies || w.UsesAWSManagedPolicies()
	if s.moto, err = awsemu.StartMoto(ctx, awsemu.MotoOptions{Dir: s.dir, Python: opts.Python, Account: w.Account, AWSManagedPolicies: managed}); err != nil {
		return "", err
	}
	if s.front, err = awsemu.StartFront(s.moto.URL, w.Region, opts.Latency, opts.Now, s.log, s.keys); err != nil {
		return "", err
	}
	if err := s.startPodIdentityAgent(w.Cluster.Name, w.Region); err != nil {
		return "", err
	}
	if w.Cluster.Issuer != "" {
		return w.Cluster.Issuer, nil
	}
	return awsemu.EnsureCluster(ctx, eks.NewFromConfig(awsemu.AdminConfig(s.front.URL(), w.Region)), w.Cluster.Name, w.Account)
}

// World is the loaded world, placeholders expanded.
func (s *Sandbox) World() *world.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world
}

// Dir is the sandbox's working directory.
func (s *Sandbox) Dir() string { return s.dir }

// Issuer is the cluster's service-account issuer.
func (s *Sandbox) Issuer() string { return s.cp.Issuer }

// ControlPlane is the running etcd and kube-apiserver.
func (s *Sandbox) ControlPlane() *controlplane.ControlPlane { return s.cp }

// Kubeconfig is the admin kubeconfig's path.
func (s *Sandbox) Kubeconfig() string { return s.cp.Kubeconfig }

// Moto is the running moto server (behind the front; reset or dump it through here).
func (s *Sandbox) Moto() *awsemu.Moto { return s.moto }

// Front is the validating STS front (its Calls() count the AWS calls by action).
func (s *Sandbox) Front() *stsfront.Front { return s.front.Front() }

// EndpointURL is the front's URL: AWS_ENDPOINT_URL for every AWS client.
func (s *Sandbox) EndpointURL() string { return s.front.URL() }

// IMDS is the running IMDS mock, nil when no world needed it.
func (s *Sandbox) IMDS() *awsemu.IMDS { return s.imds }

// Procs are the sandbox's child processes.
func (s *Sandbox) Procs() []*proc.Proc {
	var out []*proc.Proc
	if s.moto != nil {
		out = append(out, s.moto.Proc())
	}
	if s.cp != nil {
		out = append(out, s.cp.Procs()...)
	}
	if s.imds != nil {
		out = append(out, s.imds.Proc())
	}
	return append(out, s.node.Procs()...)
}

// Close stops every process by PID and the front, then removes the directory
// when Start created it. It is safe to call more than once.
func (s *Sandbox) Close() error {
	var err error
	s.closed.Do(func() {
		var errs []error
		if s.node != nil {
			errs = append(errs, s.node.Stop()) // before the apiserver its kubelet talks to
		}
		if s.podIDAgent != nil {
			errs = append(errs, s.podIDAgent.Stop())
		}
		if s.front != nil {
			errs = append(errs, s.front.Stop())
		}
		if s.imds != nil {
			errs = append(errs, s.imds.Stop())
		}
		if s.cp != nil {
			errs = append(errs, s.cp.Stop())
		}
		if s.moto != nil {
			errs = append(errs, s.moto.Stop())
		}
		if s.tempDir {
			errs = append(errs, os.RemoveAll(s.dir))
		}
		s.lock.Release() // last: the directory is free once its processes are gone
		err = errors.Join(errs...)
	})
	return err
}
