package stsfront

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// XML namespaces of the query-protocol services the front answers for.
const (
	nsSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
	nsIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// apiError is an AWS error answer.
type apiError struct {
	Status int
	// Type is "Sender" (the caller's fault) or "Receiver" (the service's).
	Type    string
	Code    string
	Message string
}

// Error renders "Code: Message".
func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func senderError(status int, code, message string) *apiError {
	return &apiError{Status: status, Type: "Sender", Code: code, Message: message}
}

func internalFailure() *apiError {
	return &apiError{
		Status: http.StatusInternalServerError, Type: "Receiver", Code: "InternalFailure",
		Message: "The request processing has failed because of an unknown error, exception or failure.",
	}
}

// newRequestID returns a random UUID, the form AWS request IDs take.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func namespaceFor(service string) string {
	if service == "iam" {
		return nsIAM
	}
	return nsSTS
}

// writeQueryError writes e as the query protocol (STS, IAM) does:
// <ErrorResponse xmlns=...><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func writeQueryError(w http.ResponseWriter, service, requestID string, e *apiError) {
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="` + namespaceFor(service) + `">` + "\n  <Error>\n    <Type>")
	xmlEscape(&b, e.Type)
	b.WriteString("</Type>\n    <Code>")
	xmlEscape(&b, e.Code)
	b.WriteString("</Code>\n    <Message>")
	xmlEscape(&b, e.Message)
	b.WriteString("</Message>\n  </Error>\n  <RequestId>" + requestID + "</RequestId>\n</ErrorResponse>\n")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String()))
}

// writeJSONError writes e as the REST-JSON protocol (EKS) does.
func writeJSONError(w http.ResponseWriter, requestID string, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
}

func xmlEscape(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
