package msgdoc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// The Parse functions read the settings' text forms (DOC_ID, VALUE_FORMAT,
// NULL_VALUE, ES_ROUTING, MSG_MODE); an empty string is the default.

// fieldPrefix starts the field forms of DOC_ID and ES_ROUTING.
const fieldPrefix = "field:"

// cutField returns the pointer list of "field:<pointers>" (the prefix in
// any case) and whether s has that form.
func cutField(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= len(fieldPrefix) && strings.EqualFold(s[:len(fieldPrefix)], fieldPrefix) {
		return s[len(fieldPrefix):], true
	}
	return "", false
}

// ParseIDStrategy parses offset (default), key, none or
// field:<pointer>[,<pointer>...]; ParseIDFields reads the pointers.
func ParseIDStrategy(s string) (IDStrategy, error) {
	if _, ok := cutField(s); ok {
		return IDField, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "offset":
		return IDOffset, nil
	case "key":
		return IDKey, nil
	case "none":
		return IDNone, nil
	}
	return IDOffset, fmt.Errorf("unknown id strategy %q: expected offset, key, none or field:<JSON pointer>[,<JSON pointer>...]", s)
}

// ParseIDFields returns the JSON pointers of a DOC_ID of the form
// field:/a,/b (nil for the other forms), each checked as an RFC 6901
// pointer. Field names containing ',' cannot be listed.
func ParseIDFields(s string) ([]string, error) {
	list, ok := cutField(s)
	if !ok {
		return nil, nil
	}
	ptrs := strings.Split(list, ",")
	var errs []error
	for i, p := range ptrs {
		ptrs[i] = strings.TrimSpace(p)
		if _, err := parsePointer(ptrs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ptrs, nil
}

// ParseValueFormat parses text (default), json, base64 or csv.
func ParseValueFormat(s string) (ValueFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "text":
		return ValueText, nil
	case "json":
		return ValueJSON, nil
	case "base64":
		return ValueBase64, nil
	case "csv":
		return ValueCSV, nil
	}
	return ValueText, fmt.Errorf("unknown value format %q: expected text, json, base64 or csv", s)
}

// ParseMsgMode parses default (also ""), key or value.
func ParseMsgMode(s string) (MsgMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "default":
		return MsgDefault, nil
	case "key":
		return MsgKey, nil
	case "value":
		return MsgValue, nil
	}
	return MsgDefault, fmt.Errorf("unknown message mode %q: expected default, key or value", s)
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

// ParseRouting parses none (default, also ""), key or field:<pointer>;
// ParseRoutingField reads the pointer.
func ParseRouting(s string) (Routing, error) {
	if _, ok := cutField(s); ok {
		return RoutingField, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return RoutingNone, nil
	case "key":
		return RoutingKey, nil
	}
	return RoutingNone, fmt.Errorf("unknown routing %q: expected none, key or field:<JSON pointer>", s)
}

// ParseRoutingField returns the JSON pointer of an ES_ROUTING of the form
// field:/a ("" for the other forms).
func ParseRoutingField(s string) (string, error) {
	p, ok := cutField(s)
	if !ok {
		return "", nil
	}
	p = strings.TrimSpace(p)
	if _, err := parsePointer(p); err != nil {
		return "", err
	}
	return p, nil
}

// BuildOne builds the action for a single record, in the shape of the
// sink's per-record build function: skip reports a record left out by
// policy; a non-nil err (an *Error) is a failure of the record, errType its
// Type. The body gets its own buffer; Build shares one across a batch.
func (bld *Builder) BuildOne(r kafkaevent.Record) (a esbulk.Action, skip bool, errType string, err error) {
	reason, e := bld.action(&a, &r)
	if e != nil {
		return esbulk.Action{}, false, string(e.Type), e
	}
	if bld.o.DocID == IDOffset {
		a.ID = OffsetID(r.Topic, r.Partition, r.Offset)
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
	a.Body, a.Flat = body, true
	return a, false, "", nil
}
