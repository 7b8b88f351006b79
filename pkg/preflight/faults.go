package preflight

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

//go:embed faults/catalogue.yaml
var catalogueYAML []byte

// Fault is one chaos fault of the catalogue: the IAM actions its chaos pod
// calls and where that list comes from.
type Fault struct {
	// Name is the experiment name (ChaosEngine spec.experiments[].name, `-name` of the runner).
	Name string `json:"name"`
	// Aliases are other names of the same fault (chart names, HCE names).
	Aliases []string `json:"aliases,omitempty"`
	Title   string   `json:"title"`
	// Actions are the IAM actions the fault needs.
	Actions []string `json:"actions"`
	// ServiceAccountNamespace, when set, is the namespace whose
	// ServiceAccount the fault must run as (kube-system for cluster-autoscaler).
	ServiceAccountNamespace string `json:"serviceAccountNamespace,omitempty"`
	// Sources cite where the actions come from.
	Sources []string `json:"sources"`
	Notes   string   `json:"notes,omitempty"`
}

// FaultCatalogue maps fault names and aliases to faults.
type FaultCatalogue struct {
	faults []Fault
	byName map[string]int
}

var actionRe = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)

// LoadFaultCatalogue parses and validates a catalogue in the format of
// faults/catalogue.yaml: every fault has a name, at least one action of the
// form service:Action and at least one source; names and aliases are unique
// (case-insensitively).
func LoadFaultCatalogue(b []byte) (*FaultCatalogue, error) {
	var doc struct {
		Faults []Fault `json:"faults"`
	}
	if err := yaml.UnmarshalStrict(b, &doc); err != nil {
		return nil, fmt.Errorf("fault catalogue: %w", err)
	}
	c := &FaultCatalogue{faults: doc.Faults, byName: map[string]int{}}
	for i, f := range doc.Faults {
		switch {
		case f.Name == "":
			return nil, fmt.Errorf("fault catalogue: entry %d has no name", i)
		case len(f.Actions) == 0:
			return nil, fmt.Errorf("fault catalogue: %s has no actions", f.Name)
		case len(f.Sources) == 0:
			return nil, fmt.Errorf("fault catalogue: %s cites no source", f.Name)
		}
		for _, a := range f.Actions {
			if !actionRe.MatchString(a) {
				return nil, fmt.Errorf("fault catalogue: %s: %q is not an IAM action (service:Action)", f.Name, a)
			}
		}
		for _, n := range append([]string{f.Name}, f.Aliases...) {
			key := strings.ToLower(n)
			if _, dup := c.byName[key]; dup {
				return nil, fmt.Errorf("fault catalogue: name %q is used twice", n)
			}
			c.byName[key] = i
		}
	}
	return c, nil
}

var (
	defaultCatalogue     *FaultCatalogue
	defaultCatalogueErr  error
	defaultCatalogueOnce sync.Once
)

// DefaultFaultCatalogue returns the embedded catalogue (faults/catalogue.yaml).
func DefaultFaultCatalogue() (*FaultCatalogue, error) {
	defaultCatalogueOnce.Do(func() { defaultCatalogue, defaultCatalogueErr = LoadFaultCatalogue(catalogueYAML) })
	return defaultCatalogue, defaultCatalogueErr
}

// Lookup finds a fault by name or alias, case-insensitively.
func (c *FaultCatalogue) Lookup(name string) (Fault, bool) {
	if c == nil {
		return Fault{}, false
	}
	i, ok := c.byName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Fault{}, false
	}
	return c.faults[i], true
}

// Resolve looks up every name, dropping duplicates; unknown lists the names
// that are not in the catalogue, as given.
func (c *FaultCatalogue) Resolve(names []string) (faults []Fault, unknown []string) {
	for _, n := range names {
		f, ok := c.Lookup(n)
		switch {
		case !ok:
			unknown = append(unknown, n)
		case !slices.ContainsFunc(faults, func(g Fault) bool { return g.Name == f.Name }):
			faults = append(faults, f)
		}
	}
	return faults, unknown
}

// Faults returns every fault, in catalogue order.
func (c *FaultCatalogue) Faults() []Fault {
	if c == nil {
		return nil
	}
	return slices.Clone(c.faults)
}

// Names returns every fault name (not aliases), sorted.
func (c *FaultCatalogue) Names() []string {
	var out []string
	for _, f := range c.Faults() {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

// FaultActions returns the union of the faults' actions, sorted.
func FaultActions(faults []Fault) []string {
	var out []string
	for _, f := range faults {
		for _, a := range f.Actions {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}
