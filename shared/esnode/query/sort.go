package query

import (
	"math"
	"slices"
)

// SortField is one key of a search's sort.
type SortField struct {
	// Field is a field path, "_score" or "_doc".
	Field string
	Desc  bool
	// Missing places documents without a value: nil or "_last" (the
	// default) sorts them last in either order, "_first" first; any other
	// value stands in for the missing one.
	Missing any
	// Mode picks one value of a multi-valued field: "min", "max", "sum",
	// "avg" or "median". Empty means min when ascending, max when descending.
	Mode string
	// UnmappedType is the type to assume where Field is unmapped; such
	// documents then sort as missing instead of failing the search.
	UnmappedType string
}

const (
	sortScore = "_score"
	sortDoc   = "_doc"
)

// ValidateSort reports the error Elasticsearch gives for sorting an index with
// mapping m by s: text fields (no fielddata), unmapped fields without
// unmapped_type, and _id. SortDocs itself never fails, so a node calls this
// once per searched index first.
func ValidateSort(s []SortField, m Mapping) error {
	for _, f := range s {
		switch f.Field {
		case sortScore, sortDoc, "_index":
			continue
		case "_id":
			return illegalArg("Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic cluster setting: indices.id_field_data.enabled")
		}
		k := resolve(m, f.Field).kind
		switch {
		case k == kindText:
			return illegalArg("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", f.Field)
		case (k == kindNone || k == kindObject) && f.UnmappedType == "":
			return newError(TypeQueryShard, "No mapping found for [%s] in order to sort on", f.Field)
		case k == kindKeyword && (f.Mode == "sum" || f.Mode == "avg" || f.Mode == "median"):
			return illegalArg("sort mode [%s] is only allowed on numeric fields, not on [%s]", f.Mode, f.Field)
		}
	}
	return nil
}

// sortKey is one document's value for one SortField.
type sortKey struct {
	missing bool
	isStr   bool
	str     string
	num     number
}

func cmpKeys(a, b sortKey) int {
	switch {
	case a.isStr && b.isStr:
		return cmpString(a.str, b.str)
	case a.isStr:
		return 1 // numbers before strings when indices disagree on the type
	case b.isStr:
		return -1
	}
	return a.num.cmp(b.num)
}

// sortKind is the kind a sort field is read as in an index.
func sortKind(f SortField, m Mapping) field {
	if f.Field == "_index" {
		return field{kind: kindKeyword, meta: "_index"}
	}
	fd := resolve(m, f.Field)
	if fd.kind == kindNone && f.UnmappedType != "" {
		return field{kind: kindOf(f.UnmappedType)}
	}
	return fd
}

// key computes d's sort key for f, applying mode and missing.
func (f SortField) key(d *Doc, m Mapping) (sortKey, kind) {
	fd := sortKind(f, m)
	var (
		k    sortKey
		nums []number
	)
	found := false
	wantMax := f.mode() == "max"
	fd.each(d, func(v any) bool {
		switch fd.kind {
		case kindKeyword, kindText:
			s, ok := keywordOf(v)
			if !ok {
				return false
			}
			if !found || wantMax && s > k.str || !wantMax && s < k.str {
				k = sortKey{isStr: true, str: s}
			}
			found = true
		default:
			n, ok := sortNumber(v, fd.kind)
			if ok {
				nums = append(nums, n)
			}
		}
		return false
	})
	if len(nums) > 0 {
		k, found = sortKey{num: pickNumber(nums, f.mode(), fd.kind)}, true
	}
	if !found {
		return f.missingKey(fd.kind), fd.kind
	}
	return k, fd.kind
}

func (f SortField) mode() string {
	switch {
	case f.Mode != "":
		return f.Mode
	case f.Desc:
		return "max"
	}
	return "min"
}

func sortNumber(v any, k kind) (number, bool) {
	switch k {
	case kindLong, kindInteger, kindDouble, kindFloat:
		return fieldNumber(v, k)
	case kindDate:
		ms, ok := sourceDate(v)
		return intNum(ms), ok
	case kindBool:
		b, ok := boolOf(v)
		return boolNum(b), ok
	}
	return number{}, false
}

