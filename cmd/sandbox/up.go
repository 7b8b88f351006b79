package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/internal/sandbox"
	"github.com/podcred/podcred/internal/sandbox/proc"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// upOptions are the flags of `up`.
type upOptions struct {
	commonOptions
	world string
	imds  string
	node  bool
}

// newUpCmd builds `podcred-sandbox up`.
func newUpCmd() *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up --world FILE",
		Short: "Start the sandbox, print `export` lines for it, and run until Ctrl-C or SIGTERM",
		Example: `  eval "$(podcred-sandbox up --world examples/worlds/demo.yaml | tee /tmp/sandbox.env)" &
  # or, in another shell once it printed the exports:  source /tmp/sandbox.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.world == "" {
				return cli.UsageError(fmt.Errorf("--world is required"))
			}
			if o.imds != "" && o.imds != string(world.IMDSBlocked) && o.imds != string(world.IMDSNodeRole) {
				return cli.UsageError(fmt.Errorf("--imds %q: want %s or %s", o.imds, world.IMDSBlocked, world.IMDSNodeRole))
			}
			log, err := o.logger()
			if err != nil {
				return err
			}
			w, err := world.LoadWorld(o.world)
			if err != nil {
				return cli.UsageError(err)
			}
			ctx := cmd.Context()
			started := time.Now()
			log.Info().Str("world", o.world).Msg("starting the sandbox")
			sb, err := sandbox.Start(ctx, sandbox.Options{Dir: o.dir, BinDir: o.binDir, World: w, IMDS: world.IMDSMode(o.imds), Logger: log, Node: o.node})
			if errors.Is(err, proc.ErrDirInUse) {
				return cli.UsageError(err) // another sandbox runs there: nothing was touched
			}
			if err != nil {
				return err
			}
			defer func() {
				log.Info().Msg("stopping the sandbox")
				if err := sb.Close(); err != nil {
					log.Error().Err(err).Msg("stop")
				}
			}()
			fmt.Fprint(os.Stdout, sb.Exports())
			log.Info().Stringer("startup", time.Since(started).Round(time.Millisecond)).Str("dir", sb.Dir()).Msg("sandbox ready; Ctrl-C to stop")
			<-ctx.Done()
			return nil
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.world, "world", "", "world file (examples/worlds/*.yaml)")
	cmd.Flags().StringVar(&o.imds, "imds", "", "override the world's IMDS: node-role or blocked")
	cmd.Flags().BoolVar(&o.node, "node", false, "also start the real node: controller manager, scheduler, containerd+runc, kubelet, the agent image (needs root and `make tools build`)")
	return cmd
}
