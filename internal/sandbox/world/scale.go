package world

import (
	"fmt"
	"strings"
)

// ScaleWorld generates a world for audit benchmarks and call-count tests:
// roles IAM roles, each trusting the ServiceAccounts that use it
// (StringLike on the namespace), and sas ServiceAccounts spread over
// namespaces, SA i annotated with role i mod roles. Many SAs share each role,
// which is the point: an audit's AWS calls must grow with roles, not SAs.
func ScaleWorld(sas, roles, namespaces int) (*World, error) {
	if sas < 1 || roles < 1 || namespaces < 1 {
		return nil, fmt.Errorf("scale world: need at least one SA, role and namespace")
	}
	var b strings.Builder
	b.WriteString("cluster: {name: scale}\noidcProviders: [{url: cluster}]\n")
	b.WriteString(`policies:
  - name: chaos-faults
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances"], Resource: "*"}]}
roles:
`)
	for r := 0; r < roles; r++ {
		fmt.Fprintf(&b, `  - name: chaos-role-%03d
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Federated: "${PROVIDER_ARN}"}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringLike: {"${ISSUER_HOST}:sub": "system:serviceaccount:chaos-*:sa-*"}
            StringEquals: {"${ISSUER_HOST}:aud": sts.amazonaws.com}
    managedPolicies: [chaos-faults]
`, r)
	}
	b.WriteString("namespaces:\n")
	for n := 0; n < namespaces; n++ {
		fmt.Fprintf(&b, "  - name: chaos-%03d\n    serviceAccounts:\n", n)
		for i := n; i < sas; i += namespaces {
			fmt.Fprintf(&b, "      - {name: sa-%05d, role: chaos-role-%03d}\n", i, i%roles)
		}
	}
	return ParseWorld([]byte(b.String()))
}
