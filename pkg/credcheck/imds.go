package credcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/rs/zerolog"

	"github.com/podcred/podcred/pkg/podiam"
)

// credentialsPath lists the instance profile's roles; any entry means the node role is reachable.
const credentialsPath = "iam/security-credentials/"

// IMDSEndpoint returns the endpoint the probe uses: the explicit option, else
// AWS_EC2_METADATA_SERVICE_ENDPOINT, else the link-local default. skip is set
// when AWS_EC2_METADATA_DISABLED=true and no endpoint was given explicitly.
func (o Options) imdsEndpoint() (endpoint string, skip bool) {
	if o.IMDSEndpoint != "" {
		return strings.TrimRight(o.IMDSEndpoint, "/"), false
	}
	if e := o.getenv(podiam.EnvIMDSEndpoint); e != "" {
		return strings.TrimRight(e, "/"), false
	}
	if strings.EqualFold(o.getenv(podiam.EnvIMDSDisabled), "true") {
		return "", true
	}
	return DefaultIMDSEndpoint, false
}

// ValidateIMDSEndpoint reports whether s is an endpoint the IMDS probe can
// ask: an absolute http or https URL with a host, no user info, query or
// fragment. Anything else is a usage error: probing it would prove nothing,
// and a probe that cannot be sent must not pass isolation.imds.
func ValidateIMDSEndpoint(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("IMDS endpoint %q is not a URL: %w", s, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("IMDS endpoint %q: scheme must be http or https", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("IMDS endpoint %q has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.TrimRight(u.Path, "/") != "":
		return fmt.Errorf("IMDS endpoint %q: want scheme://host[:port] only", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("IMDS endpoint %q has an invalid port", s)
		}
	}
	return nil
}

// probeIMDS asks IMDS for the node's role through the v2 (token) and v1 paths
// concurrently, each bounded by timeout and never retried: a hop limit of 1
// makes the v2 PUT hang, and that must not stall the run.
func probeIMDS(ctx context.Context, o Options) *IMDSResult {
	endpoint, skip := o.imdsEndpoint()
	res := &IMDSResult{Endpoint: endpoint, Skipped: skip}
	if skip {
		return res
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); res.V2 = probeIMDSv2(ctx, endpoint, o.IMDSTimeout) }()
	go func() { defer wg.Done(); res.V1 = probeIMDSv1(ctx, o.HTTPClient, endpoint, o.IMDSTimeout) }()
	wg.Wait()
	return res
}

func probeIMDSv2(ctx context.Context, endpoint string, timeout time.Duration) ProbeOutcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := imds.New(imds.Options{
		Endpoint: endpoint,
		Retryer:  aws.NopRetryer{},
		// Probing was asked for explicitly (endpoint given): AWS_EC2_METADATA_DISABLED only stops the SDKs.
		ClientEnableState: imds.ClientEnabled,
		EnableFallback:    aws.FalseTernary, // v2 only; v1 is probed separately
		HTTPClient:        bounded(awshttp.NewBuildableClient().WithTimeout(timeout)),
		Logger:            sdkLogger(zerolog.Ctx(ctx)),
	})
	out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: credentialsPath})
	if err != nil {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return ProbeOutcome{Reachable: true, Detail: "IMDSv2 answered: no instance profile"}
		}
		return ProbeOutcome{Detail: "IMDSv2 not reachable: " + shortNetErr(err)}
	}
	defer out.Content.Close()
	return listedRole("IMDSv2", out.Content)
}

func probeIMDSv1(ctx context.Context, hc *http.Client, endpoint string, timeout time.Duration) ProbeOutcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/latest/meta-data/"+credentialsPath, nil)
	if err != nil {
		return ProbeOutcome{Detail: fmt.Sprintf("IMDSv1 probe: bad endpoint %q", endpoint)}
	}
	resp, err := bounded(hc).Do(req)
	if err != nil {
		return ProbeOutcome{Detail: "IMDSv1 not reachable: " + shortNetErr(err)}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return listedRole("IMDSv1", resp.Body)
	case http.StatusUnauthorized:
		return ProbeOutcome{Reachable: true, Detail: "IMDSv1 refused (401: IMDSv2 required)"}
	default:
		return ProbeOutcome{Reachable: true, Detail: fmt.Sprintf("IMDSv1 answered HTTP %d", resp.StatusCode)}
	}
}

func listedRole(path string, body io.Reader) ProbeOutcome {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	role := strings.TrimSpace(strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)[0])
	if role == "" {
		return ProbeOutcome{Reachable: true, Detail: path + " answered: no instance profile"}
	}
	return ProbeOutcome{Reachable: true, RoleName: role, Detail: path + " serves the node role " + role}
}

// shortNetErr keeps the informative tail of a network error.
func shortNetErr(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the probe timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	}
	return podiam.RootMessage(err)
}
