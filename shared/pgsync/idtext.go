package pgsync

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"
)

// keyFormat appends the text a primary key value takes in a document id,
// given the value in PostgreSQL's text format (on the pinned session, see
// sessionParams). Elastic's PostgreSQL connector reads rows through asyncpg
// and builds ids with Python's str() of the driver's values, so a key is
// written as Python prints the value asyncpg decodes: True for a boolean,
// "2024-01-02 03:04:05.250000+00:00" for a timestamptz, Decimal's notation
// for a numeric. A value Python cannot represent (a BC date, a year past
// 9999, the time 24:00:00) makes asyncpg raise, so Elastic's connector has no
// id for it; such a key keeps PostgreSQL's text.
type keyFormat func(dst, text []byte) []byte

// builtinKeys maps the types whose Python form differs from PostgreSQL's
// text; every other type (integers, text, uuid, inet, enums, ...) prints the
// same in both and is copied.
var builtinKeys = map[uint32]keyFormat{
	pgtype.BoolOID:        keyBool,
	pgtype.NumericOID:     keyNumeric,
	pgtype.Float8OID:      keyFloat8,
	pgtype.Float4OID:      keyFloat4,
	pgtype.TimestamptzOID: keyTimestamp,
	pgtype.TimestampOID:   keyTimestamp,
	pgtype.DateOID:        keyDate,
	pgtype.TimeOID:        keyTime,
	pgtype.TimetzOID:      keyTime,
	pgtype.IntervalOID:    keyInterval,
	pgtype.ByteaOID:       keyBytea,
}

func keyVerbatim(dst, text []byte) []byte { return append(dst, text...) }

func keyBool(dst, text []byte) []byte {
	if len(text) > 0 && text[0] == 't' {
		return append(dst, "True"...)
	}
	return append(dst, "False"...)
}

// keyNumeric writes str() of the Decimal asyncpg builds: its coefficient is
// the value's digits and its exponent minus the value's scale (PostgreSQL's
// text has exactly scale fraction digits), so 1.50 stays "1.50" and
// 0.0000001 becomes "1E-7".
func keyNumeric(dst, text []byte) []byte {
	switch string(text) {
	case "NaN", "Infinity", "-Infinity":
		return append(dst, text...)
	}
	neg := len(text) > 0 && text[0] == '-'
	if neg {
		text = text[1:]
	}
	intPart, frac := text, []byte(nil)
	if dot := bytes.IndexByte(text, '.'); dot >= 0 {
		intPart, frac = text[:dot], text[dot+1:]
	}
	digits := append(append([]byte{}, intPart...), frac...)
	digits = bytes.TrimLeft(digits, "0")
	if len(digits) == 0 {
		digits = []byte{'0'}
	}
	if neg {
		dst = append(dst, '-')
	}
	return appendDecimalStr(dst, digits, -len(frac))
}

// appendDecimalStr is Python's Decimal.__str__ (scientific form, capitals)
// for coefficient digits and exponent exp.
func appendDecimalStr(dst, digits []byte, exp int) []byte {
	left := exp + len(digits)
	dot := 1
	if exp <= 0 && left > -6 {
		dot = left
	}
	switch {
	case dot <= 0:
		dst = append(dst, "0."...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, -dot)...)
		dst = append(dst, digits...)
	case dot >= len(digits):
		dst = append(dst, digits...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, dot-len(digits))...)
	default:
		dst = append(dst, digits[:dot]...)
		dst = append(dst, '.')
		dst = append(dst, digits[dot:]...)
	}
	if left != dot {
		dst = append(dst, 'E')
		if left-dot >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(left-dot), 10)
	}
	return dst
}

func keyFloat8(dst, text []byte) []byte {
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return append(dst, text...)
	}
	return appendPyFloat(dst, f)
}

// keyFloat4 widens the float4 to a double first, as asyncpg does, so 1.1
// becomes 1.100000023841858.
func keyFloat4(dst, text []byte) []byte {
	f, err := strconv.ParseFloat(string(text), 32)
	if err != nil {
		return append(dst, text...)
	}
	return appendPyFloat(dst, float64(float32(f)))
}

