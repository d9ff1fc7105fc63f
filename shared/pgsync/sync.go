package pgsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
)

// batchesInFlight is how many batches exist: one being filled by the reader,
// one being written, one queued between them, so reading and writing overlap
// and neither waits unless the other is slower.
const batchesInFlight = 3

// progressEvery is how often a progress callback is called.
const progressEvery = 500 * time.Millisecond

// Sync runs one full sync. trigger is TriggerScheduled or TriggerOnDemand;
// progress, when not nil, is called periodically from another goroutine
// while the sources are read and vanished rows deleted, and once at the end
// of that.
func (h *Handler) Sync(ctx context.Context, trigger string, progress func(Progress)) (Job, error) {
	start := time.Now().UTC()
	job := Job{
		ID: newJobID(), JobType: JobFull, TriggerMethod: trigger, Status: StatusInProgress,
		CreatedAt: start, StartedAt: start, LastSeen: start, WorkerHostname: h.hostname,
		Connector: Connector{IndexName: h.cfg.Index, ServiceType: "postgresql", Database: h.cfg.Database,
			Schema: h.cfg.Schema, Tables: []string{}},
		Metadata: Metadata{SkippedTables: []SkippedTable{}},
	}
	log := h.log.With("job", job.ID, "index", h.cfg.Index)

	runCtx, cancel := h.runContext(ctx)
	defer cancel()

	sess, err := openSessionWith(runCtx, h.cc, lockKey(h.cfg.Database, h.cfg.Index), h.cursorsOn())
	if errors.Is(err, ErrLocked) {
		log.Info("skipped: " + err.Error())
		job.finish(StatusSkipped, nil, time.Now().UTC())
		job.Error = nil
		return job, h.writeJob(ctx, &job)
	}
	if err != nil {
		return h.fail(ctx, &job, h.explain(runCtx, err))
	}
	defer sess.close(context.WithoutCancel(ctx))

	if err := h.writeJob(runCtx, &job); err != nil {
		// The job index cannot be written, so the record stays unwritten;
		// the returned job still says how the run ended.
		job.finish(StatusError, err, time.Now().UTC())
		return job, fmt.Errorf("%w: %w", ErrSyncFailed, err)
	}
	log.Info("sync started", "database", h.cfg.Database, "schema", h.cfg.Schema)
	if h.afterSnapshot != nil {
		h.afterSnapshot()
	}

	run := &syncRun{h: h, sess: sess, job: &job, progress: progress, start: start}
	if err := run.run(runCtx); err != nil {
		return h.fail(ctx, &job, h.explain(runCtx, err))
	}
	status := StatusCompleted
	var runErr error
	if job.Metadata.RejectedDocumentCount > 0 {
		status = StatusError
		runErr = fmt.Errorf("elasticsearch rejected %d documents for good (first: %s); the other documents were synced",
			job.Metadata.RejectedDocumentCount, run.firstRejection)
	}
	job.finish(status, runErr, time.Now().UTC())
	log.Info("sync ended", "status", job.Status, "indexed", job.IndexedDocumentCount,
		"deleted", job.DeletedDocumentCount, "rows_per_second", int64(job.Metadata.RowsPerSecond))
	if err := h.writeJob(ctx, &job); err != nil {
		return job, fmt.Errorf("%w: %w", ErrSyncFailed, err)
	}
	if runErr != nil {
		return job, fmt.Errorf("%w: %w", ErrSyncFailed, runErr)
	}
	return job, nil
}

// fail ends the job in status error and records it.
func (h *Handler) fail(ctx context.Context, job *Job, err error) (Job, error) {
	job.finish(StatusError, err, time.Now().UTC())
	h.log.Error("sync failed", "job", job.ID, "index", h.cfg.Index, "error", err)
	if werr := h.writeJob(ctx, job); werr != nil {
		h.log.Error("writing the job record", "job", job.ID, "error", werr)
	}
	return *job, fmt.Errorf("%w: %w", ErrSyncFailed, err)
}

// explain names the deadline as the reason when the run context ended for it.
func (h *Handler) explain(runCtx context.Context, err error) error {
	if errors.Is(context.Cause(runCtx), ErrNearDeadline) && !errors.Is(err, ErrNearDeadline) {
		return fmt.Errorf("%w (%s margin): %w", ErrNearDeadline, h.cfg.DeadlineMargin, err)
	}
	if errors.Is(err, ErrNearDeadline) {
		return fmt.Errorf("%w (%s margin)", ErrNearDeadline, h.cfg.DeadlineMargin)
	}
	return err
}

