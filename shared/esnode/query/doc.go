// Package query is the query engine of the in-memory Elasticsearch-API node
// (shared/esnode): it parses the parts of a search request that select,
// order and shape hits, and evaluates them against stored documents with
// Elasticsearch 8.x semantics. It does no HTTP and no storage; the node hands
// it request fragments, documents (sources decoded with UseNumber) and a
// Mapping per index.
//
// # Queries
//
// Parse (or Parser.Parse with an injected clock) accepts the value of the
// body's "query" key; nil or empty is match_all. Supported:
//
//   - match_all, match_none
//   - term (short and {"value", "boost", "case_insensitive"} forms), terms
//   - match (query, operator or/and, minimum_should_match including
//     conditional specs, zero_terms_query), match_phrase (slop 0)
//   - range: gt/gte/lt/lte, from/to/include_lower/include_upper, format,
//     time_zone; numbers, keywords, text tokens, booleans and dates
//   - exists, ids, prefix, wildcard ("*", "?", "\" escapes)
//   - bool (must, filter, should, must_not as object or array;
//     minimum_should_match, defaulting to 1 only when there is no must or
//     filter clause), constant_score
//
// Field types come from the Mapping: on a text field, term, prefix and
// wildcard compare against the analyzed tokens and match analyzes its text;
// on keyword fields values compare exactly; numeric fields compare by value
// with numeric strings coerced, integer fields truncating fractions like
// Elasticsearch's coerce and float fields at float32 precision; date fields
// compare epoch milliseconds. A term or match on a date field covers the
// period its text names ("2024-01-02" is the whole day), and range rounds
// gt/lte up and gte/lt down exactly as Elasticsearch's date math does.
// "<text>.keyword" resolves to the text field's values with the dynamic
// ignore_above of 256. Array values match when any element does; dotted
// paths descend objects and arrays of objects and also resolve keys that
// contain dots. _id and _index are queryable as keywords. Unmapped fields
// match nothing, as in Elasticsearch.
//
// Dates in _source and in queries without a format are read as
// strict_date_optional_time, "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd" or epoch
// millis. Range formats may name those, epoch_second, or a pattern built
// from y, M, d, H, m, s, S and X; date math is "now" or "<date>||" followed
// by +N/-N/round steps in units y M w d h H m s.
//
// The analyzer approximates the standard analyzer: Unicode word
// segmentation simplified to letters, digits, marks and "_" with "." and
// apostrophes joining letters or digits, each Han/Hiragana character a
// token, lowercased, tokens cut at 255 characters. Every hit scores 1.0.
//
// # Errors
//
// Every error is an *Error carrying Elasticsearch's status, exception type
// and reason wording: "unknown query [x]" and malformed structure are 400
// parsing_exception, bad JSON is x_content_parse_exception, "{}" is
// illegal_argument_exception "query malformed, empty clause found", and
// single-field queries reject a second field with "[term] query doesn't
// support multiple fields, found [a] and [b]". Errors that depend on the
// mapping (a non-numeric term on a long field, an unparseable date on a
// date field, prefix on a number) cannot surface from Matches, which treats
// such clauses as matching nothing; Check reports them so the node can fail
// the search the way Elasticsearch does.
//
// # Sorting and _source
//
// ParseSort and ParseSortParam accept every body and query-string sort form;
// SortDocs sorts stably (missing values _last by default, _first, or a
// stand-in value; mode min/max/sum/avg/median; unmapped_type), SortValues
// renders the per-hit "sort" array with Elasticsearch's types and missing
// sentinels, and ValidateSort reports sorting on text fields, unmapped
// fields and _id. ParseSourceFilter and ParseSourceParams read _source
// filtering, which SourceFilter.Apply performs with Elasticsearch's
// include/exclude rules for wildcards, nested objects and arrays.
//
// # Not supported
//
// Scoring and relevance order, other query types (multi_match,
// query_string, nested, fuzzy, regexp, function_score, geo and span queries
// and others answer "[x] query is not supported by this node"), terms
// lookup, fuzziness, analyzers other than standard, match_phrase slop,
// field patterns in exists, normalizers, nested and script sorts, sort
// output formats, search_after. Wildcard and prefix patterns on text fields
// are not normalized.
package query
