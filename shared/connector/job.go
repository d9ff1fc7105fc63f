package connector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/esconnect/esconnect/shared/pgsync"
)

// Sync job statuses of the connector protocol.
const (
	jobPending    = "pending"
	jobInProgress = "in_progress"
	jobCanceling  = "canceling"
	jobCanceled   = "canceled"
	jobSuspended  = "suspended"
	jobCompleted  = "completed"
	jobError      = "error"
)

// errNotClaimable is a job that is no longer waiting to be run.
var errNotClaimable = errors.New("job is not pending")

// runPending claims and runs the connector's pending and suspended jobs,
// oldest first.
func (s *Service) runPending(ctx context.Context, res Result) (Result, error) {
	var jobs []map[string]any
	for _, status := range []string{jobPending, jobSuspended} {
		list, err := s.api.listJobs(ctx, s.cfg.ConnectorID, status)
		if err != nil {
			return res, err
		}
		jobs = append(jobs, list...)
	}
	var failed error
	for _, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		id := str(job["id"])
		err := s.claim(ctx, id)
		if errors.Is(err, errConflict) || errors.Is(err, errNotClaimable) {
			s.log.Info("job taken by another service", "job", id)
			continue
		}
		if err != nil {
			return res, err
		}
		out := s.runJob(ctx, id)
		res.Jobs = append(res.Jobs, out)
		if out.Status == jobError {
			res.Status, res.Error = "error", out.Error
			failed = errors.Join(failed, fmt.Errorf("%w: %s: %s", ErrJobFailed, id, out.Error))
		} else {
			res.Status, res.Error = "connected", ""
		}
	}
	return res, failed
}

// claim marks a pending or suspended job in_progress for this worker. The
// write is conditional on the sequence number read, so when two services
// claim the same job one write wins and the other gets errConflict. (The
// _claim endpoint sets the same fields but checks nothing.)
func (s *Service) claim(ctx context.Context, id string) error {
	doc, seq, err := s.api.getDoc(ctx, syncJobsIndex, id)
	if err != nil {
		return err
	}
	if st := str(doc["status"]); st != jobPending && st != jobSuspended {
		return fmt.Errorf("%w: %s", errNotClaimable, st)
	}
	now := s.stamp()
	return s.api.updateDoc(ctx, syncJobsIndex, id, map[string]any{
		"status": jobInProgress, "started_at": now, "last_seen": now, "worker_hostname": s.cfg.Hostname,
	}, &seq)
}

// runJob runs a claimed job to its end and records it.
func (s *Service) runJob(ctx context.Context, id string) JobOutcome {
	log := s.log.With("job", id)
	out := JobOutcome{ID: id}
	// The job's own record of the connector is what this job syncs.
	job, err := s.api.getJob(ctx, id)
	if err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	if jt := str(job["job_type"]); jt != "full" {
		return s.finish(ctx, id, out, jobError, fmt.Errorf("%s syncs are not supported: pg-es-sync runs full syncs of PostgreSQL", jt), nil)
	}
	if err := s.api.updateConnectorDoc(ctx, s.cfg.ConnectorID, map[string]any{
		"status": "connected", "error": nil, "last_sync_status": jobInProgress, "last_sync_error": nil}, nil); err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	// The job's snapshot says where and what (index, sync rules); the
	// connection settings are the connector's current ones, which passed
	// the checks before the claim: a job that waited for a fixed
	// configuration runs with the fix.
	snap := mapOf(job["connector"])
	conn, err := s.api.getConnector(ctx, s.cfg.ConnectorID)
	if err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	fc, err := envFromConnector(s.cfg.Environ, str(snap["index_name"]), mapOf(conn["configuration"]), mapOf(snap["filtering"]))
	if err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	cfg, cleanup, err := fc.pgsyncSettings(s.cfg.Elasticsearch)
	if err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	defer cleanup()
	h, closeFn, err := pgsync.Open(ctx, cfg, log)
	if err != nil {
		return s.finish(ctx, id, out, jobError, err, nil)
	}
	defer func() { _ = closeFn() }()

	trigger := pgsync.TriggerOnDemand
	if str(job["trigger_method"]) == "scheduled" {
		trigger = pgsync.TriggerScheduled
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The engine's latest progress, which the watcher reports on the job.
	var live atomic.Pointer[pgsync.Progress]
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watch(runCtx, id, cancel, &live)
	}()
	log.Info("sync job started", "index", cfg.Index)
	result, err := h.Sync(runCtx, trigger, func(p pgsync.Progress) { live.Store(&p) })
	cancel(nil)
	<-watched

	status := jobCompleted
	switch {
	case errors.Is(context.Cause(runCtx), ErrCanceled):
		status, err = jobCanceled, nil
	case result.Status == pgsync.StatusSkipped:
		// Another sync of the same database into the same index holds the
		// lock; the job waits as suspended and the next run resumes it.
		status, err = jobSuspended, nil
	case err == nil && ctx.Err() != nil:
		status = jobSuspended
	case err != nil && ctx.Err() != nil && !errors.Is(err, pgsync.ErrNearDeadline):
		// The service is stopping: leave the job for the next run.
		status, err = jobSuspended, nil
	case err != nil:
		status = jobError
		if result.Error != nil {
			err = errors.New(*result.Error)
		}
	}
	return s.finish(ctx, id, out, status, err, &result)
}

