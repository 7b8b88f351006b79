package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/world"
	"github.com/podcred/podcred/pkg/podiam"
)

// Load switches the running sandbox to another world: it deletes what the
// previous world created in its namespaces, resets moto, and loads w. The
// account, region and issuer must match the running sandbox's.
func (s *Sandbox) Load(ctx context.Context, w *world.World) error {
	copied := *w
	copied.SetDefaults()
	return s.load(ctx, &copied, true)
}

// load checks that w fits the running sandbox, optionally clears the previous
// world (Kubernetes objects, moto state, token files), and creates w.
func (s *Sandbox) load(ctx context.Context, w *world.World, reset bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.world; prev != nil && (prev.Account != w.Account || prev.Region != w.Region) {
		return fmt.Errorf("load world: account/region %s/%s differ from the running sandbox's %s/%s: start a new sandbox", w.Account, w.Region, prev.Account, prev.Region)
	}
	if w.Cluster.Issuer != "" && w.Cluster.Issuer != s.cp.Issuer {
		return fmt.Errorf("load world: issuer %s differs from the running control plane's %s: start a new sandbox", w.Cluster.Issuer, s.cp.Issuer)
	}
	if reset {
		if err := s.keepMotoSecrets(ctx); err != nil {
			return err
		}
		if s.world != nil {
			if err := s.kube.clear(ctx, s.world); err != nil {
				return fmt.Errorf("clear previous world: %w", err)
			}
		}
		if err := s.moto.Reset(ctx); err != nil {
			return err
		}
		s.front.Front().ResetCache() // the reset did not go through the front
		s.front.PodID().Reset()
		for _, d := range []string{"tokens", "pods"} {
			if err := os.RemoveAll(filepath.Join(s.dir, d)); err != nil {
				return err
			}
		}
		s.world = nil
	}
	cfg := awsemu.AdminConfig(s.front.URL(), w.Region)
	if w.Cluster.Issuer == "" {
		issuer, err := awsemu.EnsureCluster(ctx, eks.NewFromConfig(cfg), w.Cluster.Name, w.Account)
		if err != nil {
			return err
		}
		if issuer != s.cp.Issuer {
			return fmt.Errorf("load world: moto's EKS issuer %s differs from the control plane's %s: start a new sandbox", issuer, s.cp.Issuer)
		}
	}
	resolved, err := w.Resolve(s.cp.Issuer)
	if err != nil {
		return err
	}
	if resolved.UsesAWSManagedPolicies() && !s.moto.LoadsAWSManagedPolicies() {
		return errors.New("load world: it attaches AWS managed policies, which this sandbox's moto does not load: start it with Options.AWSManagedPolicies")
	}
	if resolved.NeedsIMDS() && s.imds == nil {
		if s.imds, err = awsemu.StartIMDS(ctx, s.dir, filepath.Join(s.binDir, "ec2-metadata-mock"), w.Account); err != nil {
			return err
		}
		s.log.Debug().Str("url", s.imds.URL).Msg("IMDS mock ready")
	}
	started := time.Now()
	if err := awsemu.ApplyIAM(ctx, iam.NewFromConfig(cfg), resolved, s.cp.Issuer); err != nil {
		return err
	}
	s.log.Debug().Stringer("elapsed", time.Since(started)).Msg("IAM objects created")
	s.podIDAgent.SetClusterName(resolved.Cluster.Name)
	if err := applyPodIdentity(ctx, eks.NewFromConfig(cfg), resolved); err != nil {
		return err
	}
	if err := s.applyNodes(ctx, ec2.NewFromConfig(cfg), resolved); err != nil {
		return err
	}
	if err := s.kube.apply(ctx, resolved); err != nil {
		return err
	}
	s.log.Debug().Stringer("elapsed", time.Since(started)).Msg("Kubernetes objects created")
	s.world = resolved
	return s.mintWorldTokens(ctx, resolved)
}

// mintWorldTokens writes an STS token for every pod whose ServiceAccount
// carries a role annotation (for Env's PODCRED_SANDBOX_TOKEN_* variables).
func (s *Sandbox) mintWorldTokens(ctx context.Context, w *world.World) error {
	for _, ns := range w.Namespaces {
		annotated := map[string]bool{}
		for _, sa := range ns.ServiceAccounts {
			annotated[sa.Name] = sa.Role != "" || sa.RoleArn != ""
		}
		for _, p := range ns.Pods {
			if !annotated[p.ServiceAccount] {
				continue
			}
			if _, err := s.MintToken(ctx, ns.Name, p.ServiceAccount, p.Name, podiam.DefaultAudience, 24*time.Hour); err != nil {
				return err
			}
		}
	}
	return nil
}
