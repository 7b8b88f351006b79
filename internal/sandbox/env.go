package sandbox

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/podcred/podcred/internal/sandbox/awsemu"
	"github.com/podcred/podcred/internal/sandbox/world"
)

// Env is the administrator's environment for the sandbox: KUBECONFIG (admin),
// EndpointVars (the front), AWS_REGION, dummy admin keys for moto, the IMDS
// endpoint or AWS_EC2_METADATA_DISABLED=true, and PODCRED_SANDBOX_TOKEN_<NS>_<SA>
// holding a token file for each annotated ServiceAccount that has a pod.
func (s *Sandbox) Env() []string {
	w := s.World()
	env := []string{"KUBECONFIG=" + s.cp.Kubeconfig}
	for _, name := range awsemu.EndpointVars {
		env = append(env, name+"="+s.front.URL())
	}
	env = append(env,
		"AWS_REGION="+w.Region,
		"AWS_DEFAULT_REGION="+w.Region,
		"AWS_ACCESS_KEY_ID="+awsemu.AdminAccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+awsemu.AdminSecretAccessKey,
		"PODCRED_SANDBOX_DIR="+s.dir,
		"PODCRED_SANDBOX_ISSUER="+s.cp.Issuer,
	)
	if s.imds != nil && w.IMDS == world.IMDSNodeRole {
		env = append(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+s.imds.URL)
	} else {
		env = append(env, "AWS_EC2_METADATA_DISABLED=true")
	}
	tokens, _ := filepath.Glob(filepath.Join(s.dir, "tokens", "*", "*", "*", "token"))
	sort.Strings(tokens)
	seen := map[string]bool{}
	for _, t := range tokens {
		rel, _ := filepath.Rel(filepath.Join(s.dir, "tokens"), t)
		parts := strings.Split(rel, string(filepath.Separator)) // ns, sa, pod, token
		name := "PODCRED_SANDBOX_TOKEN_" + envName(parts[0]) + "_" + envName(parts[1])
		if !seen[name] {
			seen[name] = true
			env = append(env, name+"="+t)
		}
	}
	return env
}

// Exports is Env as shell `export` lines, values single-quoted.
func (s *Sandbox) Exports() string {
	var b strings.Builder
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	return b.String()
}

// shellQuote quotes v for POSIX shells.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// envName upper-cases s and replaces what is not [A-Z0-9] by "_".
func envName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, s)
}
