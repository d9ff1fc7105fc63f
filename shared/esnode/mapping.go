package esnode

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// field is one node of an index mapping: an object with properties, or a
// leaf with a type, parameters and multi-fields.
type field struct {
	Type string // "object" for objects (rendered without a type, as ES does)
	// Props are an object's sub-fields.
	Props map[string]*field
	// Fields are a leaf's multi-fields (text's "keyword").
	Fields map[string]*field
	// Dynamic is an object's dynamic setting: "true", "false", "strict" or ""
	// to inherit from the enclosing object.
	Dynamic string
	// Params are the other mapping parameters, echoed back by GET _mapping.
	Params map[string]any
}

// knownTypes are the field types a mapping may declare. Only some of them
// are checked on write (see checkValue); the rest are stored and accepted.
var knownTypes = map[string]bool{
	"text": true, "keyword": true, "long": true, "integer": true, "short": true, "byte": true,
	"double": true, "float": true, "half_float": true, "scaled_float": true, "unsigned_long": true,
	"boolean": true, "date": true, "date_nanos": true, "object": true, "nested": true,
	"flattened": true, "ip": true, "geo_point": true, "binary": true, "wildcard": true,
	"constant_keyword": true, "match_only_text": true, "dense_vector": true, "version": true,
}

func newObject() *field { return &field{Type: "object", Props: map[string]*field{}} }

// parseMappings reads the "mappings" of a create-index request.
func parseMappings(raw json.RawMessage) (*field, *esError) {
	root := newObject()
	if len(raw) == 0 || string(raw) == "null" {
		return root, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errorf(http.StatusBadRequest, "mapper_parsing_exception", "Failed to parse mapping: %v", err)
	}
	// Older clients still wrap mappings in a type name; ES 8 refuses that
	// unless it is _doc, which we unwrap.
	if inner, ok := m["_doc"].(map[string]any); ok && len(m) == 1 {
		m = inner
	}
	if err := parseObjectDef(root, "", m); err != nil {
		return nil, err
	}
	return root, nil
}

func parseObjectDef(obj *field, path string, def map[string]any) *esError {
	for k, v := range def {
		switch k {
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return errorf(http.StatusBadRequest, "mapper_parsing_exception", "Expected map for property [properties] on field [%s] but got a %T", path, v)
			}
			for name, pd := range props {
				fd, ok := pd.(map[string]any)
				if !ok {
					return errorf(http.StatusBadRequest, "mapper_parsing_exception", "Expected map for property [fields] on field [%s] but got a %T", name, pd)
				}
				f, err := parseFieldDef(join(path, name), fd)
				if err != nil {
					return err
				}
				obj.Props[name] = f
			}
		case "dynamic":
			obj.Dynamic = fmt.Sprint(v)
			if obj.Dynamic != "true" && obj.Dynamic != "false" && obj.Dynamic != "strict" && obj.Dynamic != "runtime" {
				return errorf(http.StatusBadRequest, "mapper_parsing_exception", "Could not convert [dynamic] to boolean")
			}
		case "type":
		default:
			if obj.Params == nil {
				obj.Params = map[string]any{}
			}
			obj.Params[k] = v
		}
	}
	return nil
}

func parseFieldDef(path string, def map[string]any) (*field, *esError) {
	typ, _ := def["type"].(string)
	if _, hasProps := def["properties"]; typ == "" && hasProps || typ == "object" || typ == "nested" {
		f := newObject()
		if typ == "nested" {
			f.Type = "nested"
		}
		return f, parseObjectDef(f, path, def)
	}
	if typ == "" {
		typ = "object"
		f := newObject()
		return f, parseObjectDef(f, path, def)
	}
	if !knownTypes[typ] {
		return nil, errorf(http.StatusBadRequest, "mapper_parsing_exception", "No handler for type [%s] declared on field [%s]", typ, path)
	}
	f := &field{Type: typ}
	for k, v := range def {
		switch k {
		case "type":
		case "fields":
			subs, ok := v.(map[string]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "mapper_parsing_exception", "Expected map for property [fields] on field [%s]", path)
			}
			f.Fields = map[string]*field{}
			for name, sd := range subs {
				sdm, _ := sd.(map[string]any)
				sf, err := parseFieldDef(path+"."+name, sdm)
				if err != nil {
					return nil, err
				}
				f.Fields[name] = sf
			}
		default:
			if f.Params == nil {
				f.Params = map[string]any{}
			}
			f.Params[k] = v
		}
	}
	return f, nil
}

// render gives the mapping as GET _mapping shows it.
func (f *field) render() map[string]any {
	out := make(map[string]any, len(f.Params)+2)
	for k, v := range f.Params {
		out[k] = v
	}
	if f.Type == "object" || f.Type == "nested" {
		if f.Type == "nested" {
			out["type"] = "nested"
		}
		if f.Dynamic != "" {
			out["dynamic"] = f.Dynamic
		}
		if len(f.Props) > 0 {
			props := make(map[string]any, len(f.Props))
			for k, p := range f.Props {
				props[k] = p.render()
			}
			out["properties"] = props
		}
		return out
	}
	out["type"] = f.Type
	if len(f.Fields) > 0 {
		subs := make(map[string]any, len(f.Fields))
		for k, p := range f.Fields {
			subs[k] = p.render()
		}
		out["fields"] = subs
	}
	return out
}

// lookup finds the field at a dotted path, descending into multi-fields for
// the last segments ("title.keyword").
func (f *field) lookup(path string) *field {
	cur := f
	rest := path
	for rest != "" {
		seg, tail, _ := strings.Cut(rest, ".")
		next := cur.Props[seg]
		if next == nil {
			next = cur.Fields[seg]
		}
		if next == nil {
			// Dotted names may also be stored as one property ("a.b").
			if whole := cur.Props[rest]; whole != nil {
				return whole
			}
			return nil
		}
		cur, rest = next, tail
	}
	return cur
}

// indexMapping adapts an index's mapping to the query engine.
type indexMapping struct{ root *field }

// FieldType returns the mapped type at path, "" when unmapped.
func (m indexMapping) FieldType(path string) string {
	if m.root == nil {
		return ""
	}
	if f := m.root.lookup(path); f != nil {
		return f.Type
	}
	return ""
}

// clone deep-copies a mapping tree so a copy can be handed out while the
// index keeps growing its own.
func (f *field) clone() *field {
	c := &field{Type: f.Type, Dynamic: f.Dynamic, Params: f.Params}
	if f.Props != nil {
		c.Props = make(map[string]*field, len(f.Props))
		for k, p := range f.Props {
			c.Props[k] = p.clone()
		}
	}
	if f.Fields != nil {
		c.Fields = make(map[string]*field, len(f.Fields))
		for k, p := range f.Fields {
			c.Fields[k] = p.clone()
		}
	}
	return c
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
