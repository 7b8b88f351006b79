package sandbox

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubelet plays the kubelet's part for one pod's first container: it writes
// the mounted volumes (projected tokens, Secrets, ConfigMaps) under root/fs and
// resolves the container's environment.
type kubelet struct {
	s    *Sandbox
	pod  *corev1.Pod
	root string
	// mounts maps a container mount path to the directory written for it.
	mounts map[string]string
}

// materialize writes the container's volumes. With expired, tokens for an
// explicit audience (the IRSA one) are replaced by expired ones.
func (k *kubelet) materialize(ctx context.Context, expired bool) error {
	k.mounts = map[string]string{}
	if len(k.pod.Spec.Containers) == 0 {
		return fmt.Errorf("pod %s/%s has no container", k.pod.Namespace, k.pod.Name)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range k.pod.Spec.Volumes {
		vols[v.Name] = v
	}
	for _, m := range k.pod.Spec.Containers[0].VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			continue
		}
		host := filepath.Join(k.root, "fs", filepath.Clean(m.MountPath))
		files, err := k.volumeFiles(ctx, v, expired)
		if err != nil {
			return fmt.Errorf("pod %s/%s volume %s: %w", k.pod.Namespace, k.pod.Name, v.Name, err)
		}
		for name, data := range files {
			if err := writeSecretFile(filepath.Join(host, name), data); err != nil {
				return err
			}
		}
		k.mounts[filepath.Clean(m.MountPath)] = host
	}
	return nil
}

// volumeFiles returns the files of one volume, by path within it.
func (k *kubelet) volumeFiles(ctx context.Context, v corev1.Volume, expired bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	switch {
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			switch {
			case src.ServiceAccountToken != nil:
				t := src.ServiceAccountToken
				ttl := time.Hour
				if t.ExpirationSeconds != nil {
					ttl = time.Duration(*t.ExpirationSeconds) * time.Second
				}
				tok, err := k.s.requestToken(ctx, k.pod.Namespace, k.pod.Spec.ServiceAccountName, k.pod.Name, t.Audience, ttl)
				if err != nil {
					return nil, err
				}
				if expired && t.Audience != "" {
					if tok, err = k.s.expireToken(tok, time.Hour); err != nil {
						return nil, err
					}
				}
				files[t.Path] = []byte(tok)
			case src.ConfigMap != nil && src.ConfigMap.Name == "kube-root-ca.crt":
				files["ca.crt"] = k.s.cp.CAPEM // published by a controller in real clusters
			case src.ConfigMap != nil:
				if err := k.addConfigMap(ctx, files, src.ConfigMap.Name, src.ConfigMap.Items); err != nil {
					return nil, err
				}
			case src.Secret != nil:
				if err := k.addSecret(ctx, files, src.Secret.Name, src.Secret.Items); err != nil {
					return nil, err
				}
			case src.DownwardAPI != nil:
				for _, item := range src.DownwardAPI.Items {
					if item.FieldRef != nil {
						files[item.Path] = []byte(k.field(item.FieldRef.FieldPath))
					}
				}
			}
		}
	case v.Secret != nil:
		if err := k.addSecret(ctx, files, v.Secret.SecretName, v.Secret.Items); err != nil {
			return nil, err
		}
	case v.ConfigMap != nil:
		if err := k.addConfigMap(ctx, files, v.ConfigMap.Name, v.ConfigMap.Items); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// addSecret adds a Secret's keys (or items) of the pod's namespace to files.
func (k *kubelet) addSecret(ctx context.Context, files map[string][]byte, name string, items []corev1.KeyToPath) error {
	sec, err := k.s.cp.Client.CoreV1().Secrets(k.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	addItems(files, sec.Data, items)
	return nil
}

// addConfigMap adds a ConfigMap's keys (or items) of the pod's namespace to files.
func (k *kubelet) addConfigMap(ctx context.Context, files map[string][]byte, name string, items []corev1.KeyToPath) error {
	cm, err := k.s.cp.Client.CoreV1().ConfigMaps(k.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	data := map[string][]byte{}
	for key, v := range cm.Data {
		data[key] = []byte(v)
	}
	addItems(files, data, items)
	return nil
}

// addItems copies every key, or only items (renamed to their paths) when given.
func addItems(files, data map[string][]byte, items []corev1.KeyToPath) {
	if len(items) == 0 {
		for key, v := range data {
			files[key] = v
		}
		return
	}
	for _, it := range items {
		if v, ok := data[it.Key]; ok {
			files[it.Path] = v
		}
	}
}

// env resolves the first container's environment into NAME=value pairs.
func (k *kubelet) env(ctx context.Context) ([]string, error) {
	var out []string
	for _, e := range k.pod.Spec.Containers[0].Env {
		value := e.Value
		if f := e.ValueFrom; f != nil {
			switch {
			case f.FieldRef != nil:
				value = k.field(f.FieldRef.FieldPath)
			case f.SecretKeyRef != nil:
				sec, err := k.s.cp.Client.CoreV1().Secrets(k.pod.Namespace).Get(ctx, f.SecretKeyRef.Name, metav1.GetOptions{})
				if err != nil {
					return nil, fmt.Errorf("env %s: %w", e.Name, err)
				}
				value = string(sec.Data[f.SecretKeyRef.Key])
			case f.ConfigMapKeyRef != nil:
				cm, err := k.s.cp.Client.CoreV1().ConfigMaps(k.pod.Namespace).Get(ctx, f.ConfigMapKeyRef.Name, metav1.GetOptions{})
				if err != nil {
					return nil, fmt.Errorf("env %s: %w", e.Name, err)
				}
				value = cm.Data[f.ConfigMapKeyRef.Key]
			}
		}
		out = append(out, e.Name+"="+k.hostPath(value))
	}
	return out, nil
}

// field resolves a downward-API field path.
func (k *kubelet) field(path string) string {
	p := k.pod
	switch path {
	case "metadata.name":
		return p.Name
	case "metadata.namespace":
		return p.Namespace
	case "metadata.uid":
		return string(p.UID)
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName
	case "spec.nodeName":
		return p.Spec.NodeName
	case "status.podIP":
		return p.Status.PodIP
	case "status.hostIP":
		return p.Status.HostIP
	}
	if key, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return p.Annotations[strings.TrimSuffix(key, "']")]
	}
	if key, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return p.Labels[strings.TrimSuffix(key, "']")]
	}
	return ""
}

// hostPath rewrites an absolute path inside a mounted volume to the file the
// sandbox wrote for it (longest mount path first); other values pass unchanged.
func (k *kubelet) hostPath(value string) string {
	if !strings.HasPrefix(value, "/") {
		return value
	}
	paths := make([]string, 0, len(k.mounts))
	for mp := range k.mounts {
		paths = append(paths, mp)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	clean := filepath.Clean(value)
	for _, mp := range paths {
		if clean == mp || strings.HasPrefix(clean, mp+"/") {
			return k.mounts[mp] + strings.TrimPrefix(clean, mp)
		}
	}
	return value
}
