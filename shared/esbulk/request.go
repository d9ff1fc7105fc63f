package esbulk

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/esconnect/esconnect/shared/esclient"
)

// maxErrorBody bounds how much of an error answer is read for its type and
// reason.
const maxErrorBody = 64 << 10

// ndjson is the media type of bulk bodies.
const ndjson = "application/x-ndjson"

// sender performs the requests of one worker of a round.
type sender struct {
	w        *Writer
	b        *batch
	outcomes []Outcome
	// ctx is the caller's context, to tell its cancellation apart from the
	// writer's own deadline margin when a request is cut short.
	ctx   context.Context
	res   *roundResult
	items []itemResult
	// resp is reused for the answers of this worker's requests.
	resp []byte
}

// maxPresize bounds the buffer allocated up front for an answer's announced
// length, so a wrong Content-Length cannot make the writer allocate wildly;
// a longer answer is still read, by growing the buffer.
const maxPresize = 64 << 20

// readAll appends r's content to dst, like io.ReadAll but into a buffer the
// caller reuses.
func readAll(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// send performs one bulk request for actions idx under ctx (the budget
// context) and records each item's outcome; a 413 for several actions is
// answered by sending each half on its own.
func (s *sender) send(ctx context.Context, idx []int) {
	if ctx.Err() != nil {
		s.failAll(idx, contextError(s.ctx))
		return
	}
	s.res.requests++
	for _, i := range idx {
		s.outcomes[i].Attempts++
	}
	bd := s.b.body(idx)
	// Closing the body when send returns guarantees that the transport
	// reads no document after Write returned (see body).
	defer bd.Close()
	s.w.stats.bytesSent.Add(int64(bd.n))
	path := "/_bulk"
	if s.w.query != "" {
		path += "?" + s.w.query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bd)
	if err != nil {
		s.failAll(idx, &ItemError{Type: typeTransport, Reason: err.Error()})
		return
	}
	// NewRequest only measures bodies of its own known types; the length
	// lets the node refuse an oversized body (413) before reading it.
	req.ContentLength = int64(bd.n)
	req.Header.Set("Content-Type", ndjson)
	res, err := s.w.cfg.Client.Perform(req)
	if err != nil {
		s.failAll(idx, s.transportError(ctx, err))
		return
	}
	defer func() {
		// Reading to the end lets the connection be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		res.Body.Close()
	}()

	switch {
	case res.StatusCode == http.StatusRequestEntityTooLarge && len(idx) > 1:
		mid := len(idx) / 2
		s.send(ctx, idx[:mid])
		s.send(ctx, idx[mid:])
	case res.StatusCode >= 300:
		body, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		typ, reason := parseErrorBody(body)
		if typ == "" {
			typ = "http_" + strconv.Itoa(res.StatusCode)
		}
		s.failAll(idx, &ItemError{
			Status: res.StatusCode, Type: typ, Reason: reason,
			// A 413 for a single action is that document being larger than
			// the node accepts: permanent.
			Retriable: retriableRequest(res.StatusCode, typ),
		})
	default:
		if cap(s.items) < len(idx) {
			s.items = make([]itemResult, len(idx))
		}
		s.items = s.items[:len(idx)]
		for k, i := range idx {
			s.items[k] = itemResult{ID: s.b.actions[i].ID}
		}
		if res.ContentLength > 0 && int64(cap(s.resp)) <= res.ContentLength && res.ContentLength <= maxPresize {
			// One allocation of the announced size (plus the byte that
			// lets the read see EOF without growing) instead of doubling,
			// with an eighth more, so that the next answer, a few bytes
			// longer (its took, its ids), fits too.
			s.resp = make([]byte, 0, res.ContentLength+res.ContentLength/8+1)
		}
		var err error
		if s.resp, err = readAll(s.resp[:0], res.Body); err != nil {
			s.failAll(idx, s.transportError(ctx, err))
			return
		}
		if _, err := parseBulkResponse(s.resp, s.items); err != nil {
			s.failAll(idx, s.badResponse(res.StatusCode, err.Error()))
			return
		}
		s.record(idx, res.StatusCode)
	}
}

// record applies a parsed answer to the outcomes of idx.
func (s *sender) record(idx []int, status int) {
	for k, i := range idx {
		if s.items[k].op != s.b.actions[i].Op.String() {
			// The answer is not for this request's actions in this order;
			// none of its items can be attributed safely.
			s.failAll(idx, s.badResponse(status, "item "+strconv.Itoa(k)+" answers "+
				strconv.Quote(s.items[k].op)+" for a "+s.b.actions[i].Op.String()+" action"))
			return
		}
	}
	for k, i := range idx {
		it, a, o := &s.items[k], &s.b.actions[i], &s.outcomes[i]
		o.Status, o.Result, o.Err = it.Status, it.Result, nil
		if it.ID != "" {
			o.ID = it.ID
		}
		switch classifyItem(a, it) {
		case permanent:
			o.Err = itemError(it, false)
		case retriable:
			o.Err = itemError(it, true)
			s.res.retry = append(s.res.retry, i)
			s.res.last = o.Err
		}
	}
}

func itemError(it *itemResult, retriable bool) *ItemError {
	e := &ItemError{Status: it.Status, Retriable: retriable}
	if it.Error != nil {
		e.Type, e.Reason = it.Error.Type, it.Error.reason()
	}
	if e.Type == "" {
		e.Type = "http_" + strconv.Itoa(it.Status)
	}
	return e
}

// badResponse is a request answered with something that is not a bulk
// answer. The items may or may not be stored; re-sending them is safe
// because writes are idempotent, so the failure counts as transient.
func (s *sender) badResponse(status int, reason string) *ItemError {
	s.w.cfg.Logger.LogAttrs(s.ctx, slog.LevelWarn, "malformed bulk response",
		slog.Int("status", status), slog.String("problem", reason))
	return &ItemError{Status: status, Type: typeBadResponse, Reason: reason, Retriable: true}
}

// transportError explains a request that got no answer. When a context
// ended it says which one rather than repeating "context canceled".
func (s *sender) transportError(ctx context.Context, err error) *ItemError {
	if ctx.Err() != nil {
		return contextError(s.ctx)
	}
	if cerr := esclient.CertificateError(err); cerr != nil {
		// Unresolved like any unanswered item, but Write sends no more
		// rounds: the same certificate would be refused again.
		return &ItemError{Type: typeCertificate, Reason: cerr.Error(), Retriable: true}
	}
	return &ItemError{Type: typeTransport, Reason: err.Error(), Retriable: true}
}

// failAll gives every item of idx the same error.
func (s *sender) failAll(idx []int, e *ItemError) {
	for _, i := range idx {
		o := &s.outcomes[i]
		o.Status, o.Result, o.Err = e.Status, "", e
	}
	if e.Retriable {
		s.res.retry = append(s.res.retry, idx...)
		s.res.last = e
	}
}
