package world

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/podcred/podcred/pkg/podiam"
)

// LoadWorld reads and validates a world file.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	w.source = path
	return w, nil
}

// ParseWorld parses and validates a world from YAML (or JSON), applying defaults.
// Placeholders stay unexpanded until the world is loaded into a sandbox.
func ParseWorld(data []byte) (*World, error) {
	w, err := decodeWorld(data, worldVars{Account: "123456789012", Region: DefaultRegion, Cluster: DefaultClusterName, Issuer: "https://issuer.invalid/id/X"})
	if err != nil {
		return nil, err
	}
	if err := w.validate(); err != nil {
		return nil, err
	}
	w.raw = data
	return w, nil
}

// worldVars are the values of the placeholders.
type worldVars struct {
	Account, Region, Cluster, Issuer string
}

// placeholder matches ${NAME}; only the names in worldVars are replaced.
var placeholder = regexp.MustCompile(`\$\{([A-Z_]+)\}`)

// expand replaces the known placeholders in text.
func (v worldVars) expand(text []byte) []byte {
	host := strings.TrimPrefix(v.Issuer, "https://")
	values := map[string]string{
		"ACCOUNT":      v.Account,
		"REGION":       v.Region,
		"CLUSTER":      v.Cluster,
		"ISSUER":       v.Issuer,
		"ISSUER_HOST":  host,
		"PROVIDER_ARN": "arn:aws:iam::" + v.Account + ":oidc-provider/" + host,
	}
	return placeholder.ReplaceAllFunc(text, func(m []byte) []byte {
		if val, ok := values[string(m[2:len(m)-1])]; ok {
			return []byte(val)
		}
		return m
	})
}

// Resolve returns the world with placeholders expanded for the given issuer.
// A world built in Go (not parsed) is expanded from its JSON form; the IMDS
// mode is taken from w, which may have been overridden after parsing.
func (w *World) Resolve(issuer string) (*World, error) {
	raw := w.raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(w); err != nil {
			return nil, err
		}
	}
	out, err := decodeWorld(raw, worldVars{Account: DefaultAccount, Region: DefaultRegion, Cluster: DefaultClusterName, Issuer: issuer})
	if err != nil {
		return nil, err
	}
	if err := out.validate(); err != nil {
		return nil, err
	}
	out.raw, out.source, out.IMDS = raw, w.source, w.IMDS
	if out.IMDS == "" {
		out.IMDS = IMDSBlocked
	}
	return out, nil
}

