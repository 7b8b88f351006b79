package e2e

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// collector keeps every output of the suite for the secret scan: each
// process's stdout and stderr, and after every verification the data and
// annotations of every ConfigMap, the annotations of every pod and the
// message of every Event of the namespace (they are overwritten by later
// runs and deleted by world switches, so they are copied as they appear).
type collector struct {
	mu      sync.Mutex
	outputs map[string]string // where -> text
	given   map[string]bool   // secrets the suite handed to the agent itself
}

// giveSecrets records the static secrets in a pod's environment (secret key,
// session token) and in the shared credentials file it points to: the agent
// sees them and must not repeat them either.
func (c *collector) giveSecrets(env []string) {
	values := []string{getenv(env, "AWS_SECRET_ACCESS_KEY"), getenv(env, "AWS_SESSION_TOKEN")}
	if path := getenv(env, "AWS_SHARED_CREDENTIALS_FILE"); path != "" {
		// Only a regular file: the hostile tests point it at a FIFO or /dev/zero.
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
			path = ""
		}
		if data, err := os.ReadFile(path); path != "" && err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				key, value, ok := strings.Cut(line, "=")
				key = strings.ToLower(strings.TrimSpace(key))
				if ok && (key == "aws_secret_access_key" || key == "aws_session_token") {
					values = append(values, strings.TrimSpace(value))
				}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.given == nil {
		c.given = map[string]bool{}
	}
	for _, v := range values {
		if len(v) >= 16 {
			c.given[v] = true
		}
	}
}

// givenSecrets lists what giveSecrets recorded.
func (c *collector) givenSecrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.given))
	for v := range c.given {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// add records text under where (several texts under one name are kept apart).
func (c *collector) add(where string, text []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outputs == nil {
		c.outputs = map[string]string{}
	}
	name := where
	for i := 2; ; i++ {
		if _, taken := c.outputs[name]; !taken {
			break
		}
		name = fmt.Sprintf("%s #%d", where, i)
	}
	c.outputs[name] = string(text)
}

// snapshotNamespace copies what podcred can have written to namespace ns.
func (c *collector) snapshotNamespace(t *testing.T, ns string) {
	t.Helper()
	if ns == "" {
		t.Fatal("no namespace to snapshot: POD_NAMESPACE is unset")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.snapshot(ctx, ns); err != nil {
		t.Fatalf("collect outputs in namespace %s: %v", ns, err)
	}
}

// snapshot copies ConfigMaps, pod annotations and Events of ns ("" = all namespaces).
func (c *collector) snapshot(ctx context.Context, ns string) error {
	client := suite.sb.ControlPlane().Client.CoreV1()
	cms, err := client.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, cm := range cms.Items {
		where := "configmap " + cm.Namespace + "/" + cm.Name
		c.add(where+" data", []byte(joinMap(cm.Data)))
		c.add(where+" annotations", []byte(joinMap(cm.Annotations)))
	}
	pods, err := client.Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		c.add("pod "+p.Namespace+"/"+p.Name+" annotations", []byte(joinMap(p.Annotations)))
	}
	events, err := client.Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, e := range events.Items {
		c.add("event "+e.Namespace+"/"+e.Name+" message", []byte(e.Message))
	}
	return nil
}

// leak is a secret found in an output. It names the secret by index and
// shape only: the scan must not print what it looks for.
type leak struct {
	where  string
	secret string // a description, never the value
}

// scan returns every (output, secret) pair where the output contains the
// secret or, for a JWT, its signature.
func (c *collector) scan(secrets []string) []leak {
	c.mu.Lock()
	defer c.mu.Unlock()
	var leaks []leak
	for i, s := range secrets {
		needles := []string{s}
		if parts := strings.Split(s, "."); len(parts) == 3 && len(parts[2]) >= 32 {
			needles = append(needles, parts[2]) // a token's signature alone is as good as the token
		}
		for where, text := range c.outputs {
			for _, n := range needles {
				if strings.Contains(text, n) {
					leaks = append(leaks, leak{where: where, secret: describeSecret(i, s)})
					break
				}
			}
		}
	}
	sort.Slice(leaks, func(i, j int) bool { return leaks[i].where < leaks[j].where })
	return leaks
}

// size is the number of outputs and bytes collected.
func (c *collector) size() (outputs, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, text := range c.outputs {
		bytes += len(text)
	}
	return len(c.outputs), bytes
}

// describeSecret names a secret without showing it.
func describeSecret(i int, s string) string {
	kind := "secret key or session token"
	if isJWT(s) {
		kind = "raw JWT"
	}
	return fmt.Sprintf("secret #%d (%s, %d characters)", i, kind, len(s))
}

// isJWT reports whether s looks like a compact JWS (a raw token).
func isJWT(s string) bool {
	return strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ")
}

// joinMap renders a map as sorted key=value lines.
func joinMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\n")
	}
	return b.String()
}
