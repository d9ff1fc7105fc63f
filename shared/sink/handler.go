// Package sink is the kafka-es-sink handler: it turns one trigger payload of
// Kafka records into Elasticsearch documents and accounts for every record.
//
// decode -> (fetch overflow values) -> build actions -> bulk write ->
// dead-letter permanent failures -> Result. Success means every received
// record is indexed, dead-lettered or skipped by policy, and counted;
// anything else is an error so that the platform delivers the batch again.
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/errtype"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// Errors Handle returns, for branching on; the Result is filled in either way.
var (
	// ErrPayload reports a payload that is not a Kafka trigger payload at
	// all, so no record in it can be accounted for.
	ErrPayload = errtype.New(errtype.InvalidPayload, "unusable trigger payload")
	// ErrUnconfirmed reports records that Elasticsearch did not confirm
	// within the retry budget or the deadline.
	ErrUnconfirmed = errtype.New(errtype.ElasticsearchUnavailable, "records not confirmed by elasticsearch")
	// ErrDeadLetter reports that the dead-letter target did not acknowledge
	// the dead letters.
	ErrDeadLetter = errtype.New(errtype.DeadLetterUnavailable, "dead letters not written")
	// ErrRecordsFailed reports permanent record failures with ON_FAILURE=fail.
	ErrRecordsFailed = errtype.New(errtype.RecordsFailed, "records failed")
	// ErrNoPosition reports a record to hand back in a partial batch
	// response whose payload element had no topic, partition or offset:
	// no identifier names it without skipping it or rewinding the
	// partition, so the whole batch fails instead. It comes with
	// ErrRecordsFailed.
	ErrNoPosition = errors.New("failed record has no topic, partition or offset to report")
	// ErrOverflowFetch reports that overflow records could not be read from
	// Kafka for a reason that may pass (broker unreachable).
	ErrOverflowFetch = errtype.New(errtype.KafkaUnavailable, "overflow records not fetched")
	// ErrForbidden reports records Elasticsearch refused for the
	// credentials or their privileges (401, 403 security_exception); the
	// error wraps ErrUnconfirmed too. It is esbulk.ErrForbidden: a
	// deployment problem, so the records are neither dead-lettered, skipped
	// nor handed back, whatever ON_FAILURE says.
	ErrForbidden = esbulk.ErrForbidden
)

// Error types of failures that never reached Elasticsearch.
const (
	TypeDecode        = "decode_error"
	TypeBuild         = "build_error"
	TypeOverflowGone  = "overflow_gone"
	versionConflict   = "version_conflict_engine_exception"
	versionTypeExtern = "external"
)

// built is what the document builder made of a batch of records: every
// record is in exactly one of actions (via acted), skipped or failed.
type built struct {
	actions []esbulk.Action
	// acted[i] is the index in the input of the record behind actions[i].
	acted []int
	// skipped counts records a builder policy leaves out on purpose.
	skipped int
	// failed are the records that cannot become an action, for good.
	failed []pending
}

// build runs the document builder over a whole batch, so that every body
// lands in one buffer: the invocation's docs, which allocate nothing once a
// warm function's scratch space has grown to its batches.
func (h *Handler) build(recs []kafkaevent.Record, docs *msgdoc.Batch) built {
	h.buildMu.Lock()
	h.builder.BuildInto(docs, recs)
	h.buildMu.Unlock()
	out := built{actions: docs.Actions, acted: docs.ActionRecords, skipped: len(docs.Skipped)}
	for _, f := range docs.Failures {
		out.failed = append(out.failed, pending{rec: recs[f.Record], typ: string(f.Err.Type), reason: f.Err.Reason})
	}
	return out
}

// Handler is the kafka-es-sink handler. It is safe for concurrent use.
type Handler struct {
	cfg Config
	// builder turns records into actions. It caches index names and is
	// meant for one goroutine at a time: buildMu serialises only this
	// CPU-bound step, while concurrent invocations (the self-hosted
	// consumer's partitions) still overlap their bulk requests, which is
	// where the time goes.
	builder  *msgdoc.Builder
	buildMu  sync.Mutex
	bulk     *esbulk.Writer
	dlq      deadletter.Publisher
	fetcher  *overflowFetcher
	log      *slog.Logger
	decodeOp kafkaevent.DecodeOptions
	scratch  scratchPool
}

