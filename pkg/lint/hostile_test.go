package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podcred/podcred/pkg/preflight"
	"github.com/podcred/podcred/pkg/report"
)

// aliasBomb is the "billion laughs" of YAML: nine levels of nine aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(n + ": &" + n + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = n
	}
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  " + strings.ReplaceAll(b.String(), "\n", "\n  ")
}

func TestHostileFilesAreClearErrorsAndTheOthersAreStillJudged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good", "sa.yaml")
	writeFile(t, good, strings.Replace(kSA, "123456789012", "12345", 1))
	bad := map[string]string{
		"broken.yaml":   "apiVersion: v1\nkind: [\n",
		"keys.yaml":     "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {1: x, [a]: y}\n",
		"bomb.yaml":     aliasBomb(),
		"notjson.json":  "{\"Statement\": [",
		"policy.json":   `{"Statement":[{"Effect":"Allow","Principal":"*","Action":7}]}`,
		"template.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: litmus}\nspec: {}\n",
	}
	for name, text := range bad {
		writeFile(t, filepath.Join(dir, name), text)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Symbolic link loops: a file pair and a directory pointing at its parent.
	if err := os.Symlink(filepath.Join(dir, "loop-b.yaml"), filepath.Join(dir, "loop-a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "loop-a.yaml"), filepath.Join(dir, "loop-b.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "good", "up")); err != nil {
		t.Fatal(err)
	}
	done := make(chan Result, 1)
	go func() {
		done <- Run(context.Background(), Options{Paths: []string{dir, "/dev/zero", filepath.Join(dir, "missing.yaml")}, Issuer: kIssuer, Root: dir})
	}()
	var res Result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("lint hangs on hostile files")
	}
	errs := map[string]string{}
	for _, e := range res.Errors {
		errs[e.File] = e.Err.Error()
	}
	for file, why := range map[string]string{
		"fifo.yaml": "not a regular file", "/dev/zero": "not a regular file", "big.yaml": "more than the",
		"loop-a.yaml": "too many levels", "broken.yaml": "document 1", "keys.yaml": "invalid map key", "bomb.yaml": "alias",
		"notjson.json": "not YAML or JSON", "template.yaml": "no pod template", "missing.yaml": "no such file",
	} {
		got, ok := errs[file]
		if !ok {
			got, ok = errs[filepath.Join(dir, file)]
		}
		if !ok || !strings.Contains(got, why) {
			t.Errorf("%s: error %q, want one saying %q (all: %v)", file, got, why, errs)
		}
	}
	c := reportOf(t, res, "litmus", "litmus-admin").Check(preflight.IDSARoleAnnotation)
	if c.Status != report.StatusFail || c.Location == nil || c.Location.File != "good/sa.yaml" {
		t.Errorf("the good file was not judged: %+v", c)
	}
	if !res.Failed() {
		t.Error("a failing check does not fail the result")
	}
}

func TestAnEndedDeadlineStopsReadingAndSaysSo(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sa.yaml"), kSA)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, Options{Paths: []string{dir}, Issuer: kIssuer, Root: dir})
	if len(res.Errors) != 1 || res.Files != 0 || !strings.Contains(res.Errors[0].Error(), "context canceled") {
		t.Errorf("errors %v, files %d", res.Errors, res.Files)
	}
}
