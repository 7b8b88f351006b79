package credcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxTokenBytes bounds what is read from the token file; projected tokens are ~1 KiB.
const maxTokenBytes = 64 << 10

// Claims are the claims of a projected ServiceAccount token that podcred
// judges. The raw token is never kept beyond the STS call that needs it.
type Claims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  Audience     `json:"aud"`
	Expiry    *NumericDate `json:"exp"`
	NotBefore *NumericDate `json:"nbf"`
	IssuedAt  *NumericDate `json:"iat"`
	// Kubernetes holds the kubernetes.io private claims of bound tokens.
	Kubernetes *KubernetesClaims `json:"kubernetes.io"`
	// Algorithm and KeyID come from the JOSE header.
	Algorithm string `json:"-"`
	KeyID     string `json:"-"`
}

// KubernetesClaims are the kubernetes.io claims of a bound ServiceAccount token.
type KubernetesClaims struct {
	Namespace      string     `json:"namespace"`
	ServiceAccount *ObjectRef `json:"serviceaccount"`
	Pod            *ObjectRef `json:"pod"`
}

// ObjectRef names an object a token is bound to.
type ObjectRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// Audience is the aud claim: a string or a list of strings.
type Audience []string

// UnmarshalJSON accepts a string or a list of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("aud is neither a string nor a list of strings")
	}
	*a = l
	return nil
}

// Contains reports whether aud holds s.
func (a Audience) Contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

// NumericDate is a JWT NumericDate (seconds since the epoch, possibly fractional).
type NumericDate struct{ time.Time }

// maxNumericDate is 9999-12-31T23:59:59Z, the last instant RFC 3339 (and so
// the report) can write. Dates up to it decode, however implausible, so the
// checks can say what is wrong with them (token.claims judges the lifetime).
const maxNumericDate = 253402300799

// UnmarshalJSON decodes a JSON number of seconds.
func (d *NumericDate) UnmarshalJSON(b []byte) error {
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("not a NumericDate (want seconds since 1970 as a number): %s", truncate(string(b), 32))
	}
	v, err := f.Float64()
	switch {
	case err != nil:
		return fmt.Errorf("not a NumericDate: %s", truncate(string(b), 32))
	case v < 0:
		return fmt.Errorf("NumericDate %s is before 1970", truncate(string(b), 32))
	case v > maxNumericDate:
		return fmt.Errorf("NumericDate %s is after the year 9999", truncate(string(b), 32))
	}
	sec := int64(v)
	d.Time = time.Unix(sec, int64((v-float64(sec))*1e9)).UTC()
	return nil
}

// DecodeClaims decodes the claims of a compact JWS without verifying its
// signature: the agent cannot, STS does. Errors never quote the token.
func DecodeClaims(raw []byte) (Claims, error) {
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return Claims{}, fmt.Errorf("token file is empty")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("token is not a JWT: want 3 dot-separated parts, found %d", len(parts))
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return Claims{}, fmt.Errorf("token header: %w", err)
	}
	var c Claims
	if err := decodeSegment(parts[1], &c); err != nil {
		return Claims{}, fmt.Errorf("token claims: %w", err)
	}
	if parts[2] == "" {
		return Claims{}, fmt.Errorf("token has no signature")
	}
	c.Algorithm, c.KeyID = hdr.Alg, hdr.Kid
	return c, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("not base64url")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("not JSON")
		}
		return fmt.Errorf("malformed: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
