package verdict

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Kubernetes length limits that podcred's names and label values must meet.
const (
	maxNameLen       = 253 // DNS-1123 subdomain: ConfigMap and Event names
	maxLabelValueLen = 63  // label values
	hashLen          = 10  // hex characters of SHA-256 in a shortened name
)

// ConfigMapName returns the name of the report ConfigMap for ServiceAccount
// sa: ConfigMapPrefix + sa. ServiceAccount names may be 253 characters long,
// so when the result would exceed 253 it is cut and ends with "-" and 10 hex
// characters of the SHA-256 of the full name: still unique, deterministic
// and a valid DNS-1123 subdomain.
func ConfigMapName(sa string) string {
	return shorten(ConfigMapPrefix+sa, maxNameLen)
}

// LabelValue returns s as a valid label value for a ServiceAccount name (at
// most 63 characters). Longer names are cut to 52 characters, trimmed of
// trailing '-', '.' and '_', and suffixed with "-" and 10 hex characters of
// the SHA-256 of s. Select on LabelServiceAccount with LabelValue(sa), never
// with sa itself.
func LabelValue(s string) string {
	return shorten(s, maxLabelValueLen)
}

// shorten returns s when it fits in max bytes, else a prefix of s followed
// by "-" and a hash of s, max bytes in all. The prefix loses any trailing
// separator so that the result stays a valid name or label value.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "-" + hex.EncodeToString(sum[:])[:hashLen]
	prefix := strings.TrimRight(s[:max-len(suffix)], "-._")
	return prefix + suffix
}
