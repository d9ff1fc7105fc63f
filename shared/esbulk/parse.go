package esbulk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBadResponse is wrapped by the response parser when a bulk answer is not
// what Elasticsearch sends: not JSON, truncated, or with a different number
// of items than the request had actions.
var ErrBadResponse = errors.New("malformed bulk response")

// itemResult is the part of one bulk response item the writer needs.
type itemResult struct {
	op string
	// ID is, before parsing, the id the action was sent with (or empty):
	// an answer naming that id then costs no copy of it. After parsing it
	// is the id of the answer.
	ID     string
	Status int
	Result string
	Error  *errorBody
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
// entry per action of the request, in request order. It makes one pass:
// only the items array is read, one item at a time into its dst entry, and
// every other field is skipped in place, so an answer never becomes a map.
// It returns the number of milliseconds Elasticsearch reported in took.
func parseBulkResponse(body []byte, dst []itemResult) (took int64, err error) {
	s := scanner{b: body}
	where := fixedPlace("response")
	if err := s.expect('{', where); err != nil {
		return 0, err
	}
	sawItems := false
	for more := s.peek() != '}'; more; {
		key, err := s.key(where)
		if err != nil {
			return 0, err
		}
		switch string(key) {
		case "took":
			if took, err = s.integer(fixedPlace("took")); err != nil {
				return 0, err
			}
		case "items":
			if err := parseItems(&s, dst); err != nil {
				return 0, err
			}
			sawItems = true
		default:
			// errors is not trusted (every item is read instead), and the
			// rest (ingest_took...) is not needed.
			if err := s.skip(where, 0); err != nil {
				return 0, err
			}
		}
		if more, err = s.more('}', where); err != nil {
			return 0, err
		}
	}
	s.i++
	if s.peek() != 0 {
		return 0, s.fail(where, "data after the end at byte %d", s.i)
	}
	if !sawItems {
		return 0, fmt.Errorf("%w: no items array", ErrBadResponse)
	}
	return took, nil
}

func parseItems(s *scanner, dst []itemResult) error {
	if err := s.expect('[', fixedPlace("items")); err != nil {
		return err
	}
	n := 0
	for more := s.peek() != ']'; more; n++ {
		if n == len(dst) {
			return fmt.Errorf("%w: more items than the %d actions sent", ErrBadResponse, len(dst))
		}
		if err := parseItem(s, &dst[n], itemPlace(n)); err != nil {
			return err
		}
		var err error
		if more, err = s.more(']', fixedPlace("items")); err != nil {
			return err
		}
	}
	s.i++
	if n != len(dst) {
		return fmt.Errorf("%w: %d items for %d actions", ErrBadResponse, n, len(dst))
	}
	return nil
}

// parseItem reads {"<op>": {"_id", "status", "result", "error", ...}}.
func parseItem(s *scanner, it *itemResult, where place) error {
	if err := s.expect('{', where); err != nil {
		return err
	}
	op, err := s.key(where)
	if err != nil {
		return err
	}
	sent := it.ID
	*it = itemResult{op: known(string(op))}
	if it.op == "" {
		it.op = string(op)
	}
	if err := s.expect('{', where); err != nil {
		return err
	}
	for more := s.peek() != '}'; more; {
		key, err := s.key(where)
		if err != nil {
			return err
		}
		switch string(key) {
		case "_id":
			it.ID, err = s.id(where, sent)
		case "result":
			it.Result, err = s.word(where)
		case "status":
			var n int64
			n, err = s.integer(where)
			it.Status = int(n)
		case "error":
			it.Error, err = parseError(s, where, 0)
		default:
			err = s.skip(where, 0)
		}
		if err != nil {
			return err
		}
		if more, err = s.more('}', where); err != nil {
			return err
		}
	}
	s.i++
	if it.Status == 0 {
		return fmt.Errorf("%w: %s has no status", ErrBadResponse, where)
	}
	// One operation per item: anything else means the answer is not a
	// bulk answer and its items cannot be trusted to line up.
	return s.expect('}', where)
}

// parseError reads an error object ({"type", "reason", "caused_by"}), a bare
// string (proxies, old endpoints) or null.
func parseError(s *scanner, where place, depth int) (*errorBody, error) {
	switch s.peek() {
	case 'n':
		return nil, s.literal("null", where)
	case '"':
		r, err := s.str(where)
		return &errorBody{Reason: r}, err
	}
	if depth > maxDepth {
		return nil, s.fail(where, "nesting deeper than %d", maxDepth)
	}
	if err := s.expect('{', where); err != nil {
		return nil, err
	}
	e := &errorBody{}
	for more := s.peek() != '}'; more; {
		key, err := s.key(where)
		if err != nil {
			return nil, err
		}
		switch string(key) {
		case "type":
			e.Type, err = s.strOrNull(where)
		case "reason":
			e.Reason, err = s.strOrNull(where)
		case "caused_by":
			e.CausedBy, err = parseError(s, where, depth+1)
		default:
			err = s.skip(where, depth+1)
		}
		if err != nil {
			return nil, err
		}
		if more, err = s.more('}', where); err != nil {
			return nil, err
		}
	}
	s.i++
	return e, nil
}

// place names a position in the response for error messages. It is a small
// value, not an interface or a formatted string, so that naming items[i]
// costs nothing for the thousand items of a healthy answer; the text is
// only built on failure.
type place struct {
	name string
	item int // index in items when name is ""
}

func fixedPlace(name string) place { return place{name: name} }

func itemPlace(i int) place { return place{item: i} }

func (p place) String() string {
	if p.name != "" {
		return p.name
	}
	return fmt.Sprintf("items[%d]", p.item)
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
