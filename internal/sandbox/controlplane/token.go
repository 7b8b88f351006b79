package controlplane

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// MinTokenTTL is the shortest expiration the TokenRequest API grants.
const MinTokenTTL = 10 * time.Minute

// RequestToken asks the TokenRequest API for a token of ns/sa with audience
// (empty: the apiserver's audiences), bound to pod when pod is not empty —
// the same request the kubelet makes for a projected token volume.
func RequestToken(ctx context.Context, client kubernetes.Interface, ns, sa, pod, audience string, ttl time.Duration) (string, error) {
	if ttl < MinTokenTTL {
		ttl = MinTokenTTL
	}
	secs := int64(ttl / time.Second)
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}
	if audience != "" {
		req.Spec.Audiences = []string{audience}
	}
	if pod != "" {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("token for %s/%s: %w", ns, sa, err)
		}
		req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID}
	}
	out, err := client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", ns, sa, err)
	}
	return out.Status.Token, nil
}

// ExpireToken is expireToken with the cluster's service-account key.
func (cp *ControlPlane) ExpireToken(token string, ago time.Duration) (string, error) {
	return expireToken(cp.pki, token, ago)
}

// expireToken re-signs a token minted by the apiserver with the same key, kid
// and claims, except that it expired `ago` ago (iat and nbf moved back with it).
// Only exp is wrong, so a verifier fails it for expiry alone.
func expireToken(p *pki, token string, ago time.Duration) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("expire token: not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("expire token: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("expire token: %w", err)
	}
	exp := time.Now().Add(-ago).Unix()
	claims["exp"] = exp
	claims["iat"] = exp - 3600
	claims["nbf"] = exp - 3600
	if k8s, ok := claims["kubernetes.io"].(map[string]any); ok {
		delete(k8s, "warnafter")
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.saKey, KeyID: p.saKeyID}}, nil)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
