package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// BuildFunc turns a record into its bulk action. skip reports a record that
// a policy leaves out on purpose; a non-nil err is a permanent failure of
// the record, errType its machine-readable kind for the dead letter.
type BuildFunc func(r kafkaevent.Record) (a esbulk.Action, skip bool, errType string, err error)

// WriteFunc sends actions with the bulk API, retrying what is retriable
// within its budget, and returns one outcome per action, index-aligned.
type WriteFunc func(ctx context.Context, actions []esbulk.Action) (WriteReport, error)

// WriteReport is what the handler needs from a bulk write.
type WriteReport struct {
	Outcomes []esbulk.Outcome
	// Requests and Retries feed Result.BulkRequests and Result.Retries.
	Requests, Retries int
}

// Deps are the handler's collaborators; Open builds them from settings.
type Deps struct {
	Build BuildFunc
	Write WriteFunc
	// DeadLetters is required when ON_FAILURE=dlq.
	DeadLetters deadletter.Publisher
	// Log receives one JSON-able line per invocation; nil discards.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrConfig reports settings or dependencies the handler cannot run with.
var ErrConfig = errtype.New(errtype.Config, "invalid kafka-es-sink setup")

// overflowDialTimeout bounds connecting to a broker for an overflow fetch.
const overflowDialTimeout = 10 * time.Second

// New returns a handler for cfg with the given dependencies.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.Build == nil {
		return nil, fmt.Errorf("%w: no document builder", ErrConfig)
	}
	return assemble(cfg, perRecord(deps.Build), deps)
}

// assemble checks the dependencies and wires the handler; build is the
// batch step (Open's msgdoc builder, or New's per-record function).
func assemble(cfg Config, build func([]kafkaevent.Record, *msgdoc.Batch) built, deps Deps) (*Handler, error) {
	var errs []error
	if deps.Write == nil {
		errs = append(errs, errors.New("no bulk writer"))
	}
	if cfg.OnFailure == OnFailureDLQ && deps.DeadLetters == nil {
		errs = append(errs, fmt.Errorf("%s=%s needs a dead-letter publisher", EnvOnFailure, OnFailureDLQ))
	}
	if cfg.FetchOverflow && len(cfg.KafkaBrokers) == 0 {
		errs = append(errs, fmt.Errorf("%s needs %s", EnvFetchOverflow, EnvKafkaBrokers))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	h := &Handler{
		cfg: cfg,
		p: pipeline{
			build: build,
			write: func(ctx context.Context, actions []esbulk.Action) ([]esbulk.Outcome, writeStats, error) {
				rep, err := deps.Write(ctx, actions)
				return rep.Outcomes, writeStats{requests: rep.Requests, retries: rep.Retries}, err
			},
		},
		dlq:      deps.DeadLetters,
		log:      deps.Log,
		now:      deps.Now,
		decodeOp: kafkaevent.DecodeOptions{Format: cfg.EventFormat, BinaryValues: cfg.EventBinaryValues},
	}
	if h.log == nil {
		h.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if h.now == nil {
		h.now = time.Now
	}
	if cfg.FetchOverflow {
		h.fetcher = newOverflowFetcher(cfg.KafkaBrokers, overflowDialTimeout)
	}
	return h, nil
}

// perRecord adapts a per-record BuildFunc to the pipeline's batch step.
func perRecord(f BuildFunc) func(recs []kafkaevent.Record, _ *msgdoc.Batch) built {
	return func(recs []kafkaevent.Record, _ *msgdoc.Batch) built {
		var b built
		for i, r := range recs {
			a, skip, typ, err := f(r)
			switch {
			case err != nil:
				b.failed = append(b.failed, pending{rec: r, typ: typ, reason: err.Error()})
			case skip:
				b.skipped++
			default:
				b.actions = append(b.actions, a)
				b.acted = append(b.acted, i)
			}
		}
		return b
	}
}
