package preflight

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds of the Secret reading: how many Secrets a namespace's subjects may
// reference, how many keys of one Secret and how many bytes of one value
// are judged.
const (
	maxSecrets        = 50
	maxSecretKeys     = 100
	maxSecretValueLen = 64 << 10
)

// SecretRef is one way a pod uses a Secret. Via says how, for messages;
// Key is the one key a secretKeyRef reads ("" for the whole Secret).
type SecretRef struct {
	Name string
	Key  string
	Via  string
	// EnvFrom: every key becomes an environment variable.
	EnvFrom bool
}

// SecretsFact is what the referenced Secrets hold, by Secret name.
type SecretsFact struct {
	Secrets map[string]SecretFact
	// Truncated says more than maxSecrets Secrets were referenced.
	Truncated bool
}

// SecretFact is one Secret judged by content. It never holds a value.
type SecretFact struct {
	Found bool
	// Err is a failure to read it (RBAC: get secrets).
	Err error
	// AWSKeys are the keys that hold AWS credentials.
	AWSKeys []SecretKeyMatch
	// EnvNames are the keys that become AWS SDK variables through envFrom.
	EnvNames []string
}

// SecretKeyMatch is a Secret key that holds AWS credentials and why it was
// judged so: "credentials file", "access key ID" or "key name".
type SecretKeyMatch struct {
	Key, Why string
}

// awsKeysIn returns the matches a reference exposes: every match, or the
// one key a secretKeyRef reads.
func (s SecretFact) awsKeysIn(key string) []SecretKeyMatch {
	if key == "" {
		return s.AWSKeys
	}
	for _, m := range s.AWSKeys {
		if m.Key == key {
			return []SecretKeyMatch{m}
		}
	}
	return nil
}

// HoldsAWSKeys reports whether the Secret holds AWS credentials.
func (s SecretFact) HoldsAWSKeys() bool { return len(s.AWSKeys) > 0 }

var (
	// accessKeyIDRE matches an AWS access key ID (long-term AKIA, temporary ASIA).
	accessKeyIDRE = regexp.MustCompile(`(?:^|[^A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?:$|[^A-Z0-9])`)
	// credentialsFileRE matches an aws_access_key_id line of an INI credentials file or a YAML config.
	credentialsFileRE = regexp.MustCompile(`(?im)^\s*aws_access_key_id\s*[=:]`)
)

// awsKeyNames are Secret key names that hold AWS credentials whatever their value.
var awsKeyNames = map[string]bool{"aws_secret_access_key": true, "aws_access_key_id": true, "aws_session_token": true}

// judgeSecret reduces a Secret to the names of its keys that hold AWS
// credentials. Values are read through a length limit and never kept.
func judgeSecret(s *corev1.Secret) SecretFact {
	sf := SecretFact{Found: true}
	values := map[string][]byte{}
	for k, v := range s.Data {
		values[k] = v
	}
	for k, v := range s.StringData { // only set on objects not read back from the API
		values[k] = []byte(v)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > maxSecretKeys {
		keys = keys[:maxSecretKeys]
	}
	for _, k := range keys {
		v := values[k]
		if len(v) > maxSecretValueLen {
			v = v[:maxSecretValueLen]
		}
		why := ""
		switch {
		case awsKeyNames[strings.ToLower(k)]:
			why = "key name"
		case credentialsFileRE.Match(v):
			why = "credentials file"
		case accessKeyIDRE.Match(v):
			why = "access key ID"
		}
		if why != "" {
			sf.AWSKeys = append(sf.AWSKeys, SecretKeyMatch{Key: k, Why: why})
		}
		if isStaticKeyVar(k) {
			sf.EnvNames = append(sf.EnvNames, k)
		}
	}
	return sf
}

// secret reads one Secret by name, once per KubeSource.
func (k *KubeSource) secret(ctx context.Context, ns, name string) SecretFact {
	sf, _ := k.secrets.do(ns+"/"+name, func() (SecretFact, error) {
		cctx, cancel := context.WithTimeout(ctx, k.timeout())
		defer cancel()
		s, err := k.Client.CoreV1().Secrets(ns).Get(cctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return SecretFact{}, nil
		case err != nil:
			return SecretFact{Err: fmt.Errorf("get secret %s/%s: %w", ns, name, err)}, nil
		}
		return judgeSecret(s), nil
	})
	return sf
}

// secretsOf reads every Secret the pods and chaos objects reference.
func (k *KubeSource) secretsOf(ctx context.Context, ns string, pods *PodsFact, chaos *ChaosFact) *SecretsFact {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if pods != nil {
		for _, p := range pods.Pods {
			for _, r := range p.SecretRefs {
				add(r.Name)
			}
		}
	}
	if chaos != nil {
		for _, o := range chaos.Objects {
			for _, s := range o.Secrets {
				add(s.Name)
			}
			for _, e := range o.Env {
				add(e.SecretName)
			}
		}
	}
	sf := &SecretsFact{Secrets: map[string]SecretFact{}}
	if len(names) > maxSecrets {
		names, sf.Truncated = names[:maxSecrets], true
	}
	for _, n := range names {
		sf.Secrets[n] = k.secret(ctx, ns, n)
	}
	return sf
}

// podSecretRefs lists how a pod uses Secrets: secret and projected volumes
// that a container mounts, envFrom and env secretKeyRef.
func podSecretRefs(p *corev1.Pod) []SecretRef {
	vols := map[string][]string{}
	for _, v := range p.Spec.Volumes {
		switch {
		case v.Secret != nil:
			vols[v.Name] = append(vols[v.Name], v.Secret.SecretName)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					vols[v.Name] = append(vols[v.Name], src.Secret.Name)
				}
			}
		}
	}
	var refs []SecretRef
	containers := append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...)
	for _, c := range containers {
		for _, m := range c.VolumeMounts {
			for _, s := range vols[m.Name] {
				refs = append(refs, SecretRef{Name: s, Via: fmt.Sprintf("container %s mounts it at %s", c.Name, m.MountPath)})
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				refs = append(refs, SecretRef{Name: e.SecretRef.Name, EnvFrom: true, Via: fmt.Sprintf("container %s takes its env from it (envFrom)", c.Name)})
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				ref := e.ValueFrom.SecretKeyRef
				refs = append(refs, SecretRef{Name: ref.Name, Key: ref.Key, Via: fmt.Sprintf("container %s sets %s from its key %s", c.Name, e.Name, ref.Key)})
			}
		}
	}
	return refs
}
