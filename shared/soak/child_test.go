package soak

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogWatch(t *testing.T) {
	var file bytes.Buffer
	lw := &logWatch{w: &file}
	lines := []string{
		`{"time":"t","level":"INFO","msg":"batch done","records":5}`,
		`{"time":"t","level":"ERROR","msg":"kafka-es-sink batch failed","error":"unconfirmed"}`,
		`not json at all`,
		`{"time":"t","level":"ERROR","msg":"partition stopped; restart after fixing the cause","error":"x"}`,
	}
	all := strings.Join(lines, "\n") + "\n"
	// Split mid-line, as a pipe does.
	for _, chunk := range []string{all[:20], all[20:130], all[130:]} {
		if _, err := lw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if file.String() != all {
		t.Errorf("file got %q", file.String())
	}
	if got := lw.errorLines(); len(got) != 2 || got[0] != lines[1] || got[1] != lines[3] {
		t.Errorf("error lines = %q", got)
	}
	if lw.stoppedLine() != lines[3] {
		t.Errorf("stopped line = %q", lw.stoppedLine())
	}

	// Only the last few error lines are kept.
	lw = &logWatch{w: &bytes.Buffer{}}
	for range keptErrorLines + 3 {
		lw.Write([]byte(lines[1] + "\n"))
	}
	if n := len(lw.errorLines()); n != keptErrorLines || lw.stoppedLine() != "" {
		t.Errorf("kept %d lines, stopped %q", n, lw.stoppedLine())
	}
}

// script writes an executable shell script into a temporary directory.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "child.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChildKillAndStop(t *testing.T) {
	tests := []struct {
		name string
		body string
		end  func(t *testing.T, c *child)
	}{
		{
			name: "SIGKILL",
			body: `echo '{"level":"INFO","msg":"consumer started"}' >&2; exec sleep 60`,
			end: func(t *testing.T, c *child) {
				c.kill()
				done, err := c.exited()
				var ee *exec.ExitError
				if !done || !errors.As(err, &ee) || ee.Success() {
					t.Errorf("after kill: exited %t, err %v", done, err)
				}
			},
		},
		{
			name: "SIGTERM handled",
			body: `trap 'exit 0' TERM; echo '{"level":"INFO","msg":"consumer started"}' >&2; while :; do sleep 0.05; done`,
			end: func(t *testing.T, c *child) {
				if err := c.stop(); err != nil {
					t.Errorf("stop = %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logPath := filepath.Join(t.TempDir(), "c.log")
			c, err := startChild(t.Context(), script(t, tt.body), nil, []string{"PATH=" + os.Getenv("PATH")}, logPath)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.kill)
			waitLog(t, logPath, "consumer started")
			if done, _ := c.exited(); done {
				t.Fatal("child exited on its own")
			}
			tt.end(t, c)
		})
	}
}

// waitLog waits, bounded, until the log file holds want.
func waitLog(t *testing.T, path, want string) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(want)) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("log %s does not contain %q after 10s: %q", path, want, b)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot(t.Context(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("module root %s has no go.mod: %v", root, err)
	}
	if _, err := ModuleRoot(t.Context(), t.TempDir()); err == nil {
		t.Error("ModuleRoot outside a module succeeded")
	}
}
