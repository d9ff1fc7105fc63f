package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/esconnect/esconnect/shared/demo"
)

// The demo itself is tested through the program make demo runs
// (cmd/esconnect-demo); here, that esconnect demo maps its errors to exit
// statuses.
func TestDemoFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{name: "unexpected argument", args: []string{"extra"}, wantCode: 2},
		{name: "unknown flag", args: []string{"--bogus"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runDemo(t.Context(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatal("runDemo succeeded")
			}
			var ec *exitCodeError
			if got := errors.As(err, &ec); got != (tt.wantCode != 0) || (got && ec.code != tt.wantCode) {
				t.Errorf("error = %v, want exit code %d", err, tt.wantCode)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

func TestDemoInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr bytes.Buffer
	err := runDemo(ctx, []string{"--ephemeral"}, &stdout, &stderr)
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != demo.ExitInterrupted {
		t.Fatalf("error = %v, want exit code %d", err, demo.ExitInterrupted)
	}
}
