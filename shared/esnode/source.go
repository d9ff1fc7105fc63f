package esnode

import (
	"encoding/json"
)

// filterStoredSource applies the _source, _source_includes and
// _source_excludes query parameters of the get APIs to a stored source.
// nil means the response carries no _source.
func filterStoredSource(q map[string][]string, src json.RawMessage) (any, *esError) {
	sv, inc, exc := first(q["_source"]), first(q["_source_includes"]), first(q["_source_excludes"])
	if sv == "false" {
		return nil, nil
	}
	if (sv == "" || sv == "true") && inc == "" && exc == "" {
		// The common case: send the stored bytes as they are.
		return src, nil
	}
	f, err := parseSourceParams(sv, inc, exc)
	if err != nil {
		return nil, err
	}
	m, err := parseSource(src, "")
	if err != nil {
		return nil, err
	}
	out, ok := f.apply(m)
	if !ok {
		return nil, nil
	}
	return out, nil
}