// watch checks the job every poll interval while it runs: a cancelation
// request cancels the sync with ErrCanceled. Every report interval the job
// gets its counts so far (indexed_document_count, indexed_document_volume,
// deleted_document_count, and last_seen), or only a check-in before the
// engine reported anything, and the connector checks in: Elastic's service
// reports a running job's ingestion stats at the same interval, so Kibana
// shows a long sync's counts grow rather than only its end.
//
// The end of ctx stops the watcher between requests, never during one: a
// report whose request were cancelled on the client could still be applied
// by Elasticsearch after the job's final record, overwriting its counts
// with older ones. runJob waits for the watcher to return before it writes
// that record, so every report has been answered, and applied, by then.
func (s *Service) watch(ctx context.Context, id string, cancel context.CancelCauseFunc, live *atomic.Pointer[pgsync.Progress]) {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	lastReport := time.Now()
	req := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		if ctx.Err() != nil {
			return
		}
		job, err := s.api.getJob(req, id)
		if err != nil {
			s.log.Warn("reading the running job", "job", id, "error", err)
			continue
		}
		if st := str(job["status"]); st == jobCanceling || st == jobCanceled {
			s.log.Info("cancelation requested", "job", id)
			cancel(ErrCanceled)
			return
		}
		if time.Since(lastReport) >= s.cfg.ReportInterval {
			lastReport = time.Now()
			var err error
			if p := live.Load(); p != nil {
				err = s.api.reportJob(req, id, p.IndexedDocumentCount, p.IndexedDocumentVolume, p.DeletedDocumentCount)
			} else {
				err = s.api.checkInJob(req, id)
			}
			if err != nil {
				s.log.Warn("reporting on the running job", "job", id, "error", err)
			}
			_ = s.api.checkIn(req, s.cfg.ConnectorID)
		}
	}
}

// finish records how the job ended on the job (as Elastic's service
// terminates a job) and on the connector (its last_sync_* fields).
func (s *Service) finish(ctx context.Context, id string, out JobOutcome, status string, runErr error, result *pgsync.Job) JobOutcome {
	ctx = context.WithoutCancel(ctx)
	now := s.stamp()
	var msg any
	if runErr != nil {
		out.Error = runErr.Error()
		msg = out.Error
	}
	out.Status = status
	doc := map[string]any{"last_seen": now, "status": status, "error": msg}
	if status == jobCompleted || status == jobError || status == jobCanceled {
		doc["completed_at"] = now
	}
	if status == jobCanceled {
		doc["canceled_at"] = now
	}
	if result != nil {
		out.Indexed, out.Deleted = result.IndexedDocumentCount, result.DeletedDocumentCount
		doc["indexed_document_count"] = result.IndexedDocumentCount
		doc["indexed_document_volume"] = result.IndexedDocumentVolume
		doc["deleted_document_count"] = result.DeletedDocumentCount
		doc["total_document_count"] = result.TotalDocumentCount
		doc["metadata"] = map[string]any{
			"rows_read": result.Metadata.RowsRead, "indexed_bytes": result.Metadata.IndexedBytes,
			"rejected_document_count": result.Metadata.RejectedDocumentCount,
			"skipped_tables":          result.Metadata.SkippedTables, "tables": result.Connector.Tables,
			"duration_seconds": roundMillis(result.Metadata.DurationSeconds),
		}
	}
	log := s.log.With("job", id, "status", status)
	if err := s.api.updateDoc(ctx, syncJobsIndex, id, doc, nil); err != nil {
		log.Error("recording the job's end", "error", err)
	}
	connStatus := "connected"
	if status == jobError {
		connStatus = "error"
	}
	conn := map[string]any{"last_synced": now, "status": connStatus, "error": msg,
		"last_sync_status": status, "last_sync_error": msg}
	if status != jobSuspended {
		conn["last_indexed_document_count"] = out.Indexed
		conn["last_deleted_document_count"] = out.Deleted
	}
	if err := s.api.updateConnectorDoc(ctx, s.cfg.ConnectorID, conn, nil); err != nil {
		log.Error("recording the sync on the connector", "error", err)
	}
	if runErr != nil {
		log.Error("sync job ended", "error", out.Error)
	} else {
		log.Info("sync job ended", "indexed", out.Indexed, "deleted", out.Deleted)
	}
	return out
}

func roundMillis(s float64) float64 { return math.Round(s*1000) / 1000 }