// pickNumber reduces a multi-valued field to one number by mode.
// Integer-valued fields round avg and median to the nearest integer, as
// Elasticsearch does for long doc values.
func pickNumber(nums []number, mode string, k kind) number {
	if len(nums) == 1 {
		return nums[0]
	}
	slices.SortFunc(nums, number.cmp)
	integral := nums[0].isInt && k != kindDouble && k != kindFloat
	mean := func(xs []number) number {
		sum := 0.0
		for _, x := range xs {
			sum += x.f
		}
		avg := sum / float64(len(xs))
		if integral {
			return intNum(int64(math.Floor(avg + 0.5)))
		}
		return floatNum(avg)
	}
	switch mode {
	case "max":
		return nums[len(nums)-1]
	case "sum":
		if integral {
			var s int64
			for _, x := range nums {
				s += x.i
			}
			return intNum(s)
		}
		s := 0.0
		for _, x := range nums {
			s += x.f
		}
		return floatNum(s)
	case "avg":
		return mean(nums)
	case "median":
		mid := len(nums) / 2
		if len(nums)%2 == 1 {
			return nums[mid]
		}
		return mean(nums[mid-1 : mid+1])
	}
	return nums[0]
}

// missingKey is the key of a document without a value.
func (f SortField) missingKey(k kind) sortKey {
	switch f.Missing {
	case nil, "_last", "_first":
		return sortKey{missing: true}
	}
	if k == kindKeyword || k == kindText {
		s, _ := keywordOf(f.Missing)
		return sortKey{isStr: true, str: s}
	}
	if n, ok := sortNumber(f.Missing, k); ok {
		return sortKey{num: n}
	}
	return sortKey{missing: true}
}

// SortDocs sorts docs in place by s, keeping the input order among equal
// keys; mappingOf gives the mapping of a document's index. A nil s leaves
// the order alone.
func SortDocs(docs []*Doc, s []SortField, mappingOf func(index string) Mapping) {
	if len(s) == 0 || len(docs) < 2 {
		return
	}
	mappings := map[string]Mapping{}
	type row struct {
		d    *Doc
		keys []sortKey
	}
	rows := make([]row, len(docs))
	keys := make([]sortKey, len(docs)*len(s))
	for i, d := range docs {
		m, ok := mappings[d.Index]
		if !ok {
			m = mappingOf(d.Index)
			mappings[d.Index] = m
		}
		rk := keys[i*len(s) : (i+1)*len(s) : (i+1)*len(s)]
		for j, f := range s {
			switch f.Field {
			case sortScore:
				// Every hit scores 1.0 in this engine.
			case sortDoc:
				rk[j] = sortKey{num: intNum(d.Seq)}
			default:
				rk[j], _ = f.key(d, m)
			}
		}
		rows[i] = row{d: d, keys: rk}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		for j, f := range s {
			ka, kb := a.keys[j], b.keys[j]
			if ka.missing || kb.missing {
				if ka.missing == kb.missing {
					continue
				}
				// Missing values go to the requested end in either order.
				first := f.Missing == "_first"
				if ka.missing == first {
					return -1
				}
				return 1
			}
			c := cmpKeys(ka, kb)
			if f.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	for i := range rows {
		docs[i] = rows[i].d
	}
}

// SortValues returns the per-hit "sort" array as Elasticsearch renders it:
// keyword values as strings, long, integer, date (epoch millis) and boolean
// (1/0) values as int64, double and float values as float64, _score as 1.0.
// A missing value is reported as the sentinel Elasticsearch sorts it by:
// the extreme int64 (int32 for integer fields), "Infinity"/"-Infinity" for
// floating-point fields, and null for keywords.
func SortValues(d *Doc, s []SortField, m Mapping) []any {
	out := make([]any, len(s))
	for j, f := range s {
		switch f.Field {
		case sortScore:
			out[j] = 1.0
			continue
		case sortDoc:
			out[j] = d.Seq
			continue
		}
		k, kd := f.key(d, m)
		switch {
		case k.missing:
			out[j] = missingSentinel(kd, f.Desc != (f.Missing == "_first"))
		case k.isStr:
			out[j] = k.str
		case kd == kindDouble || kd == kindFloat:
			out[j] = k.num.f
		case k.num.isInt:
			out[j] = k.num.i
		default:
			out[j] = k.num.f
		}
	}
	return out
}

// missingSentinel is the value Elasticsearch substitutes for a missing one;
// low selects the minimum (missing sorts first ascending or last descending).
func missingSentinel(k kind, low bool) any {
	switch k {
	case kindLong, kindDate, kindBool:
		if low {
			return int64(math.MinInt64)
		}
		return int64(math.MaxInt64)
	case kindInteger:
		if low {
			return int64(math.MinInt32)
		}
		return int64(math.MaxInt32)
	case kindDouble, kindFloat:
		// JSON has no infinity; Elasticsearch writes these strings.
		if low {
			return "-Infinity"
		}
		return "Infinity"
	}
	return nil
}
