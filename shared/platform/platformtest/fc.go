package platformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// StartFC starts bin as Function Compute would (FC_FUNCTION_NAME set), bound
// to 127.0.0.1 on a free port, waits until it listens and returns the
// process and its base URL. env adds to or overrides the FC variables.
func StartFC(ctx context.Context, tb testing.TB, bin string, env map[string]string) (*Process, string) {
	tb.Helper()
	full := map[string]string{
		"FC_FUNCTION_NAME":      "test-function",
		"FC_RUNTIME":            "custom.debian10",
		"FC_CUSTOM_LISTEN_PORT": "0",
		"LISTEN_HOST":           "127.0.0.1",
	}
	for k, v := range env {
		full[k] = v
	}
	p := Start(tb, bin, full)
	addr, err := ListeningAddr(ctx, p)
	if err != nil {
		tb.Fatalf("FC function did not start listening: %v\nstderr:\n%s", err, p.Stderr)
	}
	return p, "http://" + addr
}

// ListeningAddr waits for the function's "listening" log line and returns
// the address from it.
func ListeningAddr(ctx context.Context, p *Process) (string, error) {
	var rec struct {
		Msg  string `json:"msg"`
		Addr string `json:"addr"`
	}
	_, err := p.Stderr.WaitFor(ctx, func(line string) bool {
		return json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Addr != ""
	})
	return rec.Addr, err
}

// FCResponse is an answer of the custom runtime.
type FCResponse struct {
	Status   int
	FCStatus string
	Body     []byte
}

// InvokeFC posts payload to base/invoke with FC's request headers.
// timeoutSecs 0 leaves out x-fc-function-timeout.
func InvokeFC(ctx context.Context, base, requestID string, payload []byte, timeoutSecs int) (FCResponse, error) {
	return postFC(ctx, base+"/invoke", requestID, bytes.NewReader(payload), timeoutSecs)
}

// InitializeFC posts to base/initialize as FC does once per instance.
func InitializeFC(ctx context.Context, base, requestID string) (FCResponse, error) {
	return postFC(ctx, base+"/initialize", requestID, strings.NewReader(""), 0)
}

func postFC(ctx context.Context, url, requestID string, body io.Reader, timeoutSecs int) (FCResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return FCResponse{}, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("x-fc-request-id", requestID)
	req.Header.Set("x-fc-function-name", "test-function")
	req.Header.Set("x-fc-function-memory", "512")
	req.Header.Set("x-fc-function-handler", "not-used")
	req.Header.Set("x-fc-access-key-id", "STS.test-key-id")
	req.Header.Set("x-fc-access-key-secret", "test-key-secret")
	req.Header.Set("x-fc-security-token", "test-token")
	req.Header.Set("Content-Type", "application/octet-stream")
	if timeoutSecs > 0 {
		req.Header.Set("x-fc-function-timeout", strconv.Itoa(timeoutSecs))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return FCResponse{}, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return FCResponse{}, fmt.Errorf("reading the answer of %s: %w", url, err)
	}
	return FCResponse{Status: resp.StatusCode, FCStatus: resp.Header.Get("x-fc-status"), Body: b}, nil
}