// Handle decodes one trigger payload and writes its records.
func (h *Handler) Handle(ctx context.Context, payload []byte) (Result, error) {
	start := time.Now()
	s := h.scratch.get()
	defer h.scratch.put(s)
	b := &s.event
	if err := kafkaevent.DecodeInto(b, payload, h.decodeOp); err != nil {
		res := Result{TookMS: time.Since(start).Milliseconds()}
		err = fmt.Errorf("%w: %w", ErrPayload, err)
		h.log.LogAttrs(ctx, slog.LevelError, "kafka-es-sink batch failed", slog.Any("result", res), slog.String("error", err.Error()))
		return res, err
	}
	return h.run(ctx, start, s, b.Records, b.Failures, b.Format == kafkaevent.FormatAWS)
}

// HandleRecords writes records that are already decoded (self-hosted
// consumer, replay). There is no partial batch response outside Lambda.
func (h *Handler) HandleRecords(ctx context.Context, recs []kafkaevent.Record) (Result, error) {
	s := h.scratch.get()
	defer h.scratch.put(s)
	return h.run(ctx, time.Now(), s, recs, nil, false)
}

// pending is a record that did not make it into Elasticsearch for good.
type pending struct {
	rec    kafkaevent.Record
	raw    []byte
	typ    string
	reason string
	status int
	// unplaced: the payload did not say where in Kafka the record is
	// (rec's topic, partition or offset are zero values).
	unplaced bool
}

