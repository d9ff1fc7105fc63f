package platform

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/esconnect/esconnect/shared/errtype"
)

var syncFailed = errtype.Fallback(errtype.SyncFailed, "sync failed")

type configError struct{}

func (configError) Error() string     { return "ES_URL: required but not set" }
func (configError) ErrorType() string { return "ConfigError" }

func TestToErrorResponse(t *testing.T) {
	tests := []struct {
		name, wantType, wantMsg string
		err                     error
	}{
		{"plain", TypeFunctionError, "boom", errors.New("boom")},
		{"typed through wrapping", "ConfigError", "loading: ES_URL: required but not set", fmt.Errorf("loading: %w", configError{})},
		{"deadline", TypeDeadline, "bulk: context deadline exceeded", fmt.Errorf("bulk: %w", context.DeadlineExceeded)},
		{"canceled", TypeCanceled, "context canceled", context.Canceled},
		{"too large", TypePayloadTooLarge, "event payload too large", ErrPayloadTooLarge},
		{"already a response", "X", "y", fmt.Errorf("wrapped: %w", &ErrorResponse{Type: "X", Message: "y"})},
		{"first typed error wins", errtype.Forbidden, "refused: not confirmed",
			fmt.Errorf("%w: %w", errtype.New(errtype.Forbidden, "refused"), errtype.New(errtype.ElasticsearchUnavailable, "not confirmed"))},
		{"typed before the deadline", errtype.ElasticsearchUnavailable, "not confirmed: context deadline exceeded",
			fmt.Errorf("%w: %w", errtype.New(errtype.ElasticsearchUnavailable, "not confirmed"), context.DeadlineExceeded)},
		{"a fallback yields to a typed cause", errtype.PostgresUnavailable, "sync failed: connecting",
			fmt.Errorf("%w: %w", syncFailed, errtype.Wrap(errtype.PostgresUnavailable, errors.New("connecting")))},
		{"a fallback yields to the deadline", TypeDeadline, "sync failed: context deadline exceeded",
			fmt.Errorf("%w: %w", syncFailed, context.DeadlineExceeded)},
		{"a fallback alone", errtype.SyncFailed, "sync failed: boom", fmt.Errorf("%w: %w", syncFailed, errors.New("boom"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toErrorResponse(tt.err)
			if got.Type != tt.wantType || got.Message != tt.wantMsg {
				t.Fatalf("toErrorResponse = %+v, want type %q message %q", got, tt.wantType, tt.wantMsg)
			}
		})
	}
}

func TestCallRecoversPanic(t *testing.T) {
	h := func(context.Context, []byte) (any, error) { panic("nil map") }
	res, err := call(t.Context(), h, nil)
	if res != nil || err == nil {
		t.Fatalf("call = %v, %v; want an error", res, err)
	}
	if got := toErrorResponse(err).Type; got != TypePanic {
		t.Fatalf("error type = %q, want %q", got, TypePanic)
	}
}
