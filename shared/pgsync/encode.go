package pgsync

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/esconnect/esconnect/shared/jsonstr"
)

// encoder appends the JSON form of one non-NULL value, given in PostgreSQL's
// text format, to dst. Rows are read in text format on a session whose
// DateStyle, TimeZone, IntervalStyle and bytea_output are pinned (see
// sessionParams), so every type has one textual shape to convert from.
type encoder func(dst, text []byte) []byte

var nullJSON = []byte("null")

// builtinEncoders maps the types the type-mapping table of docs/pg-es-sync.md
// names; every other type is resolved through the catalog (enums, domains,
// arrays) or falls back to its text form as a JSON string.
var builtinEncoders = map[uint32]encoder{
	pgtype.Int2OID:        appendVerbatim,
	pgtype.Int4OID:        appendVerbatim,
	pgtype.Int8OID:        appendVerbatim,
	pgtype.OIDOID:         appendVerbatim,
	pgtype.XIDOID:         appendVerbatim,
	pgtype.CIDOID:         appendVerbatim,
	pgtype.Float4OID:      appendFinite,
	pgtype.Float8OID:      appendFloat8,
	pgtype.NumericOID:     appendFinite,
	pgtype.BoolOID:        appendBool,
	pgtype.TimestamptzOID: appendTimestamp,
	pgtype.TimestampOID:   appendTimestamp,
	pgtype.DateOID:        appendDate,
	pgtype.TimeOID:        appendTime,
	pgtype.TimetzOID:      appendTime,
	pgtype.JSONBOID:       appendVerbatim,
	pgtype.JSONOID:        appendJSON,
	pgtype.ByteaOID:       appendBytea,
}

// appendVerbatim copies text that already is JSON: integers, and jsonb,
// whose output form is compact enough to sit on one NDJSON line.
func appendVerbatim(dst, text []byte) []byte { return append(dst, text...) }

// appendFinite copies a float or numeric as a JSON number literal, which
// keeps every digit of a numeric. NaN and the infinities have no JSON form
// and Elasticsearch refuses them in numeric fields, so they become null.
func appendFinite(dst, text []byte) []byte {
	switch string(text) {
	case "NaN", "Infinity", "-Infinity":
		return append(dst, nullJSON...)
	}
	return append(dst, text...)
}

func appendBool(dst, text []byte) []byte {
	if len(text) > 0 && text[0] == 't' {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendFloat8 writes a double as Elastic's connector does, in Python's
// repr (shortest digits: 0.1, 2.0, 1e-05). NaN and the infinities have no
// JSON form and Elasticsearch refuses them in numeric fields: null.
func appendFloat8(dst, text []byte) []byte {
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, nullJSON...)
	}
	return appendPyFloat(dst, f)
}

// appendTimestamp writes a timestamp as Elastic's connector does (Python's
// isoformat: "2024-01-02T03:04:05.250000+00:00" for a timestamptz, in UTC;
// "2024-01-02T03:04:05.250000" without time zone), in a form every date
// mapping with Elasticsearch's default format takes:
//   - BC years as ISO 8601 years with a sign (4713 BC is -4712), which
//     Elasticsearch and OpenSearch parse as the same proleptic Gregorian
//     dates PostgreSQL stores;
//   - years after 9999, which Elasticsearch's date parser refuses in any
//     text form, as epoch milliseconds (with the microseconds as a fraction),
//     which its default format (strict_date_optional_time||epoch_millis)
//     takes and stores exactly to the millisecond;
//   - infinity and -infinity as Python's datetime.max and datetime.min, as
//     Elastic's connector writes them, so they sort after and before
//     ordinary dates.
func appendTimestamp(dst, text []byte) []byte {
	switch string(text) {
	case "infinity":
		return append(dst, `"9999-12-31T23:59:59.999999"`...)
	case "-infinity":
		return append(dst, `"0001-01-01T00:00:00"`...)
	}
	ts, ok := parsePGTimestamp(text)
	if !ok {
		return jsonstr.Append(dst, text)
	}
	if ts.hasZone {
		ts = ts.utc()
	}
	dst = append(dst, '"')
	if !ts.isoYear() {
		dst = ts.appendEpochMillis(dst)
		return append(dst, '"')
	}
	dst = ts.appendDate(dst)
	dst = append(dst, 'T')
	dst = ts.appendClock(dst)
	if ts.hasZone {
		dst = append(dst, "+00:00"...)
	}
	return append(dst, '"')
}

// appendDate writes a date as its ISO form, with the same rules as
// appendTimestamp for BC years, years after 9999 and the infinities
// (date.max and date.min).
func appendDate(dst, text []byte) []byte {
	switch string(text) {
	case "infinity":
		return append(dst, `"9999-12-31"`...)
	case "-infinity":
		return append(dst, `"0001-01-01"`...)
	}
	d, ok := parsePGDate(text)
	if !ok {
		return jsonstr.Append(dst, text)
	}
	dst = append(dst, '"')
	if d.isoYear() {
		dst = d.appendDate(dst)
	} else {
		dst = d.appendEpochMillis(dst)
	}
	return append(dst, '"')
}

// appendTime writes a time as Python's isoformat does ("13:14:15.500000",
// "13:14:15+05:30"); 24:00:00, which Python has no time for, keeps its text.
func appendTime(dst, text []byte) []byte {
	return jsonstr.Append(dst, keyTime(nil, text))
}

// appendJSON embeds a json value. Unlike jsonb, json keeps the text as it
// was written, newlines included, and a bulk source line must be one line.
func appendJSON(dst, text []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, text); err != nil {
		return jsonstr.Append(dst, text)
	}
	return append(dst, b.Bytes()...)
}

// appendBytea turns hex output ("\x0aff") into standard base64, the form
// Elasticsearch's binary field takes.
func appendBytea(dst, text []byte) []byte {
	if !bytes.HasPrefix(text, []byte(`\x`)) {
		return jsonstr.Append(dst, text)
	}
	raw := make([]byte, hex.DecodedLen(len(text)-2))
	if _, err := hex.Decode(raw, text[2:]); err != nil {
		return jsonstr.Append(dst, text)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}

// appendStringValue is the encoder of every type kept as its text form:
// text, uuid, time, interval, inet, cidr, macaddr, enums, money, ...
func appendStringValue(dst, text []byte) []byte { return jsonstr.Append(dst, text) }