// writeJob indexes the job record under its id, replacing the previous
// state. Without a jobs index the caller keeps the record itself (the
// connector service writes it to the connector's sync job).
func (h *Handler) writeJob(ctx context.Context, job *Job) error {
	if h.cfg.JobsIndex == "" {
		return nil
	}
	body, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encoding the job record: %w", err)
	}
	rep, err := h.bulk.Write(ctx, []esbulk.Action{{Op: esbulk.OpIndex, Index: h.cfg.JobsIndex, ID: job.ID, Body: body}})
	if err != nil {
		return fmt.Errorf("writing the job record to %s: %w", h.cfg.JobsIndex, err)
	}
	if len(rep.Outcomes) == 1 && rep.Outcomes[0].Err != nil {
		return fmt.Errorf("writing the job record to %s: %w", h.cfg.JobsIndex, rep.Outcomes[0].Err)
	}
	return nil
}

// syncRun is the state of one sync between taking the lock and the final
// job record.
type syncRun struct {
	h              *Handler
	sess           *session
	job            *Job
	progress       func(Progress)
	start          time.Time
	firstRejection string
	state          progressState
}

// run reads every source into the index, then deletes the documents of
// vanished rows and counts the index.
func (r *syncRun) run(ctx context.Context) error {
	cfg := r.h.cfg
	idx := esIndex{es: r.h.es, name: cfg.Index}
	fields, err := idx.prepare(ctx)
	if err != nil {
		return err
	}
	all, err := r.sess.listTables(ctx, cfg.Schema)
	if err != nil {
		return err
	}
	sources, skipped, err := plan(cfg, all)
	if err != nil {
		return err
	}
	tables := syncedTables(sources)
	r.job.Connector.Tables = append([]string{}, tables...)
	r.job.Metadata.SkippedTables = append(r.job.Metadata.SkippedTables, skipped...)
	for _, s := range skipped {
		r.h.log.Warn("table skipped", "job", r.job.ID, "table", s.Table, "reason", s.Reason)
	}

	incremental, prev, err := r.planCursors(ctx, sources)
	if err != nil {
		return err
	}
	var seen *seenSet
	if incremental {
		r.job.JobType = JobIncremental
		for i, src := range sources {
			if sources[i], err = readFrom(src, cfg.Schema, prev.Sources[src.key], r.sess.snapshot); err != nil {
				return fmt.Errorf("%s: stored cursor: %w", src.label, err)
			}
		}
	} else {
		seen = newSeenSet(expectedRows(sources))
	}
	stopProgress := r.reportProgress(len(sources))
	defer stopProgress()
	if err := r.copyRows(ctx, sources, seen); err != nil {
		return err
	}
	// Every source was read in full. End the snapshot now rather than hold
	// it through the deletion; the connection, and the lock, stay.
	if _, err := r.sess.conn.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("closing the snapshot: %w", err)
	}

	if !incremental && len(tables) > 0 {
		seen.freeze()
		// Refresh so the search sees every document, including those a
		// previous run wrote just before it ended.
		if err := idx.refresh(ctx); err != nil {
			return err
		}
		del, err := deleteUnseen(ctx, idx, r.h.bulk, deletionQuery(fields, cfg.Database, cfg.Schema, tables), seen, &r.state.deleted)
		r.job.DeletedDocumentCount = del.deleted
		if del.rejected > 0 {
			r.job.Metadata.RejectedDocumentCount += del.rejected
			if r.firstRejection == "" {
				r.firstRejection = del.firstErr
			}
		}
		if err != nil {
			return err
		}
	}
	if err := idx.refresh(ctx); err != nil {
		return err
	}
	total, err := idx.count(ctx)
	if err != nil {
		return err
	}
	r.job.TotalDocumentCount = total
	if r.h.cursorsOn() {
		// Every source was read in full and every document acknowledged:
		// the next run may start from this run's cursors.
		return r.h.writeCursorState(ctx, r.newCursorState(prev, sources, !incremental))
	}
	return nil
}

