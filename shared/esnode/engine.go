package esnode

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// This file is the seam between the node and the query engine. Until the
// engine's parser is wired in, only match_all and unsorted searches work.

// searchDoc and fieldTypes mirror the query engine's Doc and Mapping.
type searchDoc struct {
	Index, ID string
	Source    map[string]any
	Seq       int64
}

type fieldTypes interface{ FieldType(path string) string }

type matcher interface {
	Matches(d *searchDoc, m fieldTypes) bool
}

type matchAll struct{}

func (matchAll) Matches(*searchDoc, fieldTypes) bool { return true }

func isEmptyJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null" || string(t) == "{}"
}

func parseQuery(raw json.RawMessage) (matcher, *esError) {
	if isEmptyJSON(raw) {
		return matchAll{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err == nil && len(m) == 1 {
		if _, ok := m["match_all"]; ok {
			return matchAll{}, nil
		}
	}
	return nil, newError(http.StatusBadRequest, "parsing_exception", "unknown query")
}

type sortSpec struct{}

func parseSort(raw json.RawMessage) ([]sortSpec, *esError) {
	if isEmptyJSON(raw) || string(bytes.TrimSpace(raw)) == "[]" {
		return nil, nil
	}
	return nil, newError(http.StatusBadRequest, "parsing_exception", "sort is not supported yet")
}

func sortDocs(docs []*searchDoc, s []sortSpec, mappingOf func(string) fieldTypes) {}

func sortValues(d *searchDoc, s []sortSpec) []any { return nil }

type sourceFilter struct{ off bool }

func parseSourceFilter(raw json.RawMessage) (sourceFilter, *esError) {
	if string(bytes.TrimSpace(raw)) == "false" {
		return sourceFilter{off: true}, nil
	}
	return sourceFilter{}, nil
}

func (f sourceFilter) apply(src map[string]any) (map[string]any, bool) {
	return src, !f.off
}
