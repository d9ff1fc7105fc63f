package platform

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

func TestLambdaHandlerInvoke(t *testing.T) {
	tests := []struct {
		name     string
		h        Handler
		wantBody string
		wantType string
	}{
		{"result as JSON", func(context.Context, []byte) (any, error) {
			return map[string]any{"batchItemFailures": []any{}}, nil
		}, `{"batchItemFailures":[]}`, ""},
		{"typed error", func(context.Context, []byte) (any, error) { return nil, configError{} }, "", "ConfigError"},
		{"unencodable result", func(context.Context, []byte) (any, error) { return math.Inf(1), nil }, "", TypeResultEncoding},
		{"panic", func(context.Context, []byte) (any, error) { panic("boom") }, "", TypePanic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := lambdaHandler{h: tt.h, log: discardLog()}.Invoke(t.Context(), nil)
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				assertJSON(t, body, tt.wantBody)
				return
			}
			// aws-lambda-go keeps the type only for this exact value type.
			var ie messages.InvokeResponse_Error
			if !errors.As(err, &ie) || ie.Type != tt.wantType {
				t.Fatalf("Invoke error = %#v, want InvokeResponse_Error of type %s", err, tt.wantType)
			}
		})
	}
}

func TestReportInitError(t *testing.T) {
	api := platformtest.NewRuntimeAPI(t)
	cause := errors.Join(errors.New("ES_URL: required but not set"), errors.New("PG_TABLES: required but not set"))
	if err := reportInitError(t.Context(), api.Addr(), cause); err != nil {
		t.Fatalf("reportInitError: %v", err)
	}
	o, err := api.InitError(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if o.Error.Type != TypeInitError || o.ErrorTypeHeader != TypeInitError {
		t.Fatalf("init error type = %q / header %q, want %s", o.Error.Type, o.ErrorTypeHeader, TypeInitError)
	}
	if !strings.Contains(o.Error.Message, "ES_URL") || !strings.Contains(o.Error.Message, "PG_TABLES") {
		t.Fatalf("init error message %q does not name every problem", o.Error.Message)
	}
}

func TestReportInitErrorUnreachable(t *testing.T) {
	// Port 1 on loopback is closed; the error must say where it tried.
	err := reportInitError(t.Context(), "127.0.0.1:1", errors.New("bad"))
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("reportInitError = %v, want an error naming the address", err)
	}
}
