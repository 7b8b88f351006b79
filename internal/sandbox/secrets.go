package sandbox

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/podcred/podcred/internal/sandbox/controlplane"
)

// Secrets returns every secret the sandbox has seen or handed out, so that
// tests can prove none of them reaches an output: the raw tokens it minted,
// the secret keys and session tokens moto issued (also those of worlds loaded
// before), the IMDS mock's node credentials and the apiserver's admin token.
// Never print them.
func (s *Sandbox) Secrets(ctx context.Context) ([]string, error) {
	if err := s.keepMotoSecrets(ctx); err != nil {
		return nil, err
	}
	if s.imds != nil {
		s.keep(s.imds.SecretAccessKey, s.imds.Token)
	}
	if s.cp != nil {
		s.keep(s.cp.AdminToken())
	}
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	out := make([]string, 0, len(s.secrets))
	for v := range s.secrets {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil
}

// keep records secrets (empty strings are ignored).
func (s *Sandbox) keep(values ...string) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	if s.secrets == nil {
		s.secrets = map[string]bool{}
	}
	for _, v := range values {
		if v != "" {
			s.secrets[v] = true
		}
	}
}

// keepMotoSecrets records the secret keys and session tokens in moto's state.
func (s *Sandbox) keepMotoSecrets(ctx context.Context) error {
	if s.moto == nil {
		return nil
	}
	data, err := s.moto.State(ctx)
	if err != nil {
		return err
	}
	var state any
	if err := json.Unmarshal(data, &state); err != nil {
		return err
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, child := range v {
				if str, ok := child.(string); ok && (key == "secret_access_key" || key == "session_token") {
					s.keep(str)
					continue
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(state)
	return nil
}

// requestToken is controlplane.RequestToken on the sandbox's apiserver, remembering the token.
func (s *Sandbox) requestToken(ctx context.Context, ns, sa, pod, audience string, ttl time.Duration) (string, error) {
	tok, err := controlplane.RequestToken(ctx, s.cp.Client, ns, sa, pod, audience, ttl)
	s.keep(tok)
	return tok, err
}

// expireToken is ControlPlane.ExpireToken, remembering the token.
func (s *Sandbox) expireToken(token string, ago time.Duration) (string, error) {
	tok, err := s.cp.ExpireToken(token, ago)
	s.keep(tok)
	return tok, err
}
