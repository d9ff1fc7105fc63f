package esbulk

import (
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/esconnect/esconnect/shared/errtype"
)

// ErrIncomplete is wrapped by Write's error when some actions are still
// unresolved: their last failure was transient but the retry budget, the
// invocation deadline or the caller's context ran out first (or
// Elasticsearch stayed unreachable). The Report says which actions
// succeeded; Report.Unresolved lists the others.
var ErrIncomplete = errtype.New(errtype.ElasticsearchUnavailable, "bulk write incomplete")

// ErrForbidden is wrapped by Write's error when Elasticsearch refused some
// actions for the credentials or their privileges (401, or 403
// security_exception): a configuration problem of the deployment, not of
// the documents, so the caller must fail rather than dead-letter them.
// errors.Is also matches the actions' *ItemError (see ItemError.Forbidden).
var ErrForbidden = errtype.New(errtype.Forbidden, "elasticsearch refused the credentials or their privileges")

// ErrInvalidConfig is wrapped by New for a configuration it cannot use.
var ErrInvalidConfig = errtype.New(errtype.Config, "invalid bulk writer configuration")

// responseFilter asks Elasticsearch to leave out of bulk answers what the
// parser would skip anyway (_shards, _seq_no, _version... about two thirds
// of a healthy answer). Parsing does not depend on it: a node that ignores
// filter_path sends full items, which parse the same way.
const responseFilter = "took,items.*._id,items.*.status,items.*.result," +
	"items.*.error.type,items.*.error.reason,items.*.error.caused_by.type,items.*.error.caused_by.reason"

// Writer sends batches of actions with the bulk API. It is safe for
// concurrent use; each Write is independent.
type Writer struct {
	cfg   Config
	query string
	stats counters
	bufs  buffers
}

// New returns a Writer for cfg (see Config: its fields are used as they
// are, so start from DefaultConfig or LoadConfig).
func New(cfg Config) (*Writer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("filter_path", responseFilter)
	if cfg.Refresh != "false" {
		q.Set("refresh", cfg.Refresh)
	}
	return &Writer{cfg: cfg, query: q.Encode()}, nil
}

// Report is the result of one Write.
type Report struct {
	// Outcomes has one entry per action, at the action's index.
	Outcomes []Outcome
	// Requests counts the bulk requests sent.
	Requests int
	// Retries counts item re-sends: an action sent three times adds two.
	Retries int
	// Created, Updated, Noop, Deleted and NotFound count the successful
	// actions by Elasticsearch's result (NotFound: delete of a missing
	// document, which leaves the index as asked).
	Created, Updated, Noop, Deleted, NotFound int
	// Failed counts actions with an error: permanent rejections plus the
	// unresolved ones.
	Failed int
	// Took is the wall time of the Write.
	Took time.Duration
}

// Unresolved returns the indexes of the actions whose last failure was
// transient: they may or may not be stored, and re-sending them later is
// safe because ids and versions are deterministic.
func (r *Report) Unresolved() []int {
	var idx []int
	for i := range r.Outcomes {
		if e := r.Outcomes[i].Err; e != nil && e.Retriable {
			idx = append(idx, i)
		}
	}
	return idx
}

// Stats are cumulative counters over every Write of a Writer.
type Stats struct {
	Writes, Actions, Requests, Retries        int64
	Created, Updated, Noop, Deleted, NotFound int64
	Failed, Unresolved, BytesSent             int64
}

type counters struct {
	writes, actions, requests, retries        atomic.Int64
	created, updated, noop, deleted, notFound atomic.Int64
	failed, unresolved, bytesSent             atomic.Int64
}

// Stats returns a snapshot of the cumulative counters.
func (w *Writer) Stats() Stats {
	s := &w.stats
	return Stats{
		Writes: s.writes.Load(), Actions: s.actions.Load(), Requests: s.requests.Load(), Retries: s.retries.Load(),
		Created: s.created.Load(), Updated: s.updated.Load(), Noop: s.noop.Load(), Deleted: s.deleted.Load(),
		NotFound: s.notFound.Load(), Failed: s.failed.Load(), Unresolved: s.unresolved.Load(), BytesSent: s.bytesSent.Load(),
	}
}

// tally fills the report's counts from the outcomes and adds them to the
// cumulative stats; it returns the number of unresolved actions.
func (w *Writer) tally(rep *Report) int {
	unresolved := 0
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		if o.Err != nil {
			rep.Failed++
			if o.Err.Retriable {
				unresolved++
			}
			continue
		}
		switch o.Result {
		case "created":
			rep.Created++
		case "updated":
			rep.Updated++
		case "noop":
			rep.Noop++
		case "deleted":
			rep.Deleted++
		case "not_found":
			rep.NotFound++
		}
	}
	s := &w.stats
	s.writes.Add(1)
	s.actions.Add(int64(len(rep.Outcomes)))
	s.requests.Add(int64(rep.Requests))
	s.retries.Add(int64(rep.Retries))
	s.created.Add(int64(rep.Created))
	s.updated.Add(int64(rep.Updated))
	s.noop.Add(int64(rep.Noop))
	s.deleted.Add(int64(rep.Deleted))
	s.notFound.Add(int64(rep.NotFound))
	s.failed.Add(int64(rep.Failed))
	s.unresolved.Add(int64(unresolved))
	return unresolved
}
