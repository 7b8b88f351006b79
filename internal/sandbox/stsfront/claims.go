package stsfront

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// tokenClaims are the claims the front reads before the signature is checked.
type tokenClaims struct {
	Iss string      `json:"iss"`
	Sub string      `json:"sub"`
	Aud stringList  `json:"aud"`
	Exp json.Number `json:"exp"`
	AMR stringList  `json:"amr"`
}

// stringList is a claim that is a string or a list of strings.
type stringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

// parseClaims decodes a JWT's payload without verifying it.
func parseClaims(token string) (tokenClaims, bool) {
	var c tokenClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	for _, p := range parts[:2] {
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return c, false
		}
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return c, false
	}
	return c, true
}
