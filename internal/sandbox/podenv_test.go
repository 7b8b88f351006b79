package sandbox

import (
	"testing"

	"github.com/podcred/podcred/pkg/podiam"
)

func TestHostPathRewritesPathsInsideMounts(t *testing.T) {
	k := &kubelet{mounts: map[string]string{"/tmp": "/sb/fs/tmp", podiam.TokenDir: "/sb/fs" + podiam.TokenDir}}
	for in, want := range map[string]string{
		"/tmp/cloud_config.yml": "/sb/fs/tmp/cloud_config.yml",
		podiam.TokenPath:        "/sb/fs" + podiam.TokenPath,
		"/tmpx/file":            "/tmpx/file",
		"us-east-1":             "us-east-1",
	} {
		if got := k.hostPath(in); got != want {
			t.Errorf("hostPath(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestExportsAreShellQuoted(t *testing.T) {
	if got := shellQuote(`a'b $c`); got != `'a'\''b $c'` {
		t.Fatalf("shellQuote = %s", got)
	}
	if got := envName("litmus-admin.x"); got != "LITMUS_ADMIN_X" {
		t.Fatalf("envName = %s", got)
	}
}
