package credcheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/podcred/podcred/pkg/podiam"
)

// readToken reads the token file through the bounded-read guard (a FIFO,
// a device or a file over maxTokenBytes is refused unread), recording why it failed. The raw
// token is returned to the caller for the STS calls and never stored in Facts.
func readToken(f *Facts, path string) []byte {
	if path == "" {
		return nil
	}
	raw, err := readBounded(path, maxTokenBytes)
	if err != nil {
		f.TokenReadErr = err
		f.TokenPermissionDenied = errors.Is(err, fs.ErrPermission)
		return nil
	}
	c, err := DecodeClaims(raw)
	if err != nil {
		f.ClaimsErr = err
	} else {
		f.Claims = &c
	}
	return raw
}

// collectStaticEnv records which static credential variables are set.
func collectStaticEnv(o Options) StaticEnv {
	set := func(k string) bool { return o.getenv(k) != "" }
	return StaticEnv{
		AccessKeyID:     set(podiam.EnvAccessKeyID),
		SecretAccessKey: set(podiam.EnvSecretAccessKey),
		SessionToken:    set(podiam.EnvSessionToken),
		Profile:         o.getenv(podiam.EnvProfile),
	}
}

// collectSharedFiles finds every shared credentials/config file the SDKs and
// Litmus experiments would read, and records the profiles holding static keys.
func collectSharedFiles(o Options) []SharedFile {
	type candidate struct{ path, via string }
	var cands []candidate
	if p := o.getenv(podiam.EnvSharedCredsFile); p != "" {
		cands = append(cands, candidate{p, podiam.EnvSharedCredsFile})
	} else if o.HomeDir != "" {
		cands = append(cands, candidate{filepath.Join(o.HomeDir, ".aws", "credentials"), "default location"})
	}
	if p := o.getenv(podiam.EnvConfigFile); p != "" {
		cands = append(cands, candidate{p, podiam.EnvConfigFile})
	} else if o.HomeDir != "" {
		cands = append(cands, candidate{filepath.Join(o.HomeDir, ".aws", "config"), "default location"})
	}
	for _, p := range o.CredentialFiles {
		cands = append(cands, candidate{p, "Litmus cloud-secret mount"})
	}
	seen := map[string]bool{}
	var out []SharedFile
	for _, c := range cands {
		if seen[c.path] {
			continue
		}
		seen[c.path] = true
		profiles, err := staticKeyProfiles(c.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			out = append(out, SharedFile{Path: c.path, Via: c.via, Err: err})
		case len(profiles) > 0:
			out = append(out, SharedFile{Path: c.path, Via: c.via, Profiles: profiles})
		}
	}
	return out
}

// staticKeyProfiles scans an INI-style AWS credentials or config file and
// returns the profiles that set aws_access_key_id. Values are never kept.
func staticKeyProfiles(path string) ([]string, error) {
	b, err := readBounded(path, maxSharedFileBytes)
	if err != nil {
		return nil, err
	}
	var profiles []string
	section := "default"
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(strings.TrimPrefix(strings.Trim(line, "[]"), "profile "))
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if ok && strings.EqualFold(strings.TrimSpace(key), "aws_access_key_id") && strings.TrimSpace(val) != "" {
			if len(profiles) == 0 || profiles[len(profiles)-1] != section {
				profiles = append(profiles, section)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return profiles, nil
}

// serviceAccountOf returns the ServiceAccount a token's kubernetes.io claims name.
func serviceAccountOf(c *Claims) string {
	if c == nil || c.Kubernetes == nil || c.Kubernetes.ServiceAccount == nil {
		return ""
	}
	return c.Kubernetes.ServiceAccount.Name
}

// kubeServiceAccount reads the ServiceAccount name from the claims of the
// pod's automounted Kubernetes token ("" when absent or unreadable).
func kubeServiceAccount(path string) string {
	if path == "" {
		return ""
	}
	b, err := readBounded(path, maxTokenBytes)
	if err != nil {
		return ""
	}
	c, err := DecodeClaims(b)
	if err != nil {
		return ""
	}
	return serviceAccountOf(&c)
}
