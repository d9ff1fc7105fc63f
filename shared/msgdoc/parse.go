package msgdoc

import (
	"fmt"
	"strings"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// The Parse functions read the settings' text forms (DOC_ID, VALUE_FORMAT,
// NULL_VALUE, ES_ROUTING); an empty string is the default.

// ParseIDStrategy parses offset (default), key or none.
func ParseIDStrategy(s string) (IDStrategy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "offset":
		return IDOffset, nil
	case "key":
		return IDKey, nil
	case "none":
		return IDNone, nil
	}
	return IDOffset, fmt.Errorf("unknown id strategy %q: expected offset, key or none", s)
}

// ParseValueFormat parses text (default), json or base64.
func ParseValueFormat(s string) (ValueFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "text":
		return ValueText, nil
	case "json":
		return ValueJSON, nil
	case "base64":
		return ValueBase64, nil
	}
	return ValueText, fmt.Errorf("unknown value format %q: expected text, json or base64", s)
}

// ParseNullValue parses delete (default), ignore or index.
func ParseNullValue(s string) (NullValuePolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "delete":
		return NullDelete, nil
	case "ignore":
		return NullIgnore, nil
	case "index":
		return NullIndex, nil
	}
	return NullDelete, fmt.Errorf("unknown null value policy %q: expected delete, ignore or index", s)
}

// ParseRouting parses none (default, also "") or key.
func ParseRouting(s string) (Routing, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return RoutingNone, nil
	case "key":
		return RoutingKey, nil
	}
	return RoutingNone, fmt.Errorf("unknown routing %q: expected none or key", s)
}

// BuildOne builds the action for a single record, in the shape of the
// sink's per-record build function: skip reports a record left out by
// policy; a non-nil err (an *Error) is a failure of the record, errType its
// Type. The body gets its own buffer; Build shares one across a batch.
func (bld *Builder) BuildOne(r kafkaevent.Record) (a esbulk.Action, skip bool, errType string, err error) {
	a, reason, e := bld.action(&r)
	if e != nil {
		return esbulk.Action{}, false, string(e.Type), e
	}
	if reason != "" {
		return esbulk.Action{}, true, "", nil
	}
	if a.Op == esbulk.OpDelete {
		return a, false, "", nil
	}
	body, e := bld.appendBody(make([]byte, 0, len(r.Key)+len(r.Value)+len(r.Topic)+160), &r, a.Op)
	if e != nil {
		return esbulk.Action{}, false, string(e.Type), e
	}
	a.Body = body
	return a, false, "", nil
}
