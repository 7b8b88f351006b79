package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// OCI media types written by Write.
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// epoch is every entry's and the config's timestamp: same inputs, same digest.
var epoch = time.Unix(0, 0).UTC()

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// blob is one content-addressed file of the layout.
type blob struct {
	digest string
	data   []byte
}

func newBlob(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{digest: "sha256:" + hex.EncodeToString(sum[:]), data: data}
}

// Write writes spec as an OCI image-layout tar archive to w for architecture
// arch (GOARCH names), and returns the manifest's digest. containerd names
// the image after the index's io.containerd.image.name annotation.
func Write(w io.Writer, spec Spec, arch string) (string, error) {
	layerData, err := layer(spec.Files)
	if err != nil {
		return "", err
	}
	layerBlob := newBlob(layerData)
	cfg, err := json.Marshal(map[string]any{
		"architecture": arch,
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config": map[string]any{
			"User": spec.User, "Entrypoint": spec.Entrypoint, "Env": spec.Env, "WorkingDir": "/",
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{layerBlob.digest}},
		"history": []map[string]string{{"created": epoch.Format(time.RFC3339), "created_by": "podcred internal/sandbox/image"}},
	})
	if err != nil {
		return "", err
	}
	cfgBlob := newBlob(cfg)
	man, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{MediaType: mediaConfig, Digest: cfgBlob.digest, Size: int64(len(cfg))},
		"layers":        []descriptor{{MediaType: mediaLayer, Digest: layerBlob.digest, Size: int64(len(layerData))}},
	})
	if err != nil {
		return "", err
	}
	manBlob := newBlob(man)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaIndex,
		"manifests": []descriptor{{
			MediaType: mediaManifest, Digest: manBlob.digest, Size: int64(len(man)),
			Annotations: map[string]string{"io.containerd.image.name": spec.Ref, "org.opencontainers.image.ref.name": spec.Ref},
			Platform:    &platform{Architecture: arch, OS: "linux"},
		}},
	})
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
	}
	for _, b := range []blob{layerBlob, cfgBlob, manBlob} {
		files = append(files, struct {
			name string
			data []byte
		}{"blobs/sha256/" + b.digest[len("sha256:"):], b.data})
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
			return "", err
		}
	}
	for _, f := range files {
		if err := writeTarFile(tw, f.name, f.data, 0o644, 0, 0); err != nil {
			return "", err
		}
	}
	return manBlob.digest, tw.Close()
}

// layer is the uncompressed tar of files (parent directories must be listed first).
func layer(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		name := f.Path[1:]
		if f.Dir {
			h := &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: epoch}
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		data := f.Data
		if f.Source != "" {
			var err error
			if data, err = readBounded(f.Source); err != nil {
				return nil, fmt.Errorf("image file %s: %w", f.Path, err)
			}
		}
		if err := writeTarFile(tw, name, data, f.Mode, f.UID, f.GID); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTarFile(tw *tar.Writer, name string, data []byte, mode int64, uid, gid int) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), Uid: uid, Gid: gid, ModTime: epoch}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// maxFileBytes bounds a file copied into an image (the agent is about 17 MB).
const maxFileBytes = 256 << 20

// readBounded reads a regular file of at most maxFileBytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxFileBytes {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", path, maxFileBytes)
	}
	return io.ReadAll(io.LimitReader(f, maxFileBytes))
}