func (h *Handler) run(ctx context.Context, start time.Time, s *scratch, recs []kafkaevent.Record, decodeFailures []kafkaevent.Failure, aws bool) (Result, error) {
	res := Result{Received: len(recs) + len(decodeFailures)}
	var permanent []pending
	for _, f := range decodeFailures {
		permanent = append(permanent, decodeFailure(f))
	}

	recs, gone, err := h.fetchOverflow(ctx, recs)
	if err != nil {
		return h.finish(ctx, start, res, err)
	}
	permanent = append(permanent, gone...)

	bt := h.build(recs, &s.docs)
	res.Skipped += bt.skipped
	permanent = append(permanent, bt.failed...)
	actions := bt.actions

	var unconfirmed, forbidden []pending
	var werr error
	if len(actions) > 0 {
		var rep esbulk.Report
		rep, werr = h.bulk.Write(ctx, actions)
		res.BulkRequests, res.Retries = rep.Requests, rep.Retries
		outcomes := rep.Outcomes
		for i, ri := range bt.acted {
			r := recs[ri]
			var o esbulk.Outcome
			if i < len(outcomes) {
				o = outcomes[i]
			}
			switch {
			case o.Err == nil && o.Result != "":
				res.count(o.Result)
			case o.Err == nil:
				// No answer for this item (the writer stopped early): it is
				// not confirmed, whatever the writer's error says.
				reason := "no answer from the bulk writer"
				if werr != nil {
					reason = werr.Error()
				}
				unconfirmed = append(unconfirmed, pending{rec: r, typ: "no_answer", reason: reason})
			case o.Err.Status == http.StatusConflict && o.Err.Type == versionConflict && actions[i].VersionType == versionTypeExtern:
				// DOC_ID=key writes with version=offset: a conflict means a
				// newer offset of this key is already stored, which is the
				// document we want to keep.
				res.Noop++
				res.Indexed++
			case o.Err.Forbidden():
				// Refused credentials or privileges are not the record's
				// fault: dead-lettering or skipping would drain the stream
				// out of Elasticsearch until the key is fixed.
				forbidden = append(forbidden, pending{rec: r, typ: o.Err.Type, reason: o.Err.Reason, status: o.Err.Status})
			case o.Err.Retriable:
				unconfirmed = append(unconfirmed, pending{rec: r, typ: o.Err.Type, reason: o.Err.Reason, status: o.Err.Status})
			default:
				permanent = append(permanent, pending{rec: r, typ: o.Err.Type, reason: o.Err.Reason, status: o.Err.Status})
			}
		}
	}
	partial := h.cfg.ReportBatchItemFailures && aws

	// The order below is what makes success mean "every record is stored
	// somewhere":
	//  1. The bulk write above has returned, so every indexed record is
	//     acknowledged by Elasticsearch, and every permanent failure is known.
	//  2. If Elasticsearch refused the credentials or privileges for some
	//     records, return an error naming that, before writing any dead
	//     letter: the records are fine, the deployment is not, and the
	//     platform's re-delivery after the fix stores them. Handing them back
	//     in a partial batch response would only hide the cause.
	//  3. If some records are unconfirmed (retry budget or deadline ran out)
	//     and they cannot be handed back individually, return an error now,
	//     before writing any dead letter: the platform re-delivers the whole
	//     batch, the indexed records are rewritten harmlessly under the same
	//     ids, and the permanent failures are dead-lettered on that attempt -
	//     writing them now too would only duplicate them on a Kafka target.
	//  4. Otherwise publish the dead letters and wait for the target's
	//     acknowledgement (acks=all, or Elasticsearch's bulk answer).
	//  5. Only then return success. If the target failed, return an error
	//     (or hand the records back in the partial batch response), so a
	//     record is never acknowledged to the platform while it exists only
	//     in this function's memory.
	if len(forbidden) > 0 {
		for _, p := range append(forbidden, unconfirmed...) {
			res.Failures = append(res.Failures, p.failure(OutcomeFailed))
		}
		first := forbidden[0]
		return h.finish(ctx, start, res, fmt.Errorf("%w: %w: %d of %d records refused, first %s: %d %s: %s; nothing was dead-lettered",
			ErrForbidden, ErrUnconfirmed, len(forbidden), res.Received, first.where(), first.status, first.typ, first.reason))
	}
	if len(unconfirmed) > 0 && !partial {
		for _, u := range unconfirmed {
			res.Failures = append(res.Failures, u.failure(OutcomeFailed))
		}
		first := unconfirmed[0]
		err := fmt.Errorf("%w: %d of %d, first %s: %s: %s", ErrUnconfirmed, len(unconfirmed), res.Received, first.where(), first.typ, first.reason)
		if errors.Is(werr, esclient.ErrCertificate) {
			err = fmt.Errorf("%w: %w", esclient.ErrCertificate, err)
		}
		return h.finish(ctx, start, res, err)
	}
	handBack := unconfirmed
	if len(permanent) > 0 {
		back, err := h.dispose(ctx, &res, permanent, partial)
		if err != nil {
			return h.finish(ctx, start, res, err)
		}
		handBack = append(handBack, back...)
	}
	if len(handBack) > 0 {
		// Lambda resumes each reported partition at the reported offset. A
		// record whose position the payload did not give cannot be
		// reported: a guessed offset could skip it or rewind the partition
		// (offset 0 is "from the start"), and a guessed partition names
		// records that were not failed. Failing the batch makes Lambda
		// deliver all of it again, which the deterministic ids make
		// harmless; no dead letter was acknowledged in this invocation.
		for _, p := range handBack {
			if p.unplaced {
				for _, q := range handBack {
					res.Failures = append(res.Failures, q.failure(OutcomeFailed))
				}
				return h.finish(ctx, start, res, fmt.Errorf("%w: %w (%s: %s); the whole batch is retried",
					ErrRecordsFailed, ErrNoPosition, p.typ, p.reason))
			}
		}
		fs := make([]Failure, 0, len(handBack))
		for _, p := range handBack {
			f := p.failure(OutcomeFailed)
			fs = append(fs, f)
			res.Failures = append(res.Failures, f)
		}
		res.Failed = len(handBack)
		res.BatchItemFailures = batchItemFailures(fs)
	}
	return h.finish(ctx, start, res, nil)
}

