package esbulk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/retry"
)

// Types of ItemError the writer reports for items Elasticsearch never
// answered.
const (
	typeTransport   = "transport_error"
	typeCertificate = "tls_certificate_error"
	typeCancelled   = "cancelled"
	typeTimeout     = "deadline_exceeded"
	typeBadResponse = "bad_response"
)

// Write sends actions and returns one Outcome per action, index-aligned.
//
// Items that fail transiently (see the package documentation) are re-sent,
// alone, in retry rounds after a backoff, at most RetryMax times and never
// past ctx's deadline minus DeadlineMargin. Permanent failures are reported
// in their Outcome and do not make Write fail: the caller decides what a
// rejected document means. Write returns an error wrapping ErrIncomplete
// (and ctx's error when ctx ended) only when some actions are still
// unresolved, and one wrapping ErrForbidden when Elasticsearch refused some
// actions for the credentials or their privileges (those are not retried:
// another attempt with the same key gets the same answer); the Report is
// complete in every case.
func (w *Writer) Write(ctx context.Context, actions []Action) (Report, error) {
	start := time.Now()
	rep := Report{Outcomes: make([]Outcome, len(actions))}
	b, pending := newBatch(actions, rep.Outcomes, w.bufs.batch())
	defer b.release(&w.bufs)

	bctx, cancel := w.budget(ctx)
	defer cancel()

	var last *ItemError
	for round := 0; len(pending) > 0; round++ {
		if round > 0 {
			if round > w.cfg.RetryMax || (last != nil && last.Type == typeCertificate) {
				break
			}
			if !w.wait(ctx, bctx, round-1, len(pending), last) {
				break
			}
			rep.Retries += len(pending)
		}
		if bctx.Err() != nil {
			// The deadline or a cancellation came while the previous round
			// was answered: nothing may be sent any more.
			w.abandon(ctx, rep.Outcomes, pending)
			break
		}
		var requests int
		pending, last, requests = w.round(bctx, ctx, b, pending, rep.Outcomes)
		rep.Requests += requests
	}

	unresolved := w.tally(&rep)
	rep.Took = time.Since(start)
	forbidden := forbiddenError(rep.Outcomes)
	if unresolved == 0 {
		return rep, forbidden
	}
	cause := "retry budget exhausted"
	if last != nil {
		cause = last.Error()
	}
	err := fmt.Errorf("%w: %d of %d actions unresolved after %d requests (last failure %s)",
		ErrIncomplete, unresolved, len(actions), rep.Requests, cause)
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", err, ctx.Err())
	}
	if last != nil && last.Type == typeCertificate {
		err = fmt.Errorf("%w: %w", esclient.ErrCertificate, err)
	}
	if forbidden != nil {
		err = errors.Join(forbidden, err)
	}
	w.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "bulk write incomplete",
		slog.Int("unresolved", unresolved), slog.Int("actions", len(actions)),
		slog.Int("requests", rep.Requests), slog.String("last_failure", cause))
	return rep, err
}

// forbiddenError returns an error wrapping ErrForbidden that names the
// first refusal, or nil when no action was refused for its credentials.
func forbiddenError(outcomes []Outcome) error {
	n := 0
	var first *ItemError
	for i := range outcomes {
		if e := outcomes[i].Err; e != nil && e.Forbidden() {
			n++
			if first == nil {
				first = e
			}
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d of %d actions refused (status %d, %s): grant the privileges listed in docs/security.md",
		ErrForbidden, n, len(outcomes), first.Status, first.Error())
}

// budget derives the context requests run under: it ends DeadlineMargin
// before ctx's deadline, so that the caller keeps that much time to act on
// the Report (publish dead letters, answer the platform).
func (w *Writer) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-w.cfg.DeadlineMargin))
	}
	return context.WithCancel(ctx)
}

// wait sleeps before retry round n and reports whether to go on: it refuses
// a wait that would end past the budget, since a retry that cannot be
// answered in time only delays the caller.
func (w *Writer) wait(ctx, bctx context.Context, n, items int, last *ItemError) bool {
	d := retry.Backoff(n, w.cfg.BackoffInitial, w.cfg.BackoffMax)
	if dl, ok := bctx.Deadline(); ok && time.Now().Add(d).After(dl) {
		return false
	}
	lastType := ""
	if last != nil {
		lastType = last.Type
	}
	w.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "bulk retry",
		slog.Int("round", n+1), slog.Int("items", items), slog.Duration("backoff", d), slog.String("last_failure", lastType))
	return retry.Sleep(bctx, d) == nil
}

// abandon marks items that will not be sent again as unresolved with the
// reason the context gives, keeping an earlier transient failure when the
// item had one (it is the more useful explanation).
func (w *Writer) abandon(ctx context.Context, outcomes []Outcome, idx []int) {
	e := contextError(ctx)
	for _, i := range idx {
		if outcomes[i].Err == nil || !outcomes[i].Err.Retriable {
			outcomes[i].Err = e
		}
	}
}

// contextError explains why a request ended with its context: the caller's
// cancellation, the caller's deadline, or the writer's own margin before it.
func contextError(ctx context.Context) *ItemError {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return &ItemError{Type: typeCancelled, Reason: "the caller cancelled the write", Retriable: true}
	case ctx.Err() != nil:
		return &ItemError{Type: typeTimeout, Reason: "the caller's deadline passed", Retriable: true}
	}
	return &ItemError{Type: typeTimeout, Reason: "no time left before the invocation deadline margin", Retriable: true}
}

// round sends pending in chunks over at most Concurrency parallel requests
// and returns the items to retry, the last transient failure seen and the
// number of requests made. Outcomes of distinct items are written by
// distinct goroutines, so the slice needs no lock; the per-worker retry
// lists are merged after every worker has finished.
func (w *Writer) round(bctx, ctx context.Context, b *batch, pending []int, outcomes []Outcome) ([]int, *ItemError, int) {
	chunks := b.chunks(pending, w.cfg.MaxBytes, w.cfg.MaxDocs)
	workers := min(w.cfg.Concurrency, len(chunks))
	work := make(chan []int)
	results := make([]roundResult, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			mem := w.bufs.sender()
			s := sender{w: w, b: b, outcomes: outcomes, ctx: ctx, res: &results[k], resp: mem.resp, items: mem.items}
			for chunk := range work {
				s.send(bctx, chunk)
			}
			mem.resp, mem.items = s.resp, s.items
			w.bufs.putSender(mem)
		})
	}
	for _, c := range chunks {
		work <- c
	}
	close(work)
	wg.Wait()

	var retry []int
	var last *ItemError
	requests := 0
	for _, r := range results {
		retry = append(retry, r.retry...)
		requests += r.requests
		if r.last != nil {
			last = r.last
		}
	}
	// Sorted retries keep the original order of a partition's messages
	// and let consecutive survivors share one slice of the encoded batch.
	slices.Sort(retry)
	return retry, last, requests
}

// roundResult is one worker's share of a round.
type roundResult struct {
	retry    []int
	last     *ItemError
	requests int
}
