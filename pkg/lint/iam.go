package lint

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/podcred/podcred/pkg/trustpolicy"
)

// roleDoc is an IAM role's trust policy found in a file.
type roleDoc struct {
	// name is the role name the ServiceAccount annotation is paired with.
	name string
	file string
	// node is where the policy is: the policy object itself (statement lines
	// known) or the string holding it (a Terraform attribute).
	node *yaml.Node
	// inline says node is the policy object, so statements have lines.
	inline bool
	trust  *trustpolicy.PolicyDocument
	err    error
	// from says what kind of input held it, for messages.
	from string
}

// statementLine is the line of statement i, or the policy's line.
func (r roleDoc) statementLine(i int) int {
	if r.inline {
		if st := child(r.node, "Statement"); st != nil && st.Kind == yaml.SequenceNode && i >= 0 && i < len(st.Content) {
			return st.Content[i].Line
		}
	}
	return r.node.Line
}

// roleDocs finds the trust policies of a document: a bare trust policy
// (role name from the file name), `aws iam get-role` output, a Terraform
// JSON plan (`terraform show -json`) or Terraform JSON configuration
// (`*.tf.json`) with aws_iam_role resources. Other documents hold none.
func roleDocs(d doc) ([]roleDoc, []error) {
	v := d.value
	switch {
	case v["Statement"] != nil && hasPrincipal(v):
		return []roleDoc{policyDoc(d.file, roleNameOfFile(d.file), d.root, "trust-policy file")}, nil
	case obj(v, "Role") != nil && obj(v, "Role")["AssumeRolePolicyDocument"] != nil:
		role := child(d.root, "Role")
		return []roleDoc{policyDoc(d.file, str(obj(v, "Role"), "RoleName"), child(role, "AssumeRolePolicyDocument"), "aws iam get-role output")}, nil
	case v["planned_values"] != nil || v["resource_changes"] != nil:
		var out []roleDoc
		var errs []error
		walkPlanModule(d.file, child(child(d.root, "planned_values"), "root_module"), &out, &errs)
		return out, errs
	case obj(obj(v, "resource"), "aws_iam_role") != nil:
		var out []roleDoc
		var errs []error
		res := child(child(d.root, "resource"), "aws_iam_role")
		for i := 0; i+1 < len(res.Content); i += 2 {
			label, body := res.Content[i].Value, res.Content[i+1]
			tfRole(d.file, "aws_iam_role."+label, body, "Terraform configuration", &out, &errs)
		}
		return out, errs
	}
	return nil, nil
}

// walkPlanModule collects aws_iam_role resources of a plan module and its children.
func walkPlanModule(file string, m *yaml.Node, out *[]roleDoc, errs *[]error) {
	if m == nil {
		return
	}
	if rs := child(m, "resources"); rs != nil {
		for _, r := range rs.Content {
			if t := child(r, "type"); t != nil && t.Value == "aws_iam_role" {
				addr := ""
				if a := child(r, "address"); a != nil {
					addr = a.Value
				}
				tfRole(file, addr, child(r, "values"), "Terraform plan", out, errs)
			}
		}
	}
	if cs := child(m, "child_modules"); cs != nil {
		for _, c := range cs.Content {
			walkPlanModule(file, c, out, errs)
		}
	}
}

// tfRole reads an aws_iam_role's name and assume_role_policy.
func tfRole(file, addr string, body *yaml.Node, from string, out *[]roleDoc, errs *[]error) {
	name, pol := child(body, "name"), child(body, "assume_role_policy")
	switch {
	case pol == nil:
		return
	case name == nil || name.Kind != yaml.ScalarNode || name.Value == "":
		*errs = append(*errs, fmt.Errorf("%s: the role's name is not known from the file (name_prefix or computed): its trust policy cannot be paired with a ServiceAccount", addr))
		return
	case pol.Kind == yaml.ScalarNode && strings.Contains(pol.Value, "${"):
		*errs = append(*errs, fmt.Errorf("%s: assume_role_policy is computed (%s): lint the plan (terraform show -json) instead", addr, pol.Value))
		return
	}
	*out = append(*out, policyDoc(file, name.Value, pol, from))
}

// policyDoc parses a trust policy held by node n (an object or a JSON string).
func policyDoc(file, name string, n *yaml.Node, from string) roleDoc {
	r := roleDoc{name: name, file: file, node: n, from: from, inline: n.Kind == yaml.MappingNode}
	text := n.Value
	if r.inline {
		var v any
		if err := n.Decode(&v); err != nil {
			r.err = err
			return r
		}
		b, err := json.Marshal(v)
		if err != nil {
			r.err = fmt.Errorf("the policy is not JSON: %w", err)
			return r
		}
		text = string(b)
	}
	r.trust, r.err = trustpolicy.ParsePolicy(text)
	return r
}

// hasPrincipal reports whether a policy document names a principal in a
// statement: a trust policy, not a permission policy.
func hasPrincipal(v map[string]any) bool {
	switch st := v["Statement"].(type) {
	case map[string]any:
		return st["Principal"] != nil || st["NotPrincipal"] != nil
	case []any:
		for _, s := range st {
			if m, ok := s.(map[string]any); ok && (m["Principal"] != nil || m["NotPrincipal"] != nil) {
				return true
			}
		}
	}
	return false
}

// roleNameOfFile is the role a bare trust-policy file stands for: its base
// name without the extension and a trust suffix (chaos-ec2.json,
// chaos-ec2.trust.json, chaos-ec2-trust-policy.json all name chaos-ec2).
func roleNameOfFile(file string) string {
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	for _, suf := range []string{".trust-policy", "-trust-policy", "_trust_policy", ".trust", "-trust", "_trust"} {
		base = strings.TrimSuffix(base, suf)
	}
	return base
}
