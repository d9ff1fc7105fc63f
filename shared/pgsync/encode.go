package pgsync

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

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
	pgtype.Float8OID:      appendFinite,
	pgtype.NumericOID:     appendFinite,
	pgtype.BoolOID:        appendBool,
	pgtype.TimestamptzOID: appendTimestamp,
	pgtype.TimestampOID:   appendTimestamp,
	pgtype.DateOID:        appendDate,
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

// appendTimestamp turns ISO output ("2024-01-02 03:04:05.5+00", always +00
// under TimeZone=UTC) into RFC 3339 in UTC ("2024-01-02T03:04:05.5Z"). A
// timestamp without time zone gets the Z too: Elasticsearch reads a date
// without offset as UTC anyway, so the instant it indexes is the same and the
// string is strict RFC 3339. Infinite timestamps become null; BC dates, which
// RFC 3339 cannot express, keep their text form.
func appendTimestamp(dst, text []byte) []byte {
	if isInfinite(text) {
		return append(dst, nullJSON...)
	}
	sp := bytes.IndexByte(text, ' ')
	if sp < 0 || bytes.HasSuffix(text, []byte(" BC")) {
		return jsonstr.Append(dst, text)
	}
	dst = append(dst, '"')
	dst = append(dst, text[:sp]...)
	dst = append(dst, 'T')
	rest := text[sp+1:]
	switch {
	case bytes.HasSuffix(rest, []byte("+00")):
		dst = append(dst, rest[:len(rest)-3]...)
	case len(rest) > 3 && (rest[len(rest)-3] == '+' || rest[len(rest)-3] == '-'):
		// A whole-hour offset other than UTC (only if TimeZone was
		// overridden): RFC 3339 needs the minutes.
		dst = append(dst, rest...)
		return append(dst, ":00\""...)
	default:
		dst = append(dst, rest...)
		if bytes.ContainsAny(rest, "+-") {
			return append(dst, '"')
		}
	}
	return append(dst, "Z\""...)
}

// appendDate keeps ISO dates (RFC 3339 full-date) as strings; infinite dates
// become null like infinite timestamps.
func appendDate(dst, text []byte) []byte {
	if isInfinite(text) {
		return append(dst, nullJSON...)
	}
	return jsonstr.Append(dst, text)
}

func isInfinite(text []byte) bool {
	return string(text) == "infinity" || string(text) == "-infinity"
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