// appendPyFloat is Python's repr of a float: the shortest digits that read
// back as the same double, in positional form when the decimal point falls
// between -4 and 16 digits, else in exponent form with at least two exponent
// digits ("1e-05", "1e+16"); a whole number keeps ".0".
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	ePos := bytes.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	digits := bytes.Replace(e[:ePos], []byte{'.'}, nil, 1)
	if f == 0 {
		return append(dst, "0.0"...)
	}
	decpt := exp + 1
	switch {
	case decpt <= -4 || decpt > 16:
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	case decpt <= 0:
		dst = append(dst, "0."...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, -decpt)...)
		return append(dst, digits...)
	case decpt >= len(digits):
		dst = append(dst, digits...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, decpt-len(digits))...)
		return append(dst, ".0"...)
	default:
		dst = append(dst, digits[:decpt]...)
		dst = append(dst, '.')
		return append(dst, digits[decpt:]...)
	}
}

// keyTimestamp writes str() of asyncpg's datetime: "YYYY-MM-DD HH:MM:SS",
// ".ffffff" when there are microseconds, and "+00:00" for a timestamptz
// (asyncpg returns it in UTC). The infinities are asyncpg's datetime.max and
// datetime.min, without an offset even for a timestamptz.
func keyTimestamp(dst, text []byte) []byte {
	switch string(text) {
	case "infinity":
		return append(dst, "9999-12-31 23:59:59.999999"...)
	case "-infinity":
		return append(dst, "0001-01-01 00:00:00"...)
	}
	ts, ok := parsePGTimestamp(text)
	if !ok || !ts.pythonYear() {
		return append(dst, text...)
	}
	if ts.hasZone {
		ts = ts.utc()
	}
	dst = ts.appendDate(dst)
	dst = append(dst, ' ')
	dst = ts.appendClock(dst)
	if ts.hasZone {
		dst = append(dst, "+00:00"...)
	}
	return dst
}

// keyDate: str() of a date is its ISO form; the infinities are date.max and
// date.min.
func keyDate(dst, text []byte) []byte {
	switch string(text) {
	case "infinity":
		return append(dst, "9999-12-31"...)
	case "-infinity":
		return append(dst, "0001-01-01"...)
	}
	ts, ok := parsePGDate(text)
	if !ok || !ts.pythonYear() {
		return append(dst, text...)
	}
	return ts.appendDate(dst)
}

// keyTime writes str() of asyncpg's time: microseconds as six digits when
// not zero, a timetz offset as +HH:MM (asyncpg keeps whole minutes of it).
// 24:00:00 is no Python time; it keeps its text.
func keyTime(dst, text []byte) []byte {
	t, ok := parsePGTime(text)
	if !ok || t.hour > 23 {
		return append(dst, text...)
	}
	dst = t.appendClock(dst)
	if t.hasZone {
		dst = appendOffset(dst, t.offset/60*60)
	}
	return dst
}

// keyBytea writes repr() of the bytes asyncpg returns: b'...' with
// printable ASCII as is, \t \n \r and \xhh for the rest, and double quotes
// when the value holds a single quote but no double quote.
func keyBytea(dst, text []byte) []byte {
	if !bytes.HasPrefix(text, []byte(`\x`)) {
		return append(dst, text...)
	}
	raw := make([]byte, hex.DecodedLen(len(text)-2))
	if _, err := hex.Decode(raw, text[2:]); err != nil {
		return append(dst, text...)
	}
	quote := byte('\'')
	if bytes.IndexByte(raw, '\'') >= 0 && bytes.IndexByte(raw, '"') < 0 {
		quote = '"'
	}
	dst = append(dst, 'b', quote)
	for _, c := range raw {
		switch {
		case c == quote || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c < ' ' || c >= 0x7f:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, quote)
}

const hexDigits = "0123456789abcdef"
