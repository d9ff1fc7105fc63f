// Package pgsync is the pg-es-sync engine: a full sync of PostgreSQL tables
// (or advanced-rule queries) into an Elasticsearch index with the semantics
// of Elastic's PostgreSQL connector. Rows are read from one REPEATABLE READ
// READ ONLY snapshot and streamed into bulk upserts; once every source was
// read, documents whose rows are gone are deleted; a job record with the
// counts goes to the jobs index and is the handler's response. One sync per
// (database, index) runs at a time, guarded by a PostgreSQL advisory lock.
package pgsync

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
)

// ErrSyncFailed is returned with a job that ended in status error, so the
// platform records a failed invocation; the job carries the reason.
var ErrSyncFailed = errtype.Fallback(errtype.SyncFailed, "sync failed")

// ErrNearDeadline is the cause of a sync stopped before the invocation
// deadline.
var ErrNearDeadline = errtype.New(errtype.Deadline, "stopped before the invocation deadline; nothing was deleted, the next run starts over")

// Handler runs syncs. It is safe for concurrent use; concurrent syncs of the
// same database into the same index skip each other through the lock.
type Handler struct {
	cfg      Config
	cc       *pgx.ConnConfig
	es       esapi.Transport
	bulk     *esbulk.Writer
	log      *slog.Logger
	hostname string
	// afterSnapshot, when set (by tests), runs once the run's snapshot is
	// taken, so a test can commit changes the run must not see.
	afterSnapshot func()
}

// cursorsOn reports whether runs measure and store cursors: in incremental
// mode, or in full mode when cursors are configured, so that a full sync on
// its own schedule hands its cursors to the incremental runs.
func (h *Handler) cursorsOn() bool {
	if h.cfg.Incremental.Mode == SyncModeIncremental || h.cfg.Incremental.Cursors.Set() {
		return true
	}
	for _, q := range h.cfg.Queries {
		if q.Cursor != "" {
			return true
		}
	}
	return false
}

// Open builds a handler from validated settings. It connects to nothing:
// each sync opens its own PostgreSQL session, so a long-idle function never
// reuses a connection a proxy has silently dropped. The returned close
// function releases the Elasticsearch client's idle connections.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Handler, func() error, error) {
	if log == nil {
		log = slog.Default()
	}
	cc, err := connConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	es, err := esclient.New(cfg.Elasticsearch)
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	bc := cfg.Bulk
	bc.Client, bc.Logger = es, log
	bulk, err := esbulk.New(bc)
	if err != nil {
		return nil, nil, fmt.Errorf("bulk writer: %w", err)
	}
	host, _ := os.Hostname()
	h := &Handler{cfg: cfg, cc: cc, es: es, bulk: bulk, log: log, hostname: host}
	closeFn := func() error {
		es.CloseIdleConnections()
		return nil
	}
	return h, closeFn, nil
}

// Handle runs a scheduled sync for a trigger payload: an EventBridge
// scheduled event, an FC timer event or an empty body. A sync that found
// another one running returns status skipped and no error; a failed sync
// returns its job and an error wrapping ErrSyncFailed.
func (h *Handler) Handle(ctx context.Context, payload []byte) (Job, error) {
	trig, err := ParseTrigger(payload)
	if err != nil {
		return Job{}, err
	}
	h.log.Info("scheduled sync", "trigger", trig.Source, "name", trig.Name, "time", trig.Time)
	return h.Sync(ctx, TriggerScheduled, nil)
}

// Progress is a snapshot of a running sync for progress displays and for
// the connector service's reports on a running job.
type Progress struct {
	TablesDone  int
	TablesTotal int
	// Source is the table or rule being read; "" once every source is read.
	Source string
	// Rows counts the rows read so far.
	Rows int64
	// IndexedDocumentCount, IndexedBytes and IndexedDocumentVolume (MiB,
	// rounded) count the documents Elasticsearch confirmed so far, as the
	// job's fields of the same names do at the end; DeletedDocumentCount
	// the documents of vanished rows deleted so far (none until every
	// source was read).
	IndexedDocumentCount  int64
	IndexedBytes          int64
	IndexedDocumentVolume int64
	DeletedDocumentCount  int64
	Elapsed               time.Duration
}

// runContext derives the context reading and writing run under: it ends
// DeadlineMargin before the invocation deadline, with ErrNearDeadline as the
// cause, leaving the margin to write the job record.
func (h *Handler) runContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, d.Add(-h.cfg.DeadlineMargin), ErrNearDeadline)
}
