package esbulk

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/config"
)

// Environment variables of the bulk writer.
const (
	EnvMaxBytes            = "BULK_MAX_BYTES"
	EnvMaxDocs             = "BULK_MAX_DOCS"
	EnvConcurrency         = "BULK_CONCURRENCY"
	EnvRetryMax            = "RETRY_MAX"
	EnvRetryBackoffInitial = "RETRY_BACKOFF_INITIAL"
	EnvRetryBackoffMax     = "RETRY_BACKOFF_MAX"
	EnvDeadlineMargin      = "DEADLINE_MARGIN"
	EnvRefresh             = "ES_REFRESH"
)

// Defaults of the bulk writer, in one place; DefaultConfig and LoadConfig
// take them from here.
const (
	// DefaultMaxBytes is Elastic's own guidance for bulk request size
	// (a few MiB to tens of MiB); 5 MiB also stays under the 6 MiB Lambda
	// payload that produced the batch, so one batch is one or two requests.
	DefaultMaxBytes = 5 << 20
	// DefaultMaxDocs caps requests of tiny documents, where per-item
	// work rather than bytes dominates the node's cost.
	DefaultMaxDocs = 1000
	// DefaultConcurrency keeps two requests in flight: enough to hide one
	// round trip, small enough not to trigger write-queue rejections on a
	// small cluster.
	DefaultConcurrency = 2
	// DefaultRetryMax re-sends a failed item up to 8 times; with the default
	// backoff the waits add up to about 25 s at most, which fits a typical
	// function timeout while riding out a short node restart.
	DefaultRetryMax = 8
	// DefaultBackoffInitial is the first backoff ceiling; it doubles per
	// retry (full jitter picks a wait in [0, ceiling]).
	DefaultBackoffInitial = 100 * time.Millisecond
	// DefaultBackoffMax caps the doubling so a late retry does not wait
	// longer than a node needs to shed a burst.
	DefaultBackoffMax = 10 * time.Second
	// DefaultDeadlineMargin is kept free before the invocation deadline when
	// the writer gives up retrying. It must cover what the handler still
	// does after the bulk write: publish dead letters (one Kafka produce or
	// one small bulk request, normally tens of milliseconds) and return its
	// result. 2 s covers that with room for one slow round trip, and is
	// small next to the usual 30 s-15 min function timeouts.
	DefaultDeadlineMargin = 2 * time.Second
	// DefaultRefresh does not ask for a refresh: refreshing on every bulk
	// request costs the cluster far more than the sink gains.
	DefaultRefresh = "false"
)

// Upper bounds of the variables, which catch unit mistakes (5GB instead of
// 5MB) at start-up.
const (
	maxBytesLimit       = 1 << 30
	maxDocsLimit        = 1_000_000
	maxConcurrencyLimit = 64
	maxRetriesLimit     = 1000
)

