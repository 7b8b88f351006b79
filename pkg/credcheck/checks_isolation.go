package credcheck

import (
	"fmt"
	"strings"

	"github.com/podcred/podcred/pkg/report"
)

func checkIMDS(f Facts) result {
	m := f.IMDS
	switch {
	case m == nil:
		return skip("IMDS was not probed")
	case m.Err != nil:
		return errored("IMDS was not probed: "+m.Err.Error(),
			"give --imds-endpoint (or AWS_EC2_METADATA_SERVICE_ENDPOINT) as http://host[:port], or unset it for the default").
			With("endpoint", m.Endpoint)
	case m.Skipped:
		return skip("not probed: AWS_EC2_METADATA_DISABLED=true and no endpoint given; the SDKs will not use IMDS, " +
			"but other tools in the pod could: block it at the node (hop limit 1) or with a NetworkPolicy")
	}
	r := result{}.With("endpoint", m.Endpoint).With("v2", m.V2.Detail).With("v1", m.V1.Detail)
	role := m.V2.RoleName
	if role == "" {
		role = m.V1.RoleName
	}
	if role != "" {
		var paths []string
		if m.V2.RoleName != "" {
			paths = append(paths, "IMDSv2")
		}
		if m.V1.RoleName != "" {
			paths = append(paths, "IMDSv1")
		}
		r.Status = report.StatusFail
		r.Message = fmt.Sprintf("the node's role %s is reachable through %s at %s: a pod can act as the node", role, strings.Join(paths, " and "), m.Endpoint)
		r.Remedy = "set the node group's metadata hop limit to 1 with IMDSv2 required (aws ec2 modify-instance-metadata-options " +
			"--http-put-response-hop-limit 1 --http-tokens required) or deny egress to 169.254.169.254/32 with a NetworkPolicy"
		return r.With("nodeRole", role)
	}
	r.Status, r.Message = report.StatusPass, "no node role through IMDS ("+m.V2.Detail+"; "+m.V1.Detail+")"
	return r
}

func checkCrossRole(f Facts) result {
	if len(f.DenyRoles) == 0 {
		if f.Assume == nil {
			return skip("no --deny-role-arn given (or no token to try)")
		}
		return skip("no --deny-role-arn given")
	}
	var allowed, unknown, refused []string
	for _, d := range f.DenyRoles {
		switch {
		case d.Allowed:
			allowed = append(allowed, d.RoleARN)
		case d.Err != nil && !d.Err.Refused():
			unknown = append(unknown, fmt.Sprintf("%s (%s)", d.RoleARN, d.Err.Code))
		default:
			refused = append(refused, d.RoleARN)
		}
	}
	switch {
	case len(allowed) > 0:
		return fail("this pod's token can also assume "+strings.Join(allowed, ", "),
			"scope those roles' trust policies to their own ServiceAccount with a StringEquals condition on <issuer>:sub").
			With("assumable", strings.Join(allowed, ","))
	case len(unknown) > 0:
		return errored("could not verify that these roles refuse this token: "+strings.Join(unknown, ", "), "retry; nothing was verified")
	}
	return pass(fmt.Sprintf("STS refused this token for %d other role(s)", len(refused))).With("refused", strings.Join(refused, ","))
}
