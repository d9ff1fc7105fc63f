package msgdoc

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/jsonstr"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// checkJSON reports, once per record, why the value is not a JSON document
// whose fields can be read.
func (bld *Builder) checkJSON(r *kafkaevent.Record) *Error {
	c := &bld.fields.cur
	if c.jsonChecked {
		return c.jsonErr
	}
	c.jsonChecked = true
	switch {
	case r.Overflow:
		c.jsonErr = &Error{Type: ErrValueNotJSON, Reason: "the value was not delivered (overflowFlag), so its fields cannot be read"}
	case r.Value == nil:
		c.jsonErr = &Error{Type: ErrValueNotJSON, Reason: "the value is null"}
	case !r.ValueIsJSON && (!utf8.Valid(r.Value) || !json.Valid(r.Value)):
		c.jsonErr = &Error{Type: ErrValueNotJSON, Reason: "value is not a UTF-8 JSON document"}
	}
	return c.jsonErr
}

// csvRow parses, once per record, the value as one CSV row of exactly the
// configured number of columns.
func (bld *Builder) csvRow(r *kafkaevent.Record) ([]string, *Error) {
	c := &bld.fields.cur
	if !c.rowParsed {
		c.rowParsed = true
		c.row, c.rowErr = bld.fields.csv.parseRow(r, len(bld.o.CSVColumns))
	}
	return c.row, c.rowErr
}

// csvSource feeds values to encoding/csv. csv.NewReader wraps its input
// in a new 4 KiB bufio.Reader unless it already is one that large, so one
// bufio.Reader, reset for every value, saves 4 KiB of garbage per record.
type csvSource struct {
	value bytes.Reader
	buf   *bufio.Reader
}

func (s *csvSource) parseRow(r *kafkaevent.Record, columns int) ([]string, *Error) {
	notCSV := func(reason string) ([]string, *Error) {
		return nil, &Error{Type: ErrValueNotCSV, Reason: reason}
	}
	switch {
	case r.Overflow:
		return notCSV("the value was not delivered (overflowFlag), so its columns cannot be read")
	case r.Value == nil:
		return notCSV("the value is null")
	case !utf8.Valid(r.Value):
		return notCSV("the value is not UTF-8 text")
	}
	s.value.Reset(r.Value)
	if s.buf == nil {
		s.buf = bufio.NewReader(&s.value)
	}
	s.buf.Reset(&s.value)
	rd := csv.NewReader(s.buf)
	// The column count is checked below, where it gets its own failure type.
	rd.FieldsPerRecord = -1
	row, err := rd.Read()
	if errors.Is(err, io.EOF) {
		return notCSV("the value holds no CSV row")
	}
	if err != nil {
		// csv.ParseError names the line and column, never the content.
		return notCSV(err.Error())
	}
	if len(row) != columns {
		return nil, &Error{Type: ErrCSVColumnCount, Reason: "the row has " + itoa(len(row)) + " columns, CSV_COLUMNS names " + itoa(columns)}
	}
	if _, err := rd.Read(); !errors.Is(err, io.EOF) {
		return notCSV("the value holds more than one CSV row")
	}
	return row, nil
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// fieldText returns the text of the field p (or CSV column col) of the
// value, or a failure of type missing or composite.
func (bld *Builder) fieldText(r *kafkaevent.Record, p pointer, col int, missing, composite ErrorType) (string, *Error) {
	if bld.o.ValueFormat == ValueCSV {
		row, err := bld.csvRow(r)
		if err != nil {
			return "", err
		}
		return row[col], nil
	}
	if err := bld.checkJSON(r); err != nil {
		return "", err
	}
	raw, ok := lookup(r.Value, p)
	if !ok {
		return "", &Error{Type: missing, Reason: "the value has no field " + p.text}
	}
	text, kind := scalarText(raw)
	switch kind {
	case scalarNull:
		return "", &Error{Type: missing, Reason: "the field " + p.text + " is null"}
	case scalarComposite:
		return "", &Error{Type: composite, Reason: "the field " + p.text + " is an object or array, not a string, number or boolean"}
	}
	return text, nil
}

// fieldID builds the IDField id. One field gives its text; several are
// joined with '+', each with '\' and '+' escaped by '\', so that distinct
// field values never give one id ("a+b","c" and "a","b+c" become a\+b+c
// and a+b\+c). The result is encoded like a key id: over 512 bytes, empty
// or starting with "sha256:", it becomes "sha256:" and the hex SHA-256.
func (bld *Builder) fieldID(r *kafkaevent.Record) (string, *Error) {
	ids := bld.fields.ids
	if len(ids) == 0 {
		return "", &Error{Type: ErrIDFieldMissing, Reason: "no id fields are configured"}
	}
	var buf [256]byte
	id := buf[:0]
	for i, p := range ids {
		col := 0
		if bld.fields.idCols != nil {
			col = bld.fields.idCols[i]
		}
		text, err := bld.fieldText(r, p, col, ErrIDFieldMissing, ErrIDFieldNotScalar)
		if err != nil {
			return "", err
		}
		if len(ids) == 1 {
			id = append(id, text...)
			break
		}
		if i > 0 {
			id = append(id, '+')
		}
		id = appendEscapedPart(id, text)
	}
	return KeyID(id), nil
}

func appendEscapedPart(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, `\+`) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '+' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return dst
}

// fieldRouting returns the RoutingField routing value, encoded like a key.
func (bld *Builder) fieldRouting(r *kafkaevent.Record) (string, *Error) {
	if bld.fields.routing.tokens == nil {
		return "", &Error{Type: ErrRoutingFieldMissing, Reason: "no routing field is configured"}
	}
	text, err := bld.fieldText(r, bld.fields.routing, bld.fields.routeCol, ErrRoutingFieldMissing, ErrRoutingFieldNotScalar)
	if err != nil {
		return "", err
	}
	return KeyID([]byte(text)), nil
}

// appendCSVObject appends the kept columns of row as a JSON object of strings.
func (bld *Builder) appendCSVObject(dst []byte, row []string) []byte {
	dst = append(dst, '{')
	for i, c := range bld.fields.keepCols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonstr.Append(dst, bld.o.CSVColumns[c])
		dst = append(dst, ':')
		dst = jsonstr.Append(dst, row[c])
	}
	return append(dst, '}')
}

// appendKept appends the members of the JSON object obj that VALUE_FIELDS
// keeps, in the order of obj, without insignificant whitespace.
func (bld *Builder) appendKept(dst, obj []byte) []byte {
	dst = append(dst, '{')
	n := 0
	for k, v := range members(obj) {
		inner := k[1 : len(k)-1]
		_, ok := bld.fields.keep[string(inner)]
		if !ok && bytes.IndexByte(inner, '\\') >= 0 {
			_, ok = bld.fields.keep[keyText(k)]
		}
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(append(dst, k...), ':')
		dst = appendCompactJSON(dst, v)
	}
	return append(dst, '}')
}
