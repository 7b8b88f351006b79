package credcheck

// The bounded-input rule (issue 9), enforced in this file and in collect.go:
//
//   - Every file podcred or the AWS SDK reads is checked first — it must be a
//     regular file no larger than its cap — and then read through a limit.
//     A FIFO (which would block open and read forever), a device such as
//     /dev/zero (which never ends), a directory or an oversized file is
//     refused with a precise error before anything blocks or allocates. The
//     SDK's own reads are routed through the same guard: its web identity
//     token and container authorization token readers are replaced, and
//     shared config files that fail the guard are kept from its ini loader.
//   - Every HTTP body (STS, IMDS, the SDK chain) is read through a limit: a
//     body longer than maxHTTPBodyBytes fails the read instead of growing.
//   - The whole run has one deadline: Collect returns by it whatever the
//     collectors do (see Collect).

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Caps on what is read. A projected token is ~1 KiB, a credentials file a few
// hundred bytes, an STS or IMDS answer a few KiB.
const (
	maxSharedFileBytes = 1 << 20
	maxHTTPBodyBytes   = 1 << 20
)

// checkRegular returns an error unless path is a regular file of at most
// max bytes (symlinks are followed, as every reader follows them). A missing
// file keeps its fs.ErrNotExist so callers can treat absence as absence.
func checkRegular(path string, max int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return judgeFileInfo(path, fi, max)
}

func judgeFileInfo(path string, fi fs.FileInfo, max int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file: reading it could block or never end", path, fileKind(fi.Mode()))
	}
	if fi.Size() > max {
		return fmt.Errorf("%s is %d bytes, over the %d-byte limit", path, fi.Size(), max)
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// readBounded reads a whole file of at most max bytes after checkRegular.
// The open is non-blocking, so a file swapped for a FIFO after the check
// cannot block it, and the opened file is checked again before reading.
// A permission error keeps fs.ErrPermission.
func readBounded(path string, max int64) ([]byte, error) {
	if err := checkRegular(path, max); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if err := judgeFileInfo(path, fi, max); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(file, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s grew past the %d-byte limit while being read", path, max)
	}
	return b, nil
}

// boundedTokenFile replaces the SDK's stscreds.IdentityTokenFile, which reads
// the token with os.ReadFile: a FIFO blocks it, /dev/zero exhausts memory and
// a 70 MB file is POSTed whole to STS.
type boundedTokenFile string

// GetIdentityToken reads the token through the guard.
func (p boundedTokenFile) GetIdentityToken() ([]byte, error) {
	return readBounded(string(p), maxTokenBytes)
}

// boundedAuthToken replaces the SDK's reader of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (os.ReadFile on every retrieval).
func boundedAuthToken(path string) endpointcreds.AuthTokenProvider {
	return endpointcreds.TokenProviderFunc(func() (string, error) {
		b, err := readBounded(path, maxTokenBytes)
		return string(b), err
	})
}

// errBodyTooLarge is returned by a body read past maxHTTPBodyBytes.
var errBodyTooLarge = fmt.Errorf("response body exceeds %d bytes", maxHTTPBodyBytes)

// boundedClient caps every response body its inner client returns.
type boundedClient struct {
	inner interface {
		Do(*http.Request) (*http.Response, error)
	}
	max int64
}

var _ imds.HTTPClient = boundedClient{}

// Do sends the request and wraps the response body in a limit.
func (c boundedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &cappedBody{rc: resp.Body, left: c.max}
	}
	return resp, err
}

// bounded wraps a client so no response body is read past maxHTTPBodyBytes.
func bounded(inner interface {
	Do(*http.Request) (*http.Response, error)
}) boundedClient {
	return boundedClient{inner: inner, max: maxHTTPBodyBytes}
}

// cappedBody fails a read once more than left bytes were asked of it.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

// Read reads at most the remaining allowance; past it, errBodyTooLarge.
func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the cap from a longer one.
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

// Close closes the underlying body.
func (b *cappedBody) Close() error { return b.rc.Close() }
