package platform

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestInvoke(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		payload  string
		timeout  time.Duration
		wantBody string
		wantErr  string // errorType of the *ErrorResponse
	}{
		{"aws echo", AWS, "hi", 0, `{"echo":"hi"}`, ""},
		{"fc echo", FC, "hi", 0, `{"echo":"hi"}`, ""},
		{"aws failure", AWS, "fail", 0, "", TypeFunctionError},
		{"fc failure", FC, "fail", 0, "", TypeFunctionError},
		{"aws deadline", AWS, "deadline", 20 * time.Second, `{"deadline":true,"remaining_s":20}`, ""},
		{"fc deadline rounds up to whole seconds", FC, "deadline", 1500 * time.Millisecond, `{"deadline":true,"remaining_s":2}`, ""},
		{"aws no deadline", AWS, "deadline", 0, `{"deadline":false}`, ""},
		{"aws context", AWS, "whoami", 0, `{"Platform":"aws","RequestID":"local-invoke"}`, ""},
		{"fc context", FC, "whoami", 0, `{"Platform":"fc","RequestID":"local-invoke"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marks := &syncBuffer{}
			body, err := Invoke(t.Context(), tt.kind, testHandler, []byte(tt.payload), tt.timeout, discardLog(), marks)
			if tt.wantErr != "" {
				var er *ErrorResponse
				if !errors.As(err, &er) || er.Type != tt.wantErr {
					t.Fatalf("Invoke error = %v, want an ErrorResponse of type %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			assertJSON(t, body, tt.wantBody)
			if tt.kind == FC && !strings.Contains(marks.String(), "FC Invoke End RequestId: "+LocalRequestID) {
				t.Fatalf("FC invoke wrote no marker lines: %q", marks)
			}
		})
	}
}

func TestInvokeFCPayloadCap(t *testing.T) {
	big := make([]byte, MaxPayloadBytes+1)
	_, err := Invoke(t.Context(), FC, testHandler, big, 0, discardLog(), io.Discard)
	var er *ErrorResponse
	if !errors.As(err, &er) || er.Type != TypePayloadTooLarge {
		t.Fatalf("Invoke error = %v, want %s", err, TypePayloadTooLarge)
	}
}

func TestInvokeUnknownPlatform(t *testing.T) {
	if _, err := Invoke(t.Context(), Kind("gcp"), testHandler, nil, 0, discardLog(), io.Discard); err == nil {
		t.Fatal("Invoke on an unknown platform succeeded")
	}
}
