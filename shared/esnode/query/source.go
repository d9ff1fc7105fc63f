package query

import (
	"encoding/json"
	"strings"
)

// SourceFilter selects what of _source a hit returns. The zero value returns
// the whole source.
type SourceFilter struct {
	// Omit drops _source from the hit entirely (_source: false).
	Omit bool
	// Includes and Excludes are field patterns with "*" wildcards. A
	// pattern names a field and everything below it ("user" keeps
	// "user.name"). With no Includes everything is included; Excludes win.
	Includes, Excludes []string
}

// ParseSourceFilter parses a search body's "_source": true, false, "f",
// ["a", "b.*"], or {"includes": [...], "excludes": [...]} (also "include",
// "exclude", and single strings in place of arrays). Errors are *Error.
func ParseSourceFilter(raw json.RawMessage) (SourceFilter, error) {
	var f SourceFilter
	switch tokenKind(raw) {
	case "END_OBJECT", "VALUE_NULL":
		// Absent: whole source.
	case "VALUE_BOOLEAN":
		b, _ := boolValue(raw)
		f.Omit = !b
	case "VALUE_STRING":
		s, _ := stringValue(raw)
		f.Includes = []string{s}
	case "START_ARRAY":
		list, err := stringList(raw, "_source")
		if err != nil {
			return SourceFilter{}, err
		}
		f.Includes = list
	case "START_OBJECT":
		ms, err := members(raw)
		if err != nil {
			return SourceFilter{}, syntaxErr(err)
		}
		for _, m := range ms {
			var dst *[]string
			switch m.Key {
			case "includes", "include":
				dst = &f.Includes
			case "excludes", "exclude":
				dst = &f.Excludes
			default:
				return SourceFilter{}, parsingErr("Unknown key for a %s in [%s].", tokenKind(m.Raw), m.Key)
			}
			if s, ok := stringValue(m.Raw); ok {
				*dst = []string{s}
				continue
			}
			list, perr := stringList(m.Raw, m.Key)
			if perr != nil {
				return SourceFilter{}, perr
			}
			*dst = list
		}
	default:
		return SourceFilter{}, parsingErr("Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [%s]", tokenKind(raw))
	}
	return f, nil
}

func stringList(raw json.RawMessage, key string) ([]string, *Error) {
	if !isArray(raw) {
		return nil, parsingErr("Unknown key for a %s in [%s].", tokenKind(raw), key)
	}
	elems, err := elements(raw)
	if err != nil {
		return nil, syntaxErr(err)
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, ok := stringValue(e)
		if !ok {
			return nil, parsingErr("Unknown key for a %s in [%s].", tokenKind(e), key)
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseSourceParams reads the query-string parameters _source ("true",
// "false" or a comma list of includes), _source_includes and
// _source_excludes; empty strings mean "not given".
func ParseSourceParams(source, includes, excludes string) (SourceFilter, error) {
	var f SourceFilter
	switch source {
	case "", "true":
	case "false":
		f.Omit = true
	default:
		f.Includes = splitComma(source)
	}
	if includes != "" {
		f.Includes = splitComma(includes)
	}
	if excludes != "" {
		f.Excludes = splitComma(excludes)
	}
	return f, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Apply returns the filtered source and true, or nil and false when the hit
// must carry no _source. src is not modified; the result shares unfiltered
// sub-trees with it.
func (f SourceFilter) Apply(src map[string]any) (map[string]any, bool) {
	if f.Omit {
		return nil, false
	}
	if len(f.Includes) == 0 && len(f.Excludes) == 0 {
		return src, true
	}
	fl := filter{includes: f.Includes, excludes: f.Excludes}
	return fl.object(src, "", len(f.Includes) == 0), true
}

// filter walks a source the way Elasticsearch's XContentMapValues.filter
// does. A path is kept when an include pattern matches it or one of its
// ancestors, and dropped when an exclude pattern does; objects are entered
// only while some pattern could still match below them.
type filter struct{ includes, excludes []string }

// object filters m found at path prefix; all means an ancestor was already
// included, so only excludes still apply.
func (fl filter) object(m map[string]any, prefix string, all bool) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if !all && !anyPattern(fl.includes, path, patternPrefix) {
			continue
		}
		if anyPattern(fl.excludes, path, patternAccepts) {
			continue
		}
		included := all || anyPattern(fl.includes, path, patternAccepts)
		if included && !anyPattern(fl.excludes, path+".", patternPrefix) {
			// No exclude can reach inside: keep the whole value.
			out[k] = v
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			sub := fl.object(x, path, included)
			if included || len(sub) > 0 {
				out[k] = sub
			}
		case []any:
			if sub := fl.array(x, path, included); len(sub) > 0 {
				out[k] = sub
			}
		default:
			if included {
				out[k] = v
			}
		}
	}
	return out
}

// array filters the elements of an array at path: objects are filtered and
// kept when something is left, scalars are kept when path is included.
func (fl filter) array(a []any, path string, included bool) []any {
	out := make([]any, 0, len(a))
	for _, e := range a {
		switch x := e.(type) {
		case map[string]any:
			if sub := fl.object(x, path, included); len(sub) > 0 {
				out = append(out, sub)
			}
		case []any:
			if sub := fl.array(x, path, included); len(sub) > 0 {
				out = append(out, sub)
			}
		default:
			if included {
				out = append(out, e)
			}
		}
	}
	return out
}

type patternTest func(pattern, path string) bool

func anyPattern(patterns []string, path string, test patternTest) bool {
	for _, p := range patterns {
		if test(p, path) {
			return true
		}
	}
	return false
}

// patternAccepts reports whether path is matched by pattern or lies below a
// path it matches ("user" accepts "user.name").
func patternAccepts(pattern, path string) bool {
	if globStar(pattern, path) {
		return true
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '.' && globStar(pattern, path[:i]) {
			return true
		}
	}
	return false
}

// patternPrefix reports whether some extension of path could be accepted by
// pattern: path agrees with the pattern's literal text up to its first "*",
// or already lies below a path the pattern matches.
func patternPrefix(pattern, path string) bool {
	star := strings.IndexByte(pattern, '*')
	lit := pattern
	if star >= 0 {
		lit = pattern[:star]
	}
	n := min(len(lit), len(path))
	if path[:n] != lit[:n] {
		return false
	}
	if star >= 0 || len(path) <= len(lit) {
		return true
	}
	// path is longer than a star-free pattern: only "<pattern>." and below.
	return path[len(lit)] == '.'
}

// globStar matches s against a pattern whose only wildcard is "*", as
// Elasticsearch's simple match does for field patterns.
func globStar(p, s string) bool {
	for {
		star := strings.IndexByte(p, '*')
		if star < 0 {
			return p == s
		}
		if !strings.HasPrefix(s, p[:star]) {
			return false
		}
		s, p = s[star:], p[star+1:]
		if p == "" {
			return true
		}
		next := strings.IndexByte(p, '*')
		lit := p
		if next >= 0 {
			lit = p[:next]
		}
		if next < 0 {
			return strings.HasSuffix(s, lit)
		}
		i := strings.Index(s, lit)
		if i < 0 {
			return false
		}
		s = s[i:]
	}
}
