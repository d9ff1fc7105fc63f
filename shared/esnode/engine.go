package esnode

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/esconnect/esconnect/shared/esnode/query"
)

// This file is the seam between the node and the query engine: it turns
// the engine's errors into ES error bodies and keeps the search code free of
// engine details.

type (
	searchDoc  = query.Doc
	fieldTypes = query.Mapping
	matcher    = query.Query
	sortSpec   = query.SortField
)

// fromQueryError converts an engine error; anything unexpected is a 500.
func fromQueryError(err error) *esError {
	var qe *query.Error
	if errors.As(err, &qe) {
		e := newError(qe.Status, qe.Type, qe.Reason)
		if c := qe.CausedBy; c != nil {
			e.CausedBy = newError(c.Status, c.Type, c.Reason)
		}
		return e
	}
	return errorf(http.StatusInternalServerError, "exception", "query engine: %v", err)
}

func isEmptyJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func parseQuery(raw json.RawMessage) (matcher, *esError) {
	q, err := query.Parse(raw)
	if err != nil {
		return nil, fromQueryError(err)
	}
	return q, nil
}

func parseSort(raw json.RawMessage) ([]sortSpec, *esError) {
	if isEmptyJSON(raw) {
		return nil, nil
	}
	s, err := query.ParseSort(raw)
	if err != nil {
		return nil, fromQueryError(err)
	}
	return s, nil
}

func parseSortParam(v string) ([]sortSpec, *esError) {
	s, err := query.ParseSortParam(v)
	if err != nil {
		return nil, fromQueryError(err)
	}
	return s, nil
}

// checkSearch reports the errors ES raises per searched index (a term that
// cannot be a number on a long field, sorting on a text field...).
func checkSearch(q matcher, s []sortSpec, m fieldTypes) *esError {
	if err := query.Check(q, m); err != nil {
		return fromQueryError(err)
	}
	if len(s) > 0 {
		if err := query.ValidateSort(s, m); err != nil {
			return fromQueryError(err)
		}
	}
	return nil
}

func sortDocs(docs []*searchDoc, s []sortSpec, mappingOf func(string) fieldTypes) {
	query.SortDocs(docs, s, mappingOf)
}

func sortValues(d *searchDoc, s []sortSpec, m fieldTypes) []any {
	return query.SortValues(d, s, m)
}

type sourceFilter struct{ f query.SourceFilter }

func parseSourceFilter(raw json.RawMessage) (sourceFilter, *esError) {
	if isEmptyJSON(raw) {
		return sourceFilter{}, nil
	}
	f, err := query.ParseSourceFilter(raw)
	if err != nil {
		return sourceFilter{}, fromQueryError(err)
	}
	return sourceFilter{f}, nil
}

func parseSourceParams(source, includes, excludes string) (sourceFilter, *esError) {
	f, err := query.ParseSourceParams(source, includes, excludes)
	if err != nil {
		return sourceFilter{}, fromQueryError(err)
	}
	return sourceFilter{f}, nil
}

func (f sourceFilter) apply(src map[string]any) (map[string]any, bool) {
	return f.f.Apply(src)
}
