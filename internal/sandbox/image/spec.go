package image

import (
	"fmt"
	"os"
	"path/filepath"
)

// Image references the sandbox tags its images with. The agent image keeps the
// name deploy/ ships, so a manifest only needs its tag replaced.
const (
	AgentRef = "ghcr.io/podcred/podcred-agent:sandbox"
	PauseRef = "localhost/podcred/pause:sandbox"
)

// NonRoot is distroless' nonroot user and group, the Dockerfile's USER.
const NonRoot = 65532

// CABundle is where Debian (the build host and distroless) keep the CA bundle.
const CABundle = "/etc/ssl/certs/ca-certificates.crt"

// File is one entry of an image's single layer.
type File struct {
	// Path is the absolute path in the image.
	Path string
	// Source is a file on the build host to copy; Data is used when it is empty.
	Source string
	// Data is the file's content when Source is empty.
	Data []byte
	// Mode is the Unix permission bits, setuid/setgid/sticky included (0o1777).
	Mode int64
	// Dir makes the entry a directory.
	Dir bool
	// UID and GID own the entry (0 unless set).
	UID, GID int
}

// Spec is an image: its files and the config a runtime reads.
type Spec struct {
	// Ref is the image name containerd records (io.containerd.image.name).
	Ref string
	// Files make the one layer, in order.
	Files []File
	// User is the config's User, "uid:gid".
	User string
	// Entrypoint is the config's Entrypoint.
	Entrypoint []string
	// Env is the config's Env (NAME=value).
	Env []string
}

// AgentSpec is the Dockerfile's default target built from binDir, which holds
// podcred-agent and podcred-preflight (`make build`): distroless static's
// layout for the nonroot user, the two binaries at the root, no shell.
func AgentSpec(binDir string) (Spec, error) {
	s := Spec{
		Ref:        AgentRef,
		User:       fmt.Sprintf("%d:%d", NonRoot, NonRoot),
		Entrypoint: []string{"/podcred-agent"},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=" + CABundle},
		Files:      baseFiles(),
	}
	for _, name := range AgentBinaries {
		src := filepath.Join(binDir, name)
		if _, err := os.Stat(src); err != nil {
			return Spec{}, fmt.Errorf("agent image: %w (run `make build`)", err)
		}
		s.Files = append(s.Files, File{Path: "/" + name, Source: src, Mode: 0o755})
	}
	if _, err := os.Stat(CABundle); err != nil {
		return Spec{}, fmt.Errorf("agent image: CA bundle: %w (apt-get install ca-certificates)", err)
	}
	s.Files = append(s.Files, File{Path: CABundle, Source: CABundle, Mode: 0o644})
	return s, nil
}

// AgentBinaries are the programs the Dockerfile copies to the image's root.
var AgentBinaries = []string{"podcred-agent", "podcred-preflight"}

// PauseSpec is the pod sandbox image: the static program built from
// ./pause at pauseBin, as /pause, run as 65535 like registry.k8s.io/pause.
func PauseSpec(pauseBin string) (Spec, error) {
	if _, err := os.Stat(pauseBin); err != nil {
		return Spec{}, fmt.Errorf("pause image: %w", err)
	}
	return Spec{
		Ref:        PauseRef,
		User:       "65535:65535",
		Entrypoint: []string{"/pause"},
		Files:      []File{{Path: "/pause", Source: pauseBin, Mode: 0o755}},
	}, nil
}

// baseFiles are distroless static's files for the nonroot user: passwd and
// group entries, its home, /tmp, and the CA bundle's directories.
func baseFiles() []File {
	dirs := []string{"/etc", "/etc/ssl", "/etc/ssl/certs", "/home"}
	var out []File
	for _, d := range dirs {
		out = append(out, File{Path: d, Dir: true, Mode: 0o755})
	}
	return append(out,
		File{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: NonRoot, GID: NonRoot},
		File{Path: "/tmp", Dir: true, Mode: 0o1777},
		File{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		File{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")},
	)
}
