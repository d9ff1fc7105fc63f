package esnode

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mapper checks one document source against an index mapping and works out
// the fields dynamic mapping adds. Nothing is attached to the live mapping
// until the whole document passed, so a rejected document leaves the mapping
// as it was, like in ES.
type mapper struct {
	root  *field
	docID string
	// pending are new fields for objects that already exist in the mapping;
	// fields under a new object go straight into that object, which is not
	// reachable from root yet.
	pending []attachment
	fresh   map[*field]bool
}

type attachment struct {
	parent *field
	name   string
	f      *field
}

func (m *mapper) child(parent *field, name string) *field {
	if f := parent.Props[name]; f != nil {
		return f
	}
	if m.fresh[parent] {
		return nil
	}
	for _, a := range m.pending {
		if a.parent == parent && a.name == name {
			return a.f
		}
	}
	return nil
}

func (m *mapper) add(parent *field, name string, f *field) {
	if m.fresh == nil {
		m.fresh = map[*field]bool{}
	}
	m.fresh[f] = true
	if m.fresh[parent] {
		parent.Props[name] = f
		return
	}
	m.pending = append(m.pending, attachment{parent, name, f})
}

// commit attaches the new fields; the caller holds the index write lock.
func (m *mapper) commit() {
	for _, a := range m.pending {
		a.parent.Props[a.name] = a.f
	}
}

// checkDoc validates src (decoded with UseNumber) and prepares its dynamic
// mappings.
func (m *mapper) checkDoc(src map[string]any) *esError {
	return m.checkObject(m.root, "", src, dynamicOf(m.root, "true"))
}

func dynamicOf(f *field, inherited string) string {
	if f.Dynamic != "" {
		return f.Dynamic
	}
	return inherited
}

func (m *mapper) checkObject(obj *field, path string, src map[string]any, dyn string) *esError {
	for _, k := range sortedKeys(src) {
		v := src[k]
		// A dotted key is shorthand for nested objects: {"a.b": 1} is {"a": {"b": 1}}.
		if head, tail, ok := strings.Cut(k, "."); ok && head != "" && tail != "" {
			v = map[string]any{tail: v}
			k = head
		}
		if err := m.checkValue(obj, k, join(path, k), v, dyn); err != nil {
			return err
		}
	}
	return nil
}

func (m *mapper) checkValue(parent *field, name, path string, v any, dyn string) *esError {
	switch val := v.(type) {
	case nil:
		return nil
	case []any:
		for _, e := range val {
			if err := m.checkValue(parent, name, path, e, dyn); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		f := m.child(parent, name)
		if f == nil {
			switch dyn {
			case "strict":
				return m.strict(parent, path, name)
			case "false", "runtime":
				return nil
			}
			f = newObject()
			m.add(parent, name, f)
		}
		switch f.Type {
		case "object", "nested":
			if enabled, ok := f.Params["enabled"].(bool); ok && !enabled {
				return nil
			}
			return m.checkObject(f, path, val, dynamicOf(f, dyn))
		case "flattened", "geo_point", "binary", "dense_vector":
			return nil
		}
		if f.Type == "boolean" {
			return m.parseFailure(path, f.Type, preview(val), tokenError("Current token (START_OBJECT) not of boolean type"))
		}
		return m.parseFailure(path, f.Type, preview(val), cause("illegal_argument_exception", "unexpected object"))
	}
	f := m.child(parent, name)
	if f == nil {
		switch dyn {
		case "strict":
			return m.strict(parent, path, name)
		case "false", "runtime":
			return nil
		}
		m.add(parent, name, dynamicField(v))
		return nil
	}
	return m.checkScalar(f, path, v)
}

// dynamicField is the mapping ES's dynamic mapping picks for a new value.
func dynamicField(v any) *field {
	switch val := v.(type) {
	case bool:
		return &field{Type: "boolean"}
	case json.Number:
		if strings.ContainsAny(string(val), ".eE") {
			return &field{Type: "float"}
		}
		return &field{Type: "long"}
	case string:
		if isoDate().MatchString(val) && looksLikeDate(val) {
			return &field{Type: "date"}
		}
		if looksLikeDate(val) {
			// Matched by the second of dynamic_date_formats, which the
			// mapping then names (with epoch_millis, as ES adds it).
			return &field{Type: "date", Params: map[string]any{"format": slashDateFormat, "locale": ""}}
		}
	}
	return &field{
		Type:   "text",
		Fields: map[string]*field{"keyword": {Type: "keyword", Params: map[string]any{"ignore_above": 256}}},
	}
}

func (m *mapper) checkScalar(f *field, path string, v any) *esError {
	switch f.Type {
	case "object", "nested":
		return &esError{
			Status: http.StatusBadRequest,
			Type:   "document_parsing_exception",
			Reason: fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, lastSegment(path)),
		}
	case "long", "integer", "short", "byte", "unsigned_long":
		return m.checkNumber(f, path, v, true)
	case "float", "double", "half_float", "scaled_float":
		return m.checkNumber(f, path, v, false)
	case "boolean":
		switch val := v.(type) {
		case bool:
			return nil
		case string:
			if val == "true" || val == "false" || val == "" {
				return nil
			}
			return m.parseFailure(path, f.Type, val, cause("illegal_argument_exception",
				fmt.Sprintf("Failed to parse value [%s] as only [true] or [false] are allowed.", val)))
		}
		return m.parseFailure(path, f.Type, preview(v), tokenError("Current token is not of boolean type"))
	case "date", "date_nanos":
		switch val := v.(type) {
		case json.Number:
			return nil
		case string:
			if looksLikeDate(val) || epochMillis().MatchString(val) {
				return nil
			}
		}
		// A string or boolean that is no date fails in the date parser.
		reason := fmt.Sprintf("failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", preview(v))
		e := cause("illegal_argument_exception", reason)
		e.CausedBy = cause("date_time_parse_exception", "Text '"+preview(v)+"' could not be parsed")
		return m.parseFailure(path, f.Type, preview(v), e)
	}
	return nil
}

