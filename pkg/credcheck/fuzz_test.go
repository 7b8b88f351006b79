package credcheck

import (
	"strings"
	"testing"
)

// FuzzDecodeClaims: any bytes decode to claims or a clean error, never a
// panic, and an error never quotes the token's signature.
func FuzzDecodeClaims(f *testing.F) {
	f.Add([]byte(makeJWT(f, podClaims(now))))
	f.Add([]byte("e30.eyJhdWQiOlsiYSIsMV19.sig"))
	f.Add([]byte("e30.eyJleHAiOjFlMzAwfQ.sig"))
	f.Add([]byte("..."))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := DecodeClaims(b)
		if err != nil {
			if parts := strings.Split(string(b), "."); len(parts) == 3 && len(parts[2]) > 8 && strings.Contains(err.Error(), parts[2]) {
				t.Fatalf("error quotes the signature: %v", err)
			}
		}
	})
}

func BenchmarkDecodeClaims(b *testing.B) {
	tok := []byte(makeJWT(b, podClaims(now)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeClaims(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	f := healthyFacts()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(f)
	}
}