// planCursors checks the cursors, records them in the job and says whether
// this run reads incrementally, with the stored state it reads from.
func (r *syncRun) planCursors(ctx context.Context, sources []source) (bool, *cursorState, error) {
	cfg := r.h.cfg
	if !r.h.cursorsOn() {
		return false, nil, nil
	}
	incremental := cfg.Incremental.Mode == SyncModeIncremental
	var missing []string
	for _, src := range sources {
		if src.cursor == "" {
			missing = append(missing, src.label)
		}
	}
	if incremental && len(missing) > 0 {
		return false, nil, fmt.Errorf("%s=%s: %w: no cursor for %s (give them table:column or table:%s in %s, or leave them out)",
			EnvSyncMode, SyncModeIncremental, ErrCursor, strings.Join(missing, ", "), CursorXmin, EnvSyncCursor)
	}
	if err := r.sess.checkCursorColumns(ctx, cfg.Schema, sources); err != nil {
		return false, nil, err
	}
	var prev *cursorState
	if incremental {
		var err error
		if prev, err = r.h.readCursorState(ctx); err != nil {
			return false, nil, err
		}
		if reason := r.fullReason(prev, sources); reason != "" {
			r.job.Metadata.FullSyncReason = reason
			incremental = false
		}
	}
	r.job.Metadata.Cursors = map[string]JobCursor{}
	for _, src := range sources {
		if src.cursor == "" {
			continue
		}
		jc := JobCursor{Column: src.cursor, To: r.cursorTo(src)}
		if incremental {
			from := prev.Sources[src.key].Value
			jc.From = &from
		}
		r.job.Metadata.Cursors[src.label] = jc
		if src.cursor != CursorXmin && !r.sess.bound.sees && r.job.Metadata.CursorWarning == "" {
			r.job.Metadata.CursorWarning = "the database role cannot see other roles' transactions (grant it pg_read_all_stats): " +
				"a row written by a transaction open longer than " + EnvSyncCursorLag + " when a run starts can be missed until the next full sync"
		}
	}
	return incremental, prev, nil
}

// writeTally is what the writer goroutine learned from the bulk reports.
type writeTally struct {
	indexed, bytes, rejected int64
	firstRejection           string
}

// copyRows runs the reader on this goroutine and the bulk writer on another,
// batches passing between them. The first error of either side stops both:
// the writer cancels the reader's context, and the reader closing full ends
// the writer.
func (r *syncRun) copyRows(ctx context.Context, sources []source, seen *seenSet) error {
	cfg := r.h.cfg
	free := make(chan *batch, batchesInFlight)
	full := make(chan *batch, batchesInFlight)
	for range batchesInFlight {
		free <- &batch{}
	}
	readCtx, stopRead := context.WithCancelCause(ctx)
	defer stopRead(nil)

	var (
		tally writeTally
		wErr  error
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var actions []esbulk.Action
		for b := range full {
			if wErr == nil {
				actions = b.actions(cfg.Index, actions)
				rep, err := r.h.bulk.Write(ctx, actions)
				tally.add(rep, actions)
				r.state.indexed.Store(tally.indexed)
				r.state.indexedBytes.Store(tally.bytes)
				if err != nil {
					wErr = fmt.Errorf("bulk indexing into %s: %w", cfg.Index, err)
					stopRead(wErr)
				}
			}
			free <- b
		}
	}()

	rd := &reader{sess: r.sess, cfg: cfg, timestamp: r.start.Format(time.RFC3339Nano), log: r.h.log,
		seen: seen, free: free, full: full}
	r.reading(rd)
	var rErr error
	for i, src := range sources {
		r.current(i, src.label)
		if _, rErr = rd.read(readCtx, src); rErr != nil {
			break
		}
	}
	if rErr == nil {
		rErr = rd.flush(readCtx)
	}
	close(full)
	wg.Wait()
	r.current(len(sources), "")

	r.job.IndexedDocumentCount = tally.indexed
	r.job.Metadata.IndexedBytes = tally.bytes
	r.job.Metadata.RejectedDocumentCount = tally.rejected
	r.job.Metadata.RowsRead = rd.rows.Load()
	r.firstRejection = tally.firstRejection
	if wErr != nil {
		return wErr
	}
	return rErr
}

// add counts a bulk report: bytes are those of the documents stored.
func (t *writeTally) add(rep esbulk.Report, actions []esbulk.Action) {
	for i, o := range rep.Outcomes {
		switch {
		case o.Err == nil:
			t.indexed++
			t.bytes += int64(len(actions[i].Body))
		case !o.Err.Retriable:
			t.rejected++
			if t.firstRejection == "" {
				t.firstRejection = actions[i].ID + ": " + o.Err.Error()
			}
		}
	}
}
