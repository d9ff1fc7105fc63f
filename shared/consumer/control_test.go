package consumer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/targettest"
)

func TestReadControl(t *testing.T) {
	tests := []struct {
		name     string
		contents *string
		paused   bool
		ok       bool
		wantErr  error
	}{
		{name: "missing file", contents: nil},
		{name: "paused", contents: ptr("paused\n"), paused: true, ok: true},
		{name: "running", contents: ptr("running"), ok: true},
		{name: "case and space", contents: ptr("  Paused \r\n"), paused: true, ok: true},
		{name: "empty", contents: ptr(""), wantErr: ErrControlFile},
		{name: "unknown word", contents: ptr("stop"), wantErr: ErrControlFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "control")
			if tt.contents != nil {
				writeControl(t, path, *tt.contents)
			}
			paused, ok, err := readControl(path)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if paused != tt.paused || ok != tt.ok {
				t.Fatalf("readControl = paused %v ok %v, want %v %v", paused, ok, tt.paused, tt.ok)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// writeControl replaces the file by renaming a complete new one over it, as
// an editor or `mv` does, so a poll never reads half a word.
func writeControl(t *testing.T, path, contents string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(contents), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchControlFileRejectsIntervals(t *testing.T) {
	c, err := New(Config{Brokers: []string{"127.0.0.1:1"}, Topics: []string{"t"}}, func(context.Context, []kafkaevent.Record) (any, error) { return nil, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range []time.Duration{0, time.Millisecond, 2 * time.Minute} {
		if err := c.WatchControlFile(t.Context(), filepath.Join(t.TempDir(), "c"), iv); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("interval %v: error %v, want ErrInvalidConfig", iv, err)
		}
	}
}

// TestControlFilePausesAndResumes drives a running consumer with the file
// alone: it starts paused because the file says so, resumes, pauses and
// resumes again, handling every record once; a deleted file and a word it
// does not know leave the state as it is.
func TestControlFilePausesAndResumes(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		const n = 10
		c := setup(t, k, 2)
		produce(t, c, 0, n)
		s := newStore()
		cons, err := New(testConfig(c), s.handler("a"), testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "control")
		writeControl(t, path, "paused\n")
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(cancel)
		if err := cons.WatchControlFile(ctx, path, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		stop := startConsumer(t, cons)
		waitState(t, cons, kafkaops.MemberPaused)
		assertIdleWhilePaused(t, cons, s, c, 0, 3)

		writeControl(t, path, "running\n")
		waitState(t, cons, kafkaops.MemberActive)
		s.waitDocs(t, n, 30*time.Second)
		waitCommitted(t, c, n)

		writeControl(t, path, "paused")
		waitState(t, cons, kafkaops.MemberPaused)
		produce(t, c, n, n)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		assertIdleWhilePaused(t, cons, s, c, n, 3)
		writeControl(t, path, "resume")
		assertIdleWhilePaused(t, cons, s, c, n, 3)

		writeControl(t, path, "running")
		s.waitDocs(t, 2*n, 30*time.Second)
		waitCommitted(t, c, 2*n)
		stop()
		assertExactlyOnce(t, s, 2*n)
	})
}
