package pgsync

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// BenchmarkIncremental runs incremental syncs over a table of a million rows
// of which 1,000 changed since the previous run, with a timestamp cursor and
// with xmin, and fails unless each run read exactly those 1,000 rows (the
// job's rows_read): the figure that matters is what a run reads, not how
// fast this machine is. The full sync that establishes the cursor writes
// into the blackhole esnode (storing a million documents would take the
// in-memory node minutes); its cursors, from its job record, are handed to
// a handler on a storing node, as a full sync on its own schedule hands
// them on.
func BenchmarkIncremental(b *testing.B) {
	const rows, changed = 1_000_000, 1_000
	conn := pgConnect(b)
	schema := testSchema(b, conn, `
CREATE TABLE big (id bigint PRIMARY KEY, name text, amount numeric(12,2), updated_at timestamptz NOT NULL);
INSERT INTO big SELECT i, 'customer ' || i, i * 0.37, timestamptz '2001-01-01' + i * interval '1 second'
  FROM generate_series(1, 1000000) AS i;
CREATE INDEX ON big (updated_at);
ANALYZE big;`)
	for _, cursor := range []string{"updated_at", CursorXmin} {
		b.Run("cursor="+cursor, func(b *testing.B) {
			edit := func(c *Config) {
				c.FetchSize = DefaultFetchSize
				c.Incremental = Incremental{Mode: SyncModeIncremental,
					Cursors: Cursors{Default: cursor}, CursorLag: DefaultSyncCursorLag}
			}
			full := benchHandler(b, esnode.Options{Blackhole: true}, schema, edit)
			job, err := full.Sync(b.Context(), TriggerOnDemand, nil)
			if err != nil || job.JobType != JobFull || job.Metadata.RowsRead != rows {
				b.Fatalf("full sync: %v %+v", err, job)
			}
			inc := benchHandler(b, esnode.Options{RefreshInterval: -1}, schema, edit)
			st := &cursorState{Type: cursorDocType, IndexName: inc.cfg.Index, Database: inc.cfg.Database, Schema: inc.cfg.Schema,
				JobID: job.ID, UpdatedAt: time.Now().UTC(), LastFullSyncAt: &job.StartedAt,
				Sources: map[string]storedCursor{"big": {Source: "big", Column: cursor, Value: job.Metadata.Cursors["big"].To}}}
			if err := inc.writeCursorState(b.Context(), st); err != nil {
				b.Fatal(err)
			}
			var read int64
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				pgExec(b, conn, "UPDATE "+schema+".big SET name = 'changed "+strings.Repeat("x", i%7)+
					"', updated_at = now() WHERE id % 1000 = 0")
				b.StartTimer()
				job, err := inc.Sync(b.Context(), TriggerOnDemand, nil)
				if err != nil || job.JobType != JobIncremental {
					b.Fatalf("incremental sync: %v %+v", err, job)
				}
				if job.Metadata.RowsRead != changed || job.IndexedDocumentCount != changed {
					b.Fatalf("incremental run read %d rows and indexed %d, want %d of %d",
						job.Metadata.RowsRead, job.IndexedDocumentCount, changed, rows)
				}
				read += job.Metadata.RowsRead
			}
			b.ReportMetric(float64(read)/float64(b.N), "rows-read/op")
		})
	}
}

func benchHandler(b *testing.B, opts esnode.Options, schema string, edit func(*Config)) *Handler {
	b.Helper()
	srv := esnodetest.Start(b, opts)
	env := config.FromMap(map[string]string{"ES_URL": srv.URL})
	cfg := testConfig(schema)
	cfg.Index = "bench-" + strings.ReplaceAll(schema, "_", "-")
	cfg.JobsIndex = "bench-jobs"
	cfg.DeadlineMargin = DefaultSyncDeadlineMargin
	cfg.Elasticsearch = esclient.LoadConfig(env)
	cfg.Bulk = esbulk.LoadConfig(env)
	edit(&cfg)
	h, closeFn, err := Open(b.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = closeFn() })
	return h
}
