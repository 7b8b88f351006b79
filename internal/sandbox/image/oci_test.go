package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func TestWriteIsAReproducibleOCILayoutNamedForContainerd(t *testing.T) {
	spec := Spec{Ref: "example.test/x:1", User: "65532:65532", Entrypoint: []string{"/x"},
		Files: []File{{Path: "/tmp", Dir: true, Mode: 0o1777}, {Path: "/x", Data: []byte("bin"), Mode: 0o755}}}
	var a, b bytes.Buffer
	d1, err := Write(&a, spec, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Write(&b, spec, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two writes differ: %s vs %s", d1, d2)
	}
	entries := map[string][]byte{}
	tr := tar.NewReader(&a)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(io.LimitReader(tr, 1<<20))
		entries[h.Name] = data
	}
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(entries["index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 1 || index.Manifests[0].Digest != d1 {
		t.Fatalf("index %s does not point at manifest %s", entries["index.json"], d1)
	}
	if got := index.Manifests[0].Annotations["io.containerd.image.name"]; got != spec.Ref {
		t.Errorf("image name annotation %q, want %q", got, spec.Ref)
	}
	if _, ok := entries["blobs/sha256/"+d1[len("sha256:"):]]; !ok {
		t.Errorf("manifest blob missing from the archive")
	}
	if string(entries["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %s", entries["oci-layout"])
	}
}
