package e2e

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/sandbox/world"
)

// Worlds of examples/worlds used by the suite.
const (
	worldsDir           = "../../examples/worlds"
	demoWorld           = "demo.yaml"
	noOIDCProviderWorld = "no-oidc-provider.yaml"
	wrongAudienceWorld  = "wrong-audience.yaml"
)

// loadTimeout bounds switching worlds (about a second).
const loadTimeout = time.Minute

// loadWorld reads a world file of examples/worlds.
func loadWorld(name string) (*world.World, error) {
	return world.LoadWorld(filepath.Join(worldsDir, name))
}

// useWorld switches the sandbox to world name unless it already runs it.
// Tests name the world they need, so they pass in any order.
func useWorld(t *testing.T, name string) {
	t.Helper()
	s := sb(t)
	if suite.world == name {
		return
	}
	w, err := loadWorld(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), loadTimeout)
	defer cancel()
	started := time.Now()
	suite.world = "" // half-loaded until Load returns
	if err := s.Load(ctx, w); err != nil {
		t.Fatalf("load world %s: %v", name, err)
	}
	suite.world = name
	t.Logf("world %s loaded in %s", name, time.Since(started).Round(time.Millisecond))
}

// scenario returns the named scenario of the running world.
func scenario(t *testing.T, name string) world.Scenario {
	t.Helper()
	sc, ok := sb(t).World().Scenario(name)
	if !ok {
		t.Fatalf("world %s has no scenario %q", suite.world, name)
	}
	return sc
}

// scenarioEnv is the environment of the scenario's pod, as the kubelet and
// the pod identity webhook would give it (a fresh token bound to the pod).
func scenarioEnv(t *testing.T, sc world.Scenario) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	env, err := sb(t).ScenarioEnv(ctx, sc)
	if err != nil {
		t.Fatalf("environment of scenario %s: %v", sc.Name, err)
	}
	return env
}

// getenv returns name's value in env ("" when unset).
func getenv(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// setenv returns env with name set to value (replacing any previous value).
func setenv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// closedLoopbackURL is http://127.0.0.1:PORT where nothing listens (a port
// that was free a moment ago): connections are refused at once.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// requireLoopbackEndpoints refuses to start the agent with an environment that
// could send traffic anywhere but loopback: every AWS endpoint must be a
// 127.0.0.1 URL (the Go SDK's web identity provider only honours
// AWS_ENDPOINT_URL_STS, so it must be set), and IMDS must be a loopback URL
// or disabled. Nothing may ever reach 169.254.169.254.
func requireLoopbackEndpoints(t *testing.T, env []string) {
	t.Helper()
	if getenv(env, "AWS_ENDPOINT_URL_STS") == "" {
		t.Fatal("refusing to run the agent: AWS_ENDPOINT_URL_STS is unset, the SDK's web identity provider would call the real STS")
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "AWS_ENDPOINT_URL") && name != "AWS_EC2_METADATA_SERVICE_ENDPOINT" && name != "PODCRED_IMDS_ENDPOINT" {
			continue
		}
		if u, err := url.Parse(value); err != nil || u.Hostname() != "127.0.0.1" {
			t.Fatalf("refusing to run the agent: %s=%q is not a 127.0.0.1 URL", name, value)
		}
	}
	if getenv(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT") == "" && getenv(env, "AWS_EC2_METADATA_DISABLED") != "true" {
		t.Fatal("refusing to run the agent: IMDS is neither a loopback endpoint nor disabled (it would probe 169.254.169.254)")
	}
}