// dispose applies ON_FAILURE to the permanent failures. It returns the
// records to hand back in a partial batch response, or an error when they
// cannot be handed back.
func (h *Handler) dispose(ctx context.Context, res *Result, permanent []pending, partial bool) ([]pending, error) {
	switch h.cfg.OnFailure {
	case OnFailureLog:
		for _, p := range permanent {
			f := p.failure(OutcomeSkipped)
			res.Failures = append(res.Failures, f)
			res.Skipped++
			h.log.LogAttrs(ctx, slog.LevelWarn, "record skipped", slog.Any("failure", f))
		}
		return nil, nil
	case OnFailureDLQ:
		letters := make([]deadletter.Letter, 0, len(permanent))
		at := time.Now()
		for _, p := range permanent {
			letters = append(letters, deadletter.Letter{
				Record: p.rec, Raw: p.raw, Function: h.cfg.FunctionName, Time: at,
				Error: deadletter.Cause{Type: p.typ, Reason: p.reason, Status: p.status},
			})
		}
		if err := h.dlq.Publish(ctx, letters); err != nil {
			if partial {
				h.log.LogAttrs(ctx, slog.LevelError, "dead letters not written; records handed back", slog.String("error", err.Error()))
				return permanent, nil
			}
			for _, p := range permanent {
				res.Failures = append(res.Failures, p.failure(OutcomeFailed))
			}
			return nil, fmt.Errorf("%w: %d records: %w", ErrDeadLetter, len(permanent), err)
		}
		for _, p := range permanent {
			res.Failures = append(res.Failures, p.failure(OutcomeDeadLettered))
		}
		res.DeadLettered += len(permanent)
		return nil, nil
	}
	// ON_FAILURE=fail.
	if partial {
		return permanent, nil
	}
	names := make([]string, 0, min(len(permanent), maxNamedRecords))
	for _, p := range permanent[:min(len(permanent), maxNamedRecords)] {
		names = append(names, p.where()+" ("+p.typ+")")
	}
	for _, p := range permanent {
		res.Failures = append(res.Failures, p.failure(OutcomeFailed))
	}
	return nil, fmt.Errorf("%w: %d: %s", ErrRecordsFailed, len(permanent), strings.Join(names, ", "))
}

// maxNamedRecords bounds the records named in an error message.
const maxNamedRecords = 10

func (h *Handler) finish(ctx context.Context, start time.Time, res Result, err error) (Result, error) {
	res.TookMS = time.Since(start).Milliseconds()
	res.trimFailures()
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "kafka-es-sink batch failed", slog.Any("result", res), slog.String("error", err.Error()))
		return res, err
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "kafka-es-sink batch", slog.Any("result", res))
	return res, nil
}

func (r *Result) count(result string) {
	r.Indexed++
	switch result {
	case "created":
		r.Created++
	case "updated":
		r.Updated++
	case "noop":
		r.Noop++
	case "deleted", "not_found":
		// A delete of a missing document leaves the index as intended.
		r.Deleted++
	}
}

func decodeFailure(f kafkaevent.Failure) pending {
	p := pending{
		rec:    kafkaevent.Record{Topic: f.Topic, Partition: f.Partition, Offset: f.Offset},
		raw:    append([]byte(nil), f.Raw...),
		typ:    TypeDecode,
		reason: f.Err.Error(),
		// Lambda's identifier is "<topic>-<partition>" and an offset, so
		// all three must have been read.
		unplaced: f.Topic == "" || !f.HasPartition || !f.HasOffset,
	}
	var re *kafkaevent.RecordError
	if errors.As(f.Err, &re) {
		p.typ = string(re.Type)
	}
	return p
}

func (p pending) failure(outcome string) Failure {
	return failureOf(p.rec, p.typ, p.reason, p.status, outcome)
}

func (p pending) where() string {
	if p.unplaced {
		// Zero values would read as a real position (offset 0).
		return "a record without topic, partition or offset"
	}
	return fmt.Sprintf("%s-%d@%d", p.rec.Topic, p.rec.Partition, p.rec.Offset)
}
