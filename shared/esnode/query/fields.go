package query

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Mapping tells the engine a field's type: "text", "keyword", "long",
// "integer", "short", "byte", "double", "float", "boolean", "date", "object",
// or "" when the field is unmapped. Text fields have a "<path>.keyword"
// keyword sub-field.
type Mapping interface {
	FieldType(path string) string
}

// Doc is one stored document. Source was decoded with
// json.Decoder.UseNumber(), so numbers are json.Number.
type Doc struct {
	Index, ID string
	Source    map[string]any
	// Seq is the document's position in its index's order. It is what a
	// "_doc" sort key orders by and reports (Elasticsearch reports the
	// Lucene doc id there); callers that leave it zero get input order.
	Seq int64
}

// kind is how the engine treats a mapped type.
type kind uint8

const (
	kindNone kind = iota // unmapped or not searchable: matches nothing
	kindText
	kindKeyword
	kindLong
	kindInteger // integer, short, byte: 32-bit sort missing values
	kindDouble
	kindFloat // stored as float32 by Elasticsearch
	kindBool
	kindDate
	kindObject
)

func kindOf(typ string) kind {
	switch typ {
	case "text", "match_only_text":
		return kindText
	case "keyword", "constant_keyword", "wildcard":
		return kindKeyword
	case "long", "unsigned_long":
		return kindLong
	case "integer", "short", "byte":
		return kindInteger
	case "double", "half_float", "scaled_float":
		return kindDouble
	case "float":
		return kindFloat
	case "boolean":
		return kindBool
	case "date", "date_nanos":
		return kindDate
	case "object", "nested", "flattened":
		return kindObject
	}
	return kindNone
}

// dynamicIgnoreAbove is ignore_above of the "<text>.keyword" sub-field that
// dynamic mapping creates: longer strings are not indexed there.
const dynamicIgnoreAbove = 256

// field is a query's field resolved against one index's mapping.
type field struct {
	kind kind
	// path is where the values live in _source: a multi-field such as
	// "title.keyword" reads the values of "title".
	path string
	// ignoreAbove, when positive, drops longer strings (in runes).
	ignoreAbove int
	// meta is "_id" or "_index" for metadata fields.
	meta string
}

// resolve looks name up in m. Metadata fields are answered from the Doc.
func resolve(m Mapping, name string) field {
	switch name {
	case "_id", "_index":
		return field{kind: kindKeyword, meta: name}
	}
	if m == nil {
		return field{}
	}
	k := kindOf(m.FieldType(name))
	f := field{kind: k, path: name}
	if i := strings.LastIndexByte(name, '.'); i > 0 && k != kindNone && k != kindObject {
		parent := name[:i]
		if pk := kindOf(m.FieldType(parent)); pk == kindText || pk == kindKeyword {
			// A multi-field of a text/keyword parent: same source value,
			// indexed differently.
			f.path = parent
			if k == kindKeyword && pk == kindText {
				f.ignoreAbove = dynamicIgnoreAbove
			}
		}
	}
	return f
}

// each calls fn with every non-null leaf value of the field in d, flattening
// arrays, until fn returns true; it reports whether fn did. Object values are
// passed through so that exists can see them.
func (f field) each(d *Doc, fn func(v any) bool) bool {
	switch f.meta {
	case "_id":
		return fn(d.ID)
	case "_index":
		return fn(d.Index)
	}
	if f.path == "" || d.Source == nil {
		return false
	}
	if f.ignoreAbove > 0 {
		inner := fn
		fn = func(v any) bool {
			if s, ok := v.(string); ok && utf8.RuneCountInString(s) > f.ignoreAbove {
				return false
			}
			return inner(v)
		}
	}
	return walk(d.Source, f.path, fn)
}

// walk descends path in v. A path "a.b.c" may be stored as nested objects, as
// keys that contain dots ("a.b": {"c": 1}), or through arrays of objects, so
// every split of the path at a dot is tried.
func walk(v any, path string, fn func(any) bool) bool {
	switch c := v.(type) {
	case map[string]any:
		for i := 0; i <= len(path); i++ {
			if i < len(path) && path[i] != '.' {
				continue
			}
			child, ok := c[path[:i]]
			if !ok {
				continue
			}
			if i == len(path) {
				if leaves(child, fn) {
					return true
				}
			} else if walk(child, path[i+1:], fn) {
				return true
			}
		}
	case []any:
		for _, e := range c {
			if walk(e, path, fn) {
				return true
			}
		}
	}
	return false
}

func leaves(v any, fn func(any) bool) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		for _, e := range x {
			if leaves(e, fn) {
				return true
			}
		}
		return false
	}
	return fn(v)
}

// hasLeaf reports whether v holds any non-null scalar, looking into objects
// and arrays: an object field "exists" when one of its sub-fields does.
func hasLeaf(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case map[string]any:
		for _, e := range x {
			if hasLeaf(e) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if hasLeaf(e) {
				return true
			}
		}
		return false
	case json.RawMessage:
		return !isNull(x)
	}
	return true
}
