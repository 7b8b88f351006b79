package eksauth

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is a REST-JSON error answer, as EKS and EKS Auth send them: the
// code in x-amzn-ErrorType, {"message": ...} in the body. Status codes are
// those of botocore's models (eks-auth: AccessDenied, ExpiredToken,
// InvalidToken, InvalidParameter, InvalidRequest 400; ResourceNotFound 404;
// Throttling 429; InternalServer 500; ServiceUnavailable 503. eks:
// ResourceInUse 409).
type apiError struct {
	Status  int
	Code    string
	Message string
}

// Error renders "Code: Message".
func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errNotFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: msg}
}

func errParam(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: msg}
}

func errInternal() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: "An internal error occurred."}
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
}

func writeJSON(w http.ResponseWriter, requestID string, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	_ = json.NewEncoder(w).Encode(v)
}

// newID returns a random UUID, the form AWS request IDs take.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomLower returns n random characters of [a-z0-9] (association IDs).
func randomLower(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
