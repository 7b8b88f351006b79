package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podcred/podcred/internal/cli"
)

const dupBase = `
roles:
  - name: chaos-ec2
    trustPolicy: {Statement: []}
namespaces:
  - name: litmus
    serviceAccounts:
      - name: litmus-admin
        role: chaos-ec2
`

func TestADuplicateInAWorldIsAUsageErrorBeforeAnythingStarts(t *testing.T) {
	for _, tt := range []struct {
		name, extra, path string
	}{
		{"namespace", "  - name: litmus\n", "namespaces[1]: duplicate namespace \"litmus\" (first defined at namespaces[0])"},
		{"role, in IAM's case-insensitive sense", "", "roles[1]: duplicate IAM role \"Chaos-EC2\""},
		{"service account", "      - name: litmus-admin\n", "namespaces[0].serviceAccounts[1]: duplicate serviceAccount"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			world := dupBase + tt.extra
			if strings.HasPrefix(tt.name, "role") {
				world = strings.Replace(dupBase, "namespaces:", "  - name: Chaos-EC2\n    trustPolicy: {Statement: []}\nnamespaces:", 1)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "world.yaml")
			if err := os.WriteFile(file, []byte(world), 0o600); err != nil {
				t.Fatal(err)
			}
			sandboxDir := filepath.Join(dir, "sandbox")
			cmd := newRootCmd()
			cmd.SetArgs([]string{"up", "--world", file, "--dir", sandboxDir, "--bin-dir", dir})
			start := time.Now()
			err := cmd.ExecuteContext(context.Background())
			if code := cli.CodeOf(err); code != cli.ExitUsage {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s and %q", err, file, tt.path)
			}
			if _, statErr := os.Stat(sandboxDir); !errors.Is(statErr, os.ErrNotExist) || time.Since(start) > 2*time.Second {
				t.Errorf("something started before the world was validated (dir: %v, %s)", statErr, time.Since(start))
			}
		})
	}
}
