package esbulk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrBadResponse is wrapped by the response parser when a bulk answer is not
// what Elasticsearch sends: not JSON, truncated, or with a different number
// of items than the request had actions.
var ErrBadResponse = errors.New("malformed bulk response")

// itemResult is the part of one bulk response item the writer needs.
type itemResult struct {
	op     string
	ID     string     `json:"_id"`
	Status int        `json:"status"`
	Result string     `json:"result"`
	Error  *errorBody `json:"error"`
}

// errorBody is an Elasticsearch error object. Error is sometimes a plain
// string on proxies and old endpoints; UnmarshalJSON accepts both.
type errorBody struct {
	Type     string
	Reason   string
	CausedBy *errorBody
}

func (e *errorBody) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &e.Reason)
	}
	var v struct {
		Type     string     `json:"type"`
		Reason   string     `json:"reason"`
		CausedBy *errorBody `json:"caused_by"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	e.Type, e.Reason, e.CausedBy = v.Type, v.Reason, v.CausedBy
	return nil
}

// reason joins the reason with the first cause, which for a
// document_parsing_exception names the offending value.
func (e *errorBody) reason() string {
	if e.CausedBy != nil && (e.CausedBy.Type != "" || e.CausedBy.Reason != "") {
		return e.Reason + " (caused by " + e.CausedBy.Type + ": " + e.CausedBy.Reason + ")"
	}
	return e.Reason
}

// parseBulkResponse decodes a bulk answer into dst, which must have one
// entry per action of the request, in request order. It streams: only the
// items array is walked, one item struct at a time, and every other
// top-level field is skipped, so a 5 MiB answer never becomes a map.
// It returns the number of milliseconds Elasticsearch reported in took.
func parseBulkResponse(r io.Reader, dst []itemResult) (took int64, err error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{', fixedPlace("response")); err != nil {
		return 0, err
	}
	sawItems := false
	for dec.More() {
		key, err := objectKey(dec, fixedPlace("response"))
		if err != nil {
			return 0, err
		}
		switch key {
		case "took":
			var n json.Number
			if err := dec.Decode(&n); err != nil {
				return 0, fmt.Errorf("%w: took: %w", ErrBadResponse, err)
			}
			took, _ = n.Int64()
		case "items":
			if err := parseItems(dec, dst); err != nil {
				return 0, err
			}
			sawItems = true
		default:
			// errors is not trusted (every item is read instead), and the
			// rest (ingest_took...) is not needed.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, fmt.Errorf("%w: %s: %w", ErrBadResponse, key, err)
			}
		}
	}
	if err := expectDelim(dec, '}', fixedPlace("response")); err != nil {
		return 0, err
	}
	if !sawItems {
		return 0, fmt.Errorf("%w: no items array", ErrBadResponse)
	}
	return took, nil
}

func parseItems(dec *json.Decoder, dst []itemResult) error {
	if err := expectDelim(dec, '[', fixedPlace("items")); err != nil {
		return err
	}
	n := 0
	for dec.More() {
		if n == len(dst) {
			return fmt.Errorf("%w: more items than the %d actions sent", ErrBadResponse, len(dst))
		}
		where := itemPlace(n)
		if err := expectDelim(dec, '{', where); err != nil {
			return err
		}
		op, err := objectKey(dec, where)
		if err != nil {
			return err
		}
		it := &dst[n]
		*it = itemResult{op: op}
		if err := dec.Decode(it); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadResponse, where, err)
		}
		if it.Status == 0 {
			return fmt.Errorf("%w: %s has no status", ErrBadResponse, where)
		}
		if err := expectDelim(dec, '}', where); err != nil {
			return err
		}
		n++
	}
	if err := expectDelim(dec, ']', fixedPlace("items")); err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("%w: %d items for %d actions", ErrBadResponse, n, len(dst))
	}
	return nil
}

// place names a position in the response for error messages. It is a
// Stringer so that the message for items[i] is only built on failure, not
// for each of the thousand items of a healthy answer.
type place interface{ String() string }

type fixedPlace string

func (p fixedPlace) String() string { return string(p) }

type itemPlace int

func (p itemPlace) String() string { return fmt.Sprintf("items[%d]", int(p)) }

func expectDelim(dec *json.Decoder, want json.Delim, where place) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %s: expected '%c': %w", ErrBadResponse, where, rune(want), eofAsUnexpected(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: %s: expected '%c', got %v", ErrBadResponse, where, rune(want), tok)
	}
	return nil
}

func objectKey(dec *json.Decoder, where place) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("%w: %s: expected a key: %w", ErrBadResponse, where, eofAsUnexpected(err))
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s: expected a key, got %v", ErrBadResponse, where, tok)
	}
	return key, nil
}

// eofAsUnexpected reports a body that ends early as truncated rather than as
// a clean end of input.
func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseErrorBody extracts type and reason from a request-level error answer,
// falling back to the start of the body (a proxy's HTML page, plain text).
func parseErrorBody(body []byte) (typ, reason string) {
	var env struct {
		Error *errorBody `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil && (env.Error.Type != "" || env.Error.Reason != "") {
		return env.Error.Type, env.Error.reason()
	}
	const maxReason = 200
	if len(body) > maxReason {
		return "", string(body[:maxReason]) + "..."
	}
	return "", string(body)
}
