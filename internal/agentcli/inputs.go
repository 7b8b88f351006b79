package agentcli

import (
	"fmt"

	"github.com/podcred/podcred/internal/cli"
	"github.com/podcred/podcred/pkg/credcheck"
	"github.com/podcred/podcred/pkg/podiam"
)

// validateIMDSEndpoint refuses an IMDS endpoint the probe could not ask
// (--imds-endpoint, else AWS_EC2_METADATA_SERVICE_ENDPOINT): a usage error,
// exit 2, instead of an isolation.imds that passes because nothing was sent.
func (o *verifyOptions) validateIMDSEndpoint() error {
	endpoint, from := o.imdsEndpoint, "--imds-endpoint"
	if endpoint == "" {
		endpoint, _ = o.streams.LookupEnv(podiam.EnvIMDSEndpoint)
		from = podiam.EnvIMDSEndpoint
	}
	if endpoint == "" {
		return nil
	}
	if err := credcheck.ValidateIMDSEndpoint(endpoint); err != nil {
		return cli.UsageError(fmt.Errorf("%s: %w", from, err))
	}
	return nil
}
