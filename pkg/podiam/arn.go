package podiam

import (
	"fmt"
	"regexp"
	"strings"
)

// RoleARN is a parsed IAM role ARN: arn:<partition>:iam::<account>:role/<path><name>.
type RoleARN struct {
	Partition string
	Account   string
	// Path is the role path including leading and trailing slash ("/" when none).
	Path string
	Name string
}

// String renders the ARN back to its canonical form.
func (r RoleARN) String() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", r.Partition, r.Account, r.Path, r.Name)
}

// Partitions accepted for IRSA roles.
var knownPartitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true}

// KnownPartition reports whether p is a partition IRSA roles live in: aws, aws-cn, aws-us-gov.
func KnownPartition(p string) bool { return knownPartitions[p] }

var (
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// ParseRoleARN parses and validates a role ARN. The error says precisely which
// part is wrong, for use in a check message.
func ParseRoleARN(s string) (RoleARN, error) {
	if s == "" {
		return RoleARN{}, fmt.Errorf("empty role ARN")
	}
	if strings.TrimSpace(s) != s {
		return RoleARN{}, fmt.Errorf("role ARN %q has leading or trailing whitespace", s)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return RoleARN{}, fmt.Errorf("%q is not an ARN (want arn:aws:iam::<account>:role/<name>)", s)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if !knownPartitions[partition] {
		return RoleARN{}, fmt.Errorf("role ARN %q has unknown partition %q (want aws, aws-cn or aws-us-gov)", s, partition)
	}
	if service != "iam" {
		return RoleARN{}, fmt.Errorf("role ARN %q names service %q, want iam", s, service)
	}
	if region != "" {
		return RoleARN{}, fmt.Errorf("role ARN %q has region %q; IAM ARNs have none", s, region)
	}
	if !accountRe.MatchString(account) {
		return RoleARN{}, fmt.Errorf("role ARN %q has account %q, want 12 digits", s, account)
	}
	rest, ok := strings.CutPrefix(resource, "role/")
	if !ok {
		return RoleARN{}, fmt.Errorf("role ARN %q names resource %q, want role/<name>", s, resource)
	}
	path, name := "/", rest
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		path, name = "/"+rest[:i+1], rest[i+1:]
	}
	if !roleNameRe.MatchString(name) {
		return RoleARN{}, fmt.Errorf("role ARN %q has invalid role name %q", s, name)
	}
	if strings.Contains(path, "//") {
		return RoleARN{}, fmt.Errorf("role ARN %q has an invalid path %q", s, path)
	}
	return RoleARN{Partition: partition, Account: account, Path: path, Name: name}, nil
}

// IssuerHost strips the scheme from an issuer URL: IAM names OIDC providers
// and condition keys by host and path.
func IssuerHost(iss string) string {
	return strings.TrimSuffix(strings.TrimPrefix(iss, "https://"), "/")
}

// ProviderARN is the ARN of the IAM OIDC provider for an issuer in the role's account.
func ProviderARN(role RoleARN, issuer string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", role.Partition, role.Account, IssuerHost(issuer))
}

// TrustStatement renders the trust-policy statement that lets exactly
// system:serviceaccount:<ns>:<sa> assume the role through the issuer's provider.
func TrustStatement(role RoleARN, issuer, namespace, sa, audience string) string {
	host := IssuerHost(issuer)
	return fmt.Sprintf(`{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity",`+
		`"Condition":{"StringEquals":{"%s:sub":"%s","%s:aud":%q}}}`,
		ProviderARN(role, issuer), host, Subject(namespace, sa), host, audience)
}
