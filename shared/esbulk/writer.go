package esbulk

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
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

// Config configures a Writer. Zero values take the defaults of
// config.LoadBulk (the same constants), so a Config with only Client set
// behaves like an unconfigured deployment.
type Config struct {
	// Client sends the requests: an esclient.Transport, which makes one
	// attempt per request (the Writer retries, per item), or any other
	// esapi.Transport such as a *elasticsearch.Client built with its own
	// retries off.
	Client esapi.Transport
	// MaxBytes bounds a request body (default 5 MiB). A single action larger
	// than MaxBytes is sent alone rather than refused.
	MaxBytes int
	// MaxDocs bounds the actions in one request (default 1000).
	MaxDocs int
	// Concurrency is the number of requests in flight at once (default 2).
	Concurrency int
	// RetryMax is the number of times a failed item is re-sent (default 8;
	// negative means never re-send).
	RetryMax int
	// BackoffInitial and BackoffMax shape the wait before each retry round:
	// a random duration in [0, min(BackoffMax, BackoffInitial*2^round)]
	// (defaults 100ms and 10s).
	BackoffInitial, BackoffMax time.Duration
	// DeadlineMargin is kept free before the context's deadline: no request
	// is in flight and no retry waits after deadline-DeadlineMargin
	// (default 2s; negative means no margin).
	DeadlineMargin time.Duration
	// Refresh is the bulk refresh parameter: "" or "false" (default), "true",
	// "wait_for".
	Refresh string
	// Logger receives retry and give-up messages (default slog.Default()).
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxBytes == 0 {
		c.MaxBytes = config.DefaultBulkMaxBytes
	}
	if c.MaxDocs == 0 {
		c.MaxDocs = config.DefaultBulkMaxDocs
	}
	if c.Concurrency == 0 {
		c.Concurrency = config.DefaultBulkConcurrency
	}
	switch {
	case c.RetryMax == 0:
		c.RetryMax = config.DefaultRetryMax
	case c.RetryMax < 0:
		c.RetryMax = 0
	}
	if c.BackoffInitial == 0 {
		c.BackoffInitial = config.DefaultRetryBackoffInitial
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = max(config.DefaultRetryBackoffMax, c.BackoffInitial)
	}
	switch {
	case c.DeadlineMargin == 0:
		c.DeadlineMargin = config.DefaultDeadlineMargin
	case c.DeadlineMargin < 0:
		c.DeadlineMargin = 0
	}
	if c.Refresh == "" {
		c.Refresh = config.DefaultESRefresh
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("no elasticsearch client"))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("max bytes %d is negative", c.MaxBytes))
	}
	if c.MaxDocs < 0 {
		errs = append(errs, fmt.Errorf("max docs %d is negative", c.MaxDocs))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d is negative", c.Concurrency))
	}
	if c.BackoffInitial < 0 || c.BackoffMax < c.BackoffInitial {
		errs = append(errs, fmt.Errorf("backoff initial %s and max %s: need 0 < initial <= max", c.BackoffInitial, c.BackoffMax))
	}
	switch c.Refresh {
	case "false", "true", "wait_for":
	default:
		errs = append(errs, fmt.Errorf("refresh %q is not false, true or wait_for", c.Refresh))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

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

// New returns a Writer for cfg, with zero fields set to their defaults.
func New(cfg Config) (*Writer, error) {
	cfg.defaults()
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

// NewFromSettings returns a Writer for the settings config.LoadBulk read.
// A RETRY_MAX or DEADLINE_MARGIN of 0 means none, as the variables say.
func NewFromSettings(c esapi.Transport, b config.Bulk, log *slog.Logger) (*Writer, error) {
	cfg := Config{
		Client: c, MaxBytes: b.MaxBytes, MaxDocs: b.MaxDocs, Concurrency: b.Concurrency,
		RetryMax: b.RetryMax, BackoffInitial: b.BackoffInitial, BackoffMax: b.BackoffMax,
		DeadlineMargin: b.DeadlineMargin, Refresh: b.Refresh, Logger: log,
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = -1
	}
	if cfg.DeadlineMargin == 0 {
		cfg.DeadlineMargin = -1
	}
	return New(cfg)
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