func (m *mapper) checkNumber(f *field, path string, v any, integer bool) *esError {
	var s string
	switch val := v.(type) {
	case json.Number:
		s = string(val)
	case string:
		s = strings.TrimSpace(val)
	default:
		return m.parseFailure(path, f.Type, preview(v), tokenError("Current token (VALUE_"+strings.ToUpper(fmt.Sprint(v))+") not numeric, can not use numeric value accessors"))
	}
	n, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && integer:
		// Elasticsearch parses integers itself and reports an illegal
		// argument; floats go through Java's parser, whose exception it
		// passes on.
		return m.parseFailure(path, f.Type, preview(v), cause("illegal_argument_exception", fmt.Sprintf("For input string: %q", s)))
	case err != nil:
		return m.parseFailure(path, f.Type, preview(v), cause("number_format_exception", fmt.Sprintf("For input string: %q", s)))
	case integer && f.Type == "long" && longOutOfRange(s, n):
		if _, isNumber := v.(json.Number); isNumber {
			// A JSON number too big for a long fails in the JSON parser.
			reason := fmt.Sprintf("Numeric value (%s) out of range of long", s)
			return m.parseFailure(path, f.Type, preview(v), &esError{Type: "x_content_parse_exception", Reason: reason,
				CausedBy: cause("input_coercion_exception", reason)})
		}
		return m.parseFailure(path, f.Type, preview(v), cause("illegal_argument_exception", fmt.Sprintf("Value [%s] is out of range for a long", s)))
	}
	// Fractional values are truncated into integer fields (coerce: true).
	return nil
}

// longOutOfRange reports a number a long cannot hold: an integer beyond
// int64, or a fraction whose integer part is.
func longOutOfRange(s string, f float64) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return false
	} else if errors.Is(err, strconv.ErrRange) {
		return true
	}
	return f >= math.MaxInt64 || f < math.MinInt64
}

func cause(typ, reason string) *esError { return &esError{Type: typ, Reason: reason} }

// tokenError is the parser's complaint about a JSON token of the wrong kind.
func tokenError(reason string) *esError {
	return &esError{Type: "x_content_parse_exception", Reason: reason, CausedBy: cause("json_parse_exception", reason)}
}

func (m *mapper) parseFailure(path, typ, value string, cause *esError) *esError {
	return &esError{
		Status:   http.StatusBadRequest,
		Type:     "document_parsing_exception",
		Reason:   fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'", path, typ, m.docID, value),
		CausedBy: cause,
	}
}

func (m *mapper) strict(parent *field, path, name string) *esError {
	within := "_doc"
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		within = path[:i]
	}
	_ = parent
	return &esError{
		Status: http.StatusBadRequest,
		Type:   "strict_dynamic_mapping_exception",
		Reason: fmt.Sprintf("mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", name, within),
	}
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// preview renders a value the way ES's error messages show it (Java's
// Map.toString for objects).
func preview(v any) string {
	switch val := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(val))
		for _, k := range sortedKeys(val) {
			parts = append(parts, k+"="+preview(val[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, 0, len(val))
		for _, e := range val {
			parts = append(parts, preview(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// Date detection follows dynamic_date_formats' defaults:
// strict_date_optional_time and "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd". The ISO
// year has four digits and may carry a minus sign (-4712-01-01 is 4713 BC);
// Elasticsearch refuses longer years in either format.
//
// The expressions are compiled on first use: the esnode is linked into the
// esconnect CLI, and every command (invoke included) would otherwise pay
// for compiling them at start.
var (
	isoDate   = lazyRegexp(`^(-?\d{4})-(\d{2})-(\d{2})(T\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$`)
	slashDate = lazyRegexp(`^(\d{4})/(\d{2})/(\d{2})( \d{2}:\d{2}:\d{2})?$`)
	// epochMillis is the default format's other half: milliseconds since
	// the epoch, a fraction allowed.
	epochMillis = lazyRegexp(`^-?\d{1,19}(\.\d+)?$`)
)

// lazyRegexp returns a function compiling expr once, when first called.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// slashDateFormat is the format a field dynamically mapped from a
// yyyy/MM/dd value gets.
const slashDateFormat = "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"

func looksLikeDate(s string) bool {
	if len(s) < 10 || len(s) > 40 {
		return false
	}
	m := isoDate().FindStringSubmatch(s)
	if m == nil {
		m = slashDate().FindStringSubmatch(s)
	}
	if m == nil {
		return false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	return t.Year() == y && int(t.Month()) == mo && t.Day() == d
}
