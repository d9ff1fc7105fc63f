package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/soak"
)

func TestSoakFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantModes []string
		check     func(t *testing.T, f soakFlags)
	}{
		{
			name: "defaults", wantModes: []string{soak.DocIDOffset, soak.DocIDKey},
			check: func(t *testing.T, f soakFlags) {
				want := soak.DefaultFaults()
				if f.cfg.N != 200000 || f.cfg.Kills != 2 || !f.cfg.EvictKilled || f.cfg.Faults != want {
					t.Errorf("cfg = %+v, want N 200000, 2 kills, eviction, faults %+v", f.cfg, want)
				}
			},
		},
		{
			name: "one mode, no kills, no faults",
			args: []string{"-n", "500", "--doc-id", "key", "--kills", "0", "--wait-session",
				"--fault-item-429", "0", "--fault-request-503", "0", "--fault-request-502", "0",
				"--fault-request-504", "0", "--fault-reset", "0", "--latency", "0"},
			wantModes: []string{soak.DocIDKey},
			check: func(t *testing.T, f soakFlags) {
				if f.cfg.N != 500 || f.cfg.Kills >= 0 || f.cfg.EvictKilled || f.cfg.Faults != (esnode.Faults{}) {
					t.Errorf("cfg = %+v, want N 500, no kills, no eviction, no faults", f.cfg)
				}
			},
		},
		{
			name: "custom faults", args: []string{"--doc-id", "offset", "--fault-reset", "0.2", "--latency", "5ms"},
			wantModes: []string{soak.DocIDOffset},
			check: func(t *testing.T, f soakFlags) {
				if f.cfg.Faults.Reset != 0.2 || f.cfg.Faults.Latency != 5*time.Millisecond || f.cfg.Faults.Item429 != 0.10 {
					t.Errorf("faults = %+v", f.cfg.Faults)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, modes, err := parseSoakFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(modes, ",") != strings.Join(tt.wantModes, ",") {
				t.Errorf("modes = %v, want %v", modes, tt.wantModes)
			}
			tt.check(t, f)
		})
	}
}

func TestSoakUsage(t *testing.T) {
	tests := [][]string{
		{"--doc-id", "none"},
		{"-n", "0"},
		{"extra"},
	}
	for _, args := range tests {
		err := runSoak(t.Context(), args, io.Discard, io.Discard)
		var ec *exitCodeError
		if !errors.As(err, &ec) || ec.code != 2 {
			t.Errorf("soak %q = %v, want exit code 2", args, err)
		}
	}
	if err := runSoak(t.Context(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("soak -h = %v, want flag.ErrHelp", err)
	}
}

// TestSoakReportsConsumerFailure runs the command against a consumer
// binary that does not exist: it must fail with exit status 1 and print no
// summary line, since nothing was checked.
func TestSoakReportsConsumerFailure(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "no-such-esconnect")
	err := runSoak(t.Context(), []string{"-n", "10", "--doc-id", "offset", "--binary", missing, "--timeout", "30s"}, &stdout, &stderr)
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != 1 {
		t.Fatalf("soak with a missing binary = %v, want exit code 1", err)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name the binary", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want no summary line", stdout.String())
	}
	if !strings.Contains(stderr.String(), "--seed") {
		t.Errorf("stderr %q does not print the seed", stderr.String())
	}
}
