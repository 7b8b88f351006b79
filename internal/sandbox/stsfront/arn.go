package stsfront

import (
	"regexp"
	"strings"
)

// roleARN is a parsed IAM role ARN: arn:<partition>:iam::<account>:role/<path/><name>.
type roleARN struct {
	Partition string
	Account   string
	// Path is "/" or "/some/path/".
	Path string
	Name string
}

var roleARNPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/((?:[\x21-\x7E]+/)*)([\w+=,.@-]{1,64})$`)

func parseRoleARN(s string) (roleARN, bool) {
	m := roleARNPattern.FindStringSubmatch(s)
	if m == nil {
		return roleARN{}, false
	}
	return roleARN{Partition: m[1], Account: m[2], Path: "/" + m[3], Name: m[4]}, true
}

// String returns the ARN.
func (r roleARN) String() string {
	return "arn:" + r.Partition + ":iam::" + r.Account + ":role" + r.Path + r.Name
}

// sameRole reports whether two role ARNs name the same role: IAM role names are
// unique in an account whatever their path, so the path is not compared.
func sameRole(a, b roleARN) bool {
	return a.Partition == b.Partition && a.Account == b.Account && strings.EqualFold(a.Name, b.Name)
}

// wrongPath reports whether the caller's role ARN names the stored role
// (storedARN) with another path. STS resolves RoleArn as a whole, path
// included: a role created at /team/ is arn:...:role/team/chaos-ec2 and only
// that ARN names it (IAM identifiers, "IAM ARNs":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html;
// "to call the STS AssumeRole API, you need to provide that full ARN",
// alphagov/gsp#336; an emulator that dropped the path was fixed to compare the
// full ARN "as AWS treats the full ARN, path included, as authoritative",
// mulgadc/spinifex#972). A wrong path is refused like a missing role:
// AccessDenied, which does not reveal that the name exists.
func wrongPath(storedARN string, role roleARN) bool {
	stored, ok := parseRoleARN(storedARN)
	return ok && stored.Path != role.Path
}

// regionFor returns the region to sign lookups with so that moto answers from
// the partition's IAM: moto picks the partition from the signing region.
func regionFor(partition, defaultRegion string) string {
	switch partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	default:
		return defaultRegion
	}
}
