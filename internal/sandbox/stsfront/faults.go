package stsfront

import (
	"context"
	"net"
	"net/http"
	"time"
)

// FaultKind is a kind of failure the front can inject.
type FaultKind int

// The injectable failures.
const (
	// FaultThrottling answers HTTP 400 with error code Throttling ("Rate exceeded").
	FaultThrottling FaultKind = iota + 1
	// FaultTooManyRequests answers HTTP 429 with error code Throttling.
	FaultTooManyRequests
	// FaultInternalError answers HTTP 500 InternalFailure.
	FaultInternalError
	// FaultServiceUnavailable answers HTTP 503 ServiceUnavailable.
	FaultServiceUnavailable
	// FaultSlow waits Fault.Delay (or until the client gives up), then answers normally.
	FaultSlow
	// FaultReset resets the TCP connection without answering.
	FaultReset
	// FaultMalformed answers HTTP 200 with a truncated XML document.
	FaultMalformed
)

// Fault is a failure injected into calls of one action.
type Fault struct {
	Kind FaultKind
	// Delay is how long FaultSlow waits before answering.
	Delay time.Duration
	// Times is how many calls fail before the fault clears itself; 0 means
	// every call until ClearFaults.
	Times int
}

// AnyAction is the SetFault key that matches every call.
const AnyAction = "*"

// SetFault makes calls of action ("sts:AssumeRoleWithWebIdentity",
// "iam:GetRole", or AnyAction) fail as f describes. A fault on a specific
// action takes precedence over AnyAction. Faulted calls are still counted.
func (f *Front) SetFault(action string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[action] = &fault
}

// ClearFaults removes every fault.
func (f *Front) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = map[string]*Fault{}
}

// takeFault returns the fault for a call, consuming one of its Times.
func (f *Front) takeFault(call string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := call
	fault, ok := f.faults[key]
	if !ok {
		key = AnyAction
		if fault, ok = f.faults[key]; !ok {
			return Fault{}, false
		}
	}
	got := *fault
	if fault.Times > 0 {
		fault.Times--
		if fault.Times == 0 {
			delete(f.faults, key)
		}
	}
	return got, true
}

// inject applies fault to the call. It reports whether the call is over (the
// fault answered it); false means the call proceeds normally.
func (f *Front) inject(w http.ResponseWriter, r *http.Request, c call, requestID string, fault Fault) bool {
	var e *apiError
	switch fault.Kind {
	case FaultThrottling:
		e = senderError(http.StatusBadRequest, "Throttling", "Rate exceeded")
	case FaultTooManyRequests:
		e = senderError(http.StatusTooManyRequests, "Throttling", "Rate exceeded")
	case FaultInternalError:
		e = internalFailure()
	case FaultServiceUnavailable:
		e = &apiError{Status: http.StatusServiceUnavailable, Type: "Receiver", Code: "ServiceUnavailable", Message: "Service is unavailable"}
	case FaultSlow:
		if err := sleep(r.Context(), fault.Delay); err != nil {
			return true // the client gave up
		}
		return false
	case FaultReset:
		if resetConnection(w) {
			return true
		}
		e = internalFailure() // not hijackable (HTTP/2): the nearest failure

	case FaultMalformed:
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<` + c.Action + `Response xmlns="` + namespaceFor(c.Service) + `"><` + c.Action + `Result><Creden`))
		return true
	default:
		return false
	}
	if c.json {
		writeJSONError(w, requestID, e)
	} else {
		writeQueryError(w, c.Service, requestID, e)
	}
	return true
}

// resetConnection closes the client's connection with a TCP RST. It reports
// false when the connection cannot be taken over.
func resetConnection(w http.ResponseWriter) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	return true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