// Config configures a Writer. New uses every field as it is: start from
// DefaultConfig (or LoadConfig) and change what differs. A zero RetryMax
// means no re-sends and a zero DeadlineMargin no margin, as RETRY_MAX=0 and
// DEADLINE_MARGIN=0 say; a zero MaxBytes, MaxDocs, Concurrency or
// BackoffInitial is refused.
type Config struct {
	// Client sends the requests: an esclient.Transport, which makes one
	// attempt per request (the Writer retries, per item), or any other
	// esapi.Transport such as a *elasticsearch.Client built with its own
	// retries off. Neither DefaultConfig nor LoadConfig sets it.
	Client esapi.Transport
	// MaxBytes bounds a request body (BULK_MAX_BYTES). A single action
	// larger than MaxBytes is sent alone rather than refused.
	MaxBytes int
	// MaxDocs bounds the actions in one request (BULK_MAX_DOCS).
	MaxDocs int
	// Concurrency is the number of requests in flight at once
	// (BULK_CONCURRENCY).
	Concurrency int
	// RetryMax is the number of times a failed item is re-sent (RETRY_MAX);
	// 0 never re-sends.
	RetryMax int
	// BackoffInitial and BackoffMax shape the wait before each retry round:
	// a random duration in [0, min(BackoffMax, BackoffInitial*2^round)]
	// (RETRY_BACKOFF_INITIAL, RETRY_BACKOFF_MAX).
	BackoffInitial, BackoffMax time.Duration
	// DeadlineMargin is kept free before the context's deadline: no request
	// is in flight and no retry waits after deadline-DeadlineMargin
	// (DEADLINE_MARGIN); 0 keeps no margin.
	DeadlineMargin time.Duration
	// Refresh is the bulk refresh parameter (ES_REFRESH): "false", "true" or
	// "wait_for".
	Refresh string
	// Logger receives retry and give-up messages; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings of a deployment that sets none of the
// variables, without a Client.
func DefaultConfig() Config {
	return Config{
		MaxBytes:       DefaultMaxBytes,
		MaxDocs:        DefaultMaxDocs,
		Concurrency:    DefaultConcurrency,
		RetryMax:       DefaultRetryMax,
		BackoffInitial: DefaultBackoffInitial,
		BackoffMax:     DefaultBackoffMax,
		DeadlineMargin: DefaultDeadlineMargin,
		Refresh:        DefaultRefresh,
	}
}

// LoadConfig reads the bulk writer's settings, the defaults for those not
// set, and records every problem in e (see config.Env.Err). The caller sets
// Client and Logger.
func LoadConfig(e *config.Env) Config {
	d := DefaultConfig()
	c := Config{
		MaxBytes:       int(e.Bytes(EnvMaxBytes, int64(d.MaxBytes), 1, maxBytesLimit)),
		MaxDocs:        e.Int(EnvMaxDocs, d.MaxDocs, 1, maxDocsLimit),
		Concurrency:    e.Int(EnvConcurrency, d.Concurrency, 1, maxConcurrencyLimit),
		RetryMax:       e.Int(EnvRetryMax, d.RetryMax, 0, maxRetriesLimit),
		BackoffInitial: e.Duration(EnvRetryBackoffInitial, d.BackoffInitial),
		BackoffMax:     e.Duration(EnvRetryBackoffMax, d.BackoffMax),
		DeadlineMargin: e.Duration(EnvDeadlineMargin, d.DeadlineMargin),
		Refresh:        e.Enum(EnvRefresh, d.Refresh, "false", "true", "wait_for"),
	}
	if c.BackoffInitial == 0 {
		e.Fail(EnvRetryBackoffInitial, "must be positive")
	}
	if c.BackoffMax < c.BackoffInitial {
		e.Fail(EnvRetryBackoffMax, "%s is less than %s (%s)", c.BackoffMax, EnvRetryBackoffInitial, c.BackoffInitial)
	}
	return c
}

// validate reports every field New cannot use.
func (c *Config) validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("no elasticsearch client"))
	}
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("max bytes %d is not positive", c.MaxBytes))
	}
	if c.MaxDocs <= 0 {
		errs = append(errs, fmt.Errorf("max docs %d is not positive", c.MaxDocs))
	}
	if c.Concurrency <= 0 {
		errs = append(errs, fmt.Errorf("concurrency %d is not positive", c.Concurrency))
	}
	if c.RetryMax < 0 {
		errs = append(errs, fmt.Errorf("retry max %d is negative", c.RetryMax))
	}
	if c.BackoffInitial <= 0 || c.BackoffMax < c.BackoffInitial {
		errs = append(errs, fmt.Errorf("backoff initial %s and max %s: need 0 < initial <= max", c.BackoffInitial, c.BackoffMax))
	}
	if c.DeadlineMargin < 0 {
		errs = append(errs, fmt.Errorf("deadline margin %s is negative", c.DeadlineMargin))
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
