package pgsync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// childEnv marks the test binary re-executed as a sync process, so that the
// benchmarks measure the sync's own peak RSS apart from the esnode's.
const childEnv = "ESCONNECT_PGSYNC_BENCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild runs one sync with settings from the environment, as `esconnect
// sync` does, and prints the job.
func runChild() int {
	cfg, err := LoadConfig(config.FromOS())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	h, closeFn, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer func() { _ = closeFn() }()
	job, err := h.Sync(context.Background(), TriggerOnDemand, nil)
	_ = json.NewEncoder(os.Stdout).Encode(job)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// BenchmarkSyncOnEsnode syncs a generated table of five typical columns into the
// blackhole esnode (the sync's own speed) and into the storing esnode, in a
// child process whose peak RSS is reported.
func BenchmarkSyncOnEsnode(b *testing.B) {
	blackhole, storing := esnode.Options{Blackhole: true}, esnode.Options{RefreshInterval: -1}
	// The storing node indexes about ten thousand documents a second on this
	// machine, so its cases mostly measure the node; they show that the
	// sync's own memory stays flat while the node stores everything.
	for _, c := range []struct {
		name string
		rows int
		opts esnode.Options
	}{
		{"blackhole/rows=100k", 100_000, blackhole},
		{"blackhole/rows=1M", 1_000_000, blackhole},
		{"storing/rows=100k", 100_000, storing},
		{"storing/rows=1M", 1_000_000, storing},
	} {
		b.Run(c.name, func(b *testing.B) { benchSync(b, c.rows, c.opts) })
	}
}

func benchSync(b *testing.B, rows int, opts esnode.Options) {
	conn := pgConnect(b)
	schema := testSchema(b, conn, fmt.Sprintf(`
CREATE TABLE gen (id bigint PRIMARY KEY, name text, amount numeric(12,2), created timestamptz, active boolean);
INSERT INTO gen SELECT i, 'customer ' || i, i * 0.37, timestamptz '2024-01-01' + i * interval '1 second', i %% 3 = 0
  FROM generate_series(1, %d) AS i;
ANALYZE gen;`, rows))
	srv := esnodetest.Start(b, opts)
	env := append(os.Environ(),
		childEnv+"=1", "PG_URL="+pgTestURL(), "PG_SCHEMA="+schema, "ES_URL="+srv.URL,
		"ES_INDEX=bench-"+strings.ReplaceAll(schema, "_", "-"), "SYNC_JOBS_INDEX=bench-jobs")
	b.ResetTimer()
	var (
		maxRSS       int64
		elapsed, cpu time.Duration
	)
	for range b.N {
		cmd := exec.Command(os.Args[0])
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("sync process: %v\n%s", err, errOut.String())
		}
		elapsed += time.Since(start)
		var job Job
		if err := json.Unmarshal(out.Bytes(), &job); err != nil || job.IndexedDocumentCount != int64(rows) {
			b.Fatalf("job %s (%v): want %d indexed", out.String(), err, rows)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
	// The sync process's own CPU time says what the sync costs even when the
	// machine is busy with the esnode, PostgreSQL and everything else.
	b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MiB")
	b.ReportMetric(0, "ns/op")
}

// TestChildProcessFlag keeps the child switch honest: without the variable
// the binary runs tests, with it a sync.
func TestChildProcessFlag(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Fatalf("%s leaked into the test environment", childEnv)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "PG_URL=", "PG_HOST=")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	cmd.Stdout = io.Discard
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(errOut.String(), "ES_INDEX") {
		t.Fatalf("child without settings: exit %d (%v), stderr %q", code, err, errOut.String())
	}
}
