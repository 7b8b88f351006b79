package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/controlplane"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// newSandbox resolves opts' directories: the bin directory made absolute,
// and the sandbox directory created (temporary) or locked and cleared.
func newSandbox(opts Options) (s *Sandbox, err error) {
	s = &Sandbox{dir: opts.Dir, binDir: opts.BinDir, log: zerolog.Nop(), keys: &awsemu.IssuerKeys{}}
	if opts.Logger != nil {
		s.log = *opts.Logger
	}
	if s.binDir == "" {
		if s.binDir, err = proc.FindBinDir(); err != nil {
			return nil, err
		}
	}
	// Processes run with the sandbox dir as working directory: binaries need absolute paths.
	if s.binDir, err = filepath.Abs(s.binDir); err != nil {
		return nil, err
	}
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "podcred-sandbox-"); err != nil {
			return nil, err
		}
		s.tempDir = true
	} else if s.lock, err = proc.PrepareDir(s.dir); err != nil {
		return nil, err
	}
	return s, nil
}

// startClusters starts moto and the STS front while etcd starts, then the
// apiserver on the cluster's issuer, and the Litmus CRDs as soon as it answers.
func (s *Sandbox) startClusters(ctx context.Context, w *world.World, opts Options, started time.Time) error {
	// The keys and etcd need no issuer: they start while moto does.
	type storageResult struct {
		cp  *controlplane.ControlPlane
		err error
	}
	storage := make(chan storageResult, 1)
	go func() {
		cp, err := controlplane.StartStorage(ctx, s.dir, s.binDir)
		storage <- storageResult{cp, err}
	}()
	issuer, awsErr := s.startAWS(ctx, w, opts)
	st := <-storage
	s.cp = st.cp // stopped by Close even when the other half failed
	if err := errors.Join(awsErr, st.err); err != nil {
		return err
	}
	s.log.Debug().Str("issuer", issuer).Stringer("elapsed", time.Since(started)).Msg("moto, sts front and etcd ready")
	// The Litmus CRDs are installed as soon as the apiserver answers: objects of
	// a new CRD cannot be created without delay for 2 s after it is Established.
	var loaderErr error
	if err := s.cp.StartAPIServer(ctx, issuer, func() {
		if s.kube, loaderErr = newKubeLoader(s.cp, w.Region); loaderErr == nil {
			s.kube.podIdentity = s.podIdentityURI
			s.kube.StartCRDs(ctx)
		}
	}); err != nil {
		return errors.Join(err, loaderErr)
	}
	if loaderErr != nil {
		return loaderErr
	}
	s.keys.SetControlPlane(s.cp)
	s.log.Debug().Stringer("elapsed", time.Since(started)).Msg("kube-apiserver ready")
	return nil
}
