package platformtest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/platform/runtimeapi"
)

// Outcome is what the function posted for one invocation (or for init).
type Outcome struct {
	// Response is the body of .../response; nil when the function failed.
	Response []byte
	// Error is the decoded body of .../error or /init/error.
	Error *ErrorBody
	// ErrorTypeHeader is the Lambda-Runtime-Function-Error-Type header.
	ErrorTypeHeader string
}

// ErrorBody is Lambda's error document.
type ErrorBody struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// RuntimeAPI is the Lambda Runtime API emulator of package runtimeapi for a
// test: stopped at cleanup, with results decoded into Outcomes.
type RuntimeAPI struct {
	*runtimeapi.Server
}

// NewRuntimeAPI starts the API on 127.0.0.1 and stops it at cleanup.
func NewRuntimeAPI(tb testing.TB) *RuntimeAPI {
	tb.Helper()
	s, err := runtimeapi.Start()
	if err != nil {
		tb.Fatal(err)
	}
	// Closing answers a blocked next, so a function still running ends.
	tb.Cleanup(func() { _ = s.Close() })
	return &RuntimeAPI{Server: s}
}

// Invoke queues payload with the given timeout and waits for the outcome.
func (a *RuntimeAPI) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (string, Outcome, error) {
	inv, err := a.Server.Invoke(ctx, payload, timeout)
	if err != nil {
		return "", Outcome{}, err
	}
	if inv.ErrorType == "" {
		return inv.ID, Outcome{Response: inv.Response}, nil
	}
	return inv.ID, failure(inv.ErrorType, inv.ErrorBody), nil
}

// InitError waits for the function to report an init error.
func (a *RuntimeAPI) InitError(ctx context.Context) (Outcome, error) {
	select {
	case <-a.InitErrorPosted():
		e, _ := a.Server.InitError()
		return failure(e.Type, e.Body), nil
	case <-ctx.Done():
		return Outcome{}, fmt.Errorf("waiting for an init error: %w", ctx.Err())
	}
}

func failure(header string, body []byte) Outcome {
	o := Outcome{ErrorTypeHeader: header, Error: &ErrorBody{}}
	if err := json.Unmarshal(body, o.Error); err != nil {
		o.Error = &ErrorBody{Message: "unreadable error body: " + string(body), Type: "TestDecodeError"}
	}
	return o
}