// decodeWorld expands placeholders (account/region/cluster read from the file first) and decodes strictly.
func decodeWorld(data []byte, vars worldVars) (*World, error) {
	var head struct {
		Account string  `json:"account"`
		Region  string  `json:"region"`
		Cluster Cluster `json:"cluster"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	if head.Account != "" {
		vars.Account = head.Account
	}
	if head.Region != "" {
		vars.Region = head.Region
	}
	if head.Cluster.Name != "" {
		vars.Cluster = head.Cluster.Name
	}
	if head.Cluster.Issuer != "" {
		vars.Issuer = head.Cluster.Issuer
	}
	w := &World{}
	if err := yaml.UnmarshalStrict(vars.expand(data), w); err != nil {
		return nil, err
	}
	w.SetDefaults()
	return w, nil
}

// SetDefaults fills the documented defaults.
func (w *World) SetDefaults() {
	if w.Account == "" {
		w.Account = DefaultAccount
	}
	if w.Region == "" {
		w.Region = DefaultRegion
	}
	if w.Cluster.Name == "" {
		w.Cluster.Name = DefaultClusterName
	}
	if w.IMDS == "" {
		w.IMDS = IMDSBlocked
	}
	for i := range w.OIDCProviders {
		p := &w.OIDCProviders[i]
		if len(p.ClientIDs) == 0 {
			p.ClientIDs = []string{podiam.DefaultAudience}
		}
		if len(p.Thumbprints) == 0 {
			p.Thumbprints = []string{DefaultThumbprint}
		}
	}
}

// accountRE matches an AWS account ID.
var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// validate checks what would otherwise fail half-way through loading.
func (w *World) validate() error {
	var errs []error
	if !accountRE.MatchString(w.Account) {
		errs = append(errs, fmt.Errorf("account %q: want 12 digits", w.Account))
	}
	if w.Cluster.Issuer != "" && !strings.HasPrefix(w.Cluster.Issuer, "https://") {
		errs = append(errs, fmt.Errorf("cluster.issuer %q: must be https", w.Cluster.Issuer))
	}
	if err := ValidIMDS(w.IMDS); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, w.duplicates()...)
	errs = append(errs, w.validateNodes()...)
	errs = append(errs, w.validatePodIdentity())
	for _, p := range w.OIDCProviders {
		if p.URL != ClusterProvider && !strings.HasPrefix(p.URL, "https://") {
			errs = append(errs, fmt.Errorf("oidcProviders: url %q: want %q or an https URL", p.URL, ClusterProvider))
		}
	}
	for _, p := range w.Policies {
		errs = append(errs, checkJSON("policy "+p.Name, p.Document))
	}
	roles := map[string]bool{}
	for _, r := range w.Roles {
		roles[r.Name] = true
		errs = append(errs, checkJSON("role "+r.Name+" trustPolicy", r.TrustPolicy))
		for name, doc := range r.InlinePolicies {
			errs = append(errs, checkJSON("role "+r.Name+" inline policy "+name, doc))
		}
	}
	pods := map[string]bool{}
	for _, ns := range w.Namespaces {
		sas := map[string]bool{}
		for _, sa := range ns.ServiceAccounts {
			sas[sa.Name] = true
			if sa.Role != "" && !roles[sa.Role] {
				errs = append(errs, fmt.Errorf("serviceAccount %s/%s: role %q is not in roles", ns.Name, sa.Name, sa.Role))
			}
		}
		for _, p := range ns.Pods {
			pods[ns.Name+"/"+p.Name] = true
			if !sas[p.ServiceAccount] {
				errs = append(errs, fmt.Errorf("pod %s/%s: serviceAccount %q is not in the namespace", ns.Name, p.Name, p.ServiceAccount))
			}
		}
		for _, obj := range ns.Chaos {
			if k, _ := obj["kind"].(string); k != "ChaosExperiment" && k != "ChaosEngine" {
				errs = append(errs, fmt.Errorf("namespace %s chaos: kind %q: want ChaosExperiment or ChaosEngine", ns.Name, k))
			}
		}
	}
	for _, s := range w.Scenarios {
		if s.Pod != "" && !pods[s.Namespace+"/"+s.Pod] {
			errs = append(errs, fmt.Errorf("scenario %s: pod %s/%s is not in the world", s.Name, s.Namespace, s.Pod))
		}
		switch s.Expect {
		case "pass", "warn", "fail", "error":
		default:
			errs = append(errs, fmt.Errorf("scenario %s: expect %q: want pass, warn, fail or error", s.Name, s.Expect))
		}
		if s.Token != "" && s.Token != "expired" {
			errs = append(errs, fmt.Errorf("scenario %s: token %q: want \"\" or \"expired\"", s.Name, s.Token))
		}
		if s.IMDS != "" {
			errs = append(errs, ValidIMDS(s.IMDS))
		}
	}
	return errors.Join(errs...)
}

// Scenario returns the scenario called name.
func (w *World) Scenario(name string) (Scenario, bool) {
	for _, s := range w.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// UsesAWSManagedPolicies reports whether a role attaches an AWS managed policy.
func (w *World) UsesAWSManagedPolicies() bool {
	for _, r := range w.Roles {
		for _, p := range r.ManagedPolicies {
			if strings.HasPrefix(p, "arn:aws:iam::aws:policy/") {
				return true
			}
		}
	}
	return false
}

// NeedsIMDS reports whether the world or one of its scenarios wants the IMDS mock.
func (w *World) NeedsIMDS() bool {
	if w.IMDS == IMDSNodeRole {
		return true
	}
	for _, s := range w.Scenarios {
		if s.IMDS == IMDSNodeRole {
			return true
		}
	}
	return false
}

// ValidIMDS rejects unknown IMDS modes.
func ValidIMDS(m IMDSMode) error {
	if m != IMDSBlocked && m != IMDSNodeRole {
		return fmt.Errorf("imds %q: want %q or %q", m, IMDSBlocked, IMDSNodeRole)
	}
	return nil
}

// checkJSON wants a JSON object (the YAML form) or a string holding one.
func checkJSON(what string, doc json.RawMessage) error {
	if _, err := PolicyText(doc); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// PolicyText returns a policy document as compact JSON text.
func PolicyText(doc json.RawMessage) (string, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return "", errors.New("missing policy document")
	}
	if doc[0] == '"' {
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return "", err
		}
		doc = []byte(s)
	}
	var obj map[string]any
	if err := json.Unmarshal(doc, &obj); err != nil {
		return "", fmt.Errorf("policy document is not a JSON object: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return "", err
	}
	return buf.String(), nil
}
