package esnode

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// filterStoredSource applies the _source, _source_includes and
// _source_excludes query parameters of the get APIs. nil means no _source.
func filterStoredSource(q map[string][]string, src json.RawMessage) (any, *esError) {
	sv := first(q["_source"])
	if sv == "false" {
		return nil, nil
	}
	var includes, excludes []string
	if sv != "" && sv != "true" {
		includes = splitList(sv)
	}
	if v := first(q["_source_includes"]); v != "" {
		includes = splitList(v)
	}
	if v := first(q["_source_excludes"]); v != "" {
		excludes = splitList(v)
	}
	if len(includes) == 0 && len(excludes) == 0 {
		return src, nil
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errorf(http.StatusInternalServerError, "exception", "stored source is not an object: %v", err)
	}
	return filterMap(m, "", includes, excludes), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// filterMap keeps the fields matched by includes (all when empty) and drops
// those matched by excludes; patterns are dotted paths with * wildcards.
func filterMap(m map[string]any, prefix string, includes, excludes []string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		path := join(prefix, k)
		if matchesAny(excludes, path) {
			continue
		}
		included := len(includes) == 0 || matchesAny(includes, path)
		if sub, ok := v.(map[string]any); ok {
			if included && len(excludes) == 0 {
				out[k] = sub
				continue
			}
			inc := includes
			if included {
				inc = nil
			}
			if f := filterMap(sub, path, inc, excludes); len(f) > 0 || included {
				out[k] = f
			}
			continue
		}
		if included {
			out[k] = v
		}
	}
	return out
}

func matchesAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, path) {
			return true
		}
	}
	return false
}
