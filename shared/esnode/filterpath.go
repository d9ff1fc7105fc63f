package esnode

import (
	"bytes"
	"encoding/json"
	"strings"
)

// filterPath is the filter_path parameter every API takes: comma-separated
// dotted field paths whose segments may hold * (any part of one key) or be
// ** (any number of keys); a leading - excludes instead. Arrays are
// transparent: the paths apply to their elements. As in Elasticsearch,
// objects and arrays left without a field are dropped, an answer with no
// field left is {}, and error answers are never filtered.
type filterPath struct {
	include, exclude [][]string
}

// parseFilterPath returns nil when there is nothing to filter.
func parseFilterPath(raw string) *filterPath {
	var f filterPath
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(p, "-"); ok {
			f.exclude = append(f.exclude, strings.Split(rest, "."))
		} else {
			f.include = append(f.include, strings.Split(p, "."))
		}
	}
	if len(f.include) == 0 && len(f.exclude) == 0 {
		return nil
	}
	return &f
}

// apply filters an answer. It works on the answer's JSON form, so that it
// sees the same fields a client does whatever Go value the handler built.
func (f *filterPath) apply(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return v
	}
	if len(f.include) > 0 {
		var ok bool
		if doc, ok = keep(doc, f.include); !ok {
			return map[string]any{}
		}
	}
	if len(f.exclude) > 0 {
		var ok bool
		if doc, ok = remove(doc, f.exclude); !ok {
			return map[string]any{}
		}
	}
	return doc
}

// onlyDoubleStars reports a pattern with nothing left to match but **.
func onlyDoubleStars(p []string) bool {
	for _, s := range p {
		if s != "**" {
			return false
		}
	}
	return true
}

// matchKey returns what is left of the patterns after they matched key.
func matchKey(patterns [][]string, key string) (next [][]string, done bool) {
	var add func(p []string)
	add = func(p []string) {
		if len(p) == 0 {
			done = true
			return
		}
		switch {
		case p[0] == "**":
			// ** takes this key and stays, or takes no key at all.
			next = append(next, p)
			if onlyDoubleStars(p) {
				done = true
			}
			if len(p) > 1 {
				add(p[1:])
			}
		case wildcardMatch(p[0], key):
			if onlyDoubleStars(p[1:]) {
				done = true
			}
			next = append(next, p[1:])
		}
	}
	for _, p := range patterns {
		add(p)
	}
	return next, done
}

// keep returns the part of v that the include patterns select.
func keep(v any, patterns [][]string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			next, done := matchKey(patterns, k)
			if done {
				out[k] = e
				continue
			}
			if len(next) == 0 {
				continue
			}
			if kept, ok := keep(e, next); ok {
				out[k] = kept
			}
		}
		return out, len(out) > 0
	case []any:
		var out []any
		for _, e := range x {
			if kept, ok := keep(e, patterns); ok {
				out = append(out, kept)
			}
		}
		return out, len(out) > 0
	}
	// A value the paths go through but do not end at.
	return nil, false
}

// remove drops the fields the exclude patterns select; ok is false for
// an object or array left empty by it, which is dropped in turn.
func remove(v any, patterns [][]string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return x, true
		}
		out := map[string]any{}
		for k, e := range x {
			next, done := matchKey(patterns, k)
			switch {
			case done:
			case len(next) == 0:
				out[k] = e
			default:
				if r, ok := remove(e, next); ok {
					out[k] = r
				}
			}
		}
		return out, len(out) > 0
	case []any:
		if len(x) == 0 {
			return x, true
		}
		var out []any
		for _, e := range x {
			if r, ok := remove(e, patterns); ok {
				out = append(out, r)
			}
		}
		return out, len(out) > 0
	}
	return v, true
}
