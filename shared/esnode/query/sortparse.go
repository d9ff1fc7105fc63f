package query

import (
	"encoding/json"
	"strings"
)

// errMalformedSort is Elasticsearch's message for a sort that is neither a
// string, an object nor an array of those.
func errMalformedSort() *Error {
	return parsingErr("malformed sort format, within the sort array, an object, or an actual string are allowed")
}

// ParseSort parses a search body's "sort": "f", {"f": "desc"},
// {"f": {"order": "asc", "missing": "_first", "mode": "max",
// "unmapped_type": "long"}}, "_doc", "_score", or an array of those. A nil or
// empty raw means no sort. Errors are *Error.
func ParseSort(raw json.RawMessage) ([]SortField, error) {
	if isEmpty(raw) {
		return nil, nil
	}
	out, err := parseSortValue(raw, true)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseSortValue(raw json.RawMessage, top bool) ([]SortField, *Error) {
	switch tokenKind(raw) {
	case "VALUE_STRING":
		s, _ := stringValue(raw)
		return []SortField{defaultOrder(s)}, nil
	case "START_OBJECT":
		return parseSortObject(raw)
	case "START_ARRAY":
		if !top {
			return nil, errMalformedSort()
		}
		elems, err := elements(raw)
		if err != nil {
			return nil, syntaxErr(err)
		}
		var out []SortField
		for _, e := range elems {
			fs, perr := parseSortValue(e, false)
			if perr != nil {
				return nil, perr
			}
			out = append(out, fs...)
		}
		return out, nil
	}
	return nil, errMalformedSort()
}

// defaultOrder is the order a bare name sorts in: _score descending (best
// first), everything else ascending.
func defaultOrder(name string) SortField {
	return SortField{Field: name, Desc: name == sortScore}
}

func parseSortObject(raw json.RawMessage) ([]SortField, *Error) {
	ms, err := members(raw)
	if err != nil {
		return nil, syntaxErr(err)
	}
	out := make([]SortField, 0, len(ms))
	for _, m := range ms {
		if m.Key == "_geo_distance" || m.Key == "_script" {
			return nil, illegalArg("sort by [%s] is not supported by this node", m.Key)
		}
		f := defaultOrder(m.Key)
		switch tokenKind(m.Raw) {
		case "VALUE_STRING":
			s, _ := stringValue(m.Raw)
			desc, ok := parseOrder(s)
			if !ok {
				return nil, illegalArg("sort direction [%s] not supported", s)
			}
			f.Desc = desc
		case "START_OBJECT":
			if perr := parseSortOptions(&f, m.Raw); perr != nil {
				return nil, perr
			}
		default:
			return nil, errMalformedSort()
		}
		out = append(out, f)
	}
	return out, nil
}

func parseOrder(s string) (desc, ok bool) {
	switch strings.ToLower(s) {
	case "asc":
		return false, true
	case "desc":
		return true, true
	}
	return false, false
}

func parseSortOptions(f *SortField, raw json.RawMessage) *Error {
	ms, err := members(raw)
	if err != nil {
		return syntaxErr(err)
	}
	parser := "field_sort"
	switch f.Field {
	case sortScore:
		parser = "score_sort"
	case sortDoc:
		parser = "doc_sort"
	}
	for _, m := range ms {
		if parser != "field_sort" && m.Key != "order" {
			return xcontentErr("[%s] unknown field [%s]", parser, m.Key)
		}
		switch m.Key {
		case "order":
			s, _ := stringValue(m.Raw)
			desc, ok := parseOrder(s)
			if !ok {
				return xcontentErr("[%s] failed to parse field [order]: Unknown SortOrder [%s]", parser, s)
			}
			f.Desc = desc
		case "missing":
			v, ok := scalarLiteral(m.Raw)
			if !ok {
				return xcontentErr("[%s] missing doesn't support values of type: %s", parser, tokenKind(m.Raw))
			}
			f.Missing = v
		case "mode":
			s, _ := stringValue(m.Raw)
			switch s {
			case "min", "max", "sum", "avg", "median":
				f.Mode = s
			default:
				return xcontentErr("[%s] failed to parse field [mode]: Unknown SortMode [%s]", parser, s)
			}
		case "unmapped_type":
			s, ok := stringValue(m.Raw)
			if !ok {
				return xcontentErr("[%s] unmapped_type doesn't support values of type: %s", parser, tokenKind(m.Raw))
			}
			f.UnmappedType = s
		case "numeric_type", "format":
			// Output conversions this engine does not apply; the values it
			// returns are those of the mapped type.
		case "nested":
			return illegalArg("nested sort is not supported by this node")
		default:
			return xcontentErr("[%s] unknown field [%s]", parser, m.Key)
		}
	}
	return nil
}

// ParseSortParam parses the query-string form "f:desc,g,_score". As in
// Elasticsearch, a key with an order other than asc or desc is dropped.
func ParseSortParam(s string) ([]SortField, error) {
	var out []SortField
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndexByte(item, ':')
		if i < 0 {
			out = append(out, defaultOrder(item))
			continue
		}
		desc, ok := parseOrder(item[i+1:])
		if ok && item[i+1:] == strings.ToLower(item[i+1:]) {
			out = append(out, SortField{Field: item[:i], Desc: desc})
		}
	}
	return out, nil
}
