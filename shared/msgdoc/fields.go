package msgdoc

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Sentinels wrapped by New's problems with the field options, so that a
// caller can name the setting behind each one.
var (
	ErrIDFields     = errors.New("invalid id fields")
	ErrRoutingField = errors.New("invalid routing field")
	ErrValueFields  = errors.New("invalid value fields")
	ErrCSVColumns   = errors.New("invalid CSV columns")
	ErrMsgMode      = errors.New("invalid message mode")
)

// fieldState is what New derives from the field options, plus the parsed
// form of the record being built, which its id, routing and value share.
type fieldState struct {
	ids     []pointer
	routing pointer
	// keep is the set of VALUE_FIELDS for JSON values.
	keep map[string]struct{}
	// Under ValueCSV, pointers and kept fields are resolved to column
	// numbers once here instead of per record.
	idCols   []int
	routeCol int
	keepCols []int

	cur recordCache
	csv csvSource
}

// recordCache holds the value of one record once checked or parsed, so
// that DOC_ID=field, ES_ROUTING=field and the document read it only once.
// action resets it for every record.
type recordCache struct {
	jsonChecked bool
	jsonErr     *Error
	rowParsed   bool
	row         []string
	rowErr      *Error
}

// compileFields checks the field options against each other and resolves
// them. A mode without its companion (IDField without IDFields, ValueCSV
// without CSVColumns, RoutingField without a pointer) is accepted: such a
// builder fails every record with the matching failure type, since no field
// can be found. Loaders check that the companion is set, where they can
// name the setting.
func compileFields(o *Options) (fieldState, []error) {
	var fs fieldState
	var errs []error
	fail := func(sentinel error, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...)))
	}
	csv := o.ValueFormat == ValueCSV
	columns := make(map[string]int, len(o.CSVColumns))
	if len(o.CSVColumns) > 0 && !csv {
		fail(ErrCSVColumns, "set but the value format is not csv")
	}
	for i, c := range o.CSVColumns {
		switch _, dup := columns[c]; {
		case c == "" || !utf8.ValidString(c):
			fail(ErrCSVColumns, "column %d has no valid name", i+1)
		case dup:
			fail(ErrCSVColumns, "column %q is named twice", c)
		}
		columns[c] = i
	}
	// column resolves a pointer under ValueCSV: a CSV row becomes a flat
	// object of strings, so only /<column> can point at anything.
	column := func(sentinel error, p pointer) int {
		if c, ok := columns[p.tokens[0]]; ok && len(p.tokens) == 1 {
			return c
		}
		fail(sentinel, "%q does not name a CSV column (a CSV row has one level: /<column>)", p.text)
		return -1
	}

	if len(o.IDFields) > 0 && o.DocID != IDField {
		fail(ErrIDFields, "set but the id strategy is not field")
	}
	seen := make(map[string]bool, len(o.IDFields))
	for _, s := range o.IDFields {
		p, err := parsePointer(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrIDFields, err))
			continue
		}
		if seen[s] {
			fail(ErrIDFields, "%q is listed twice", s)
		}
		seen[s] = true
		fs.ids = append(fs.ids, p)
		if csv {
			fs.idCols = append(fs.idCols, column(ErrIDFields, p))
		}
	}

	if o.RoutingField != "" {
		if o.Routing != RoutingField {
			fail(ErrRoutingField, "set but the routing is not field")
		}
		p, err := parsePointer(o.RoutingField)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrRoutingField, err))
		} else {
			fs.routing = p
			if csv {
				fs.routeCol = column(ErrRoutingField, p)
			}
		}
	}

	if len(o.ValueFields) > 0 {
		if o.ValueFormat != ValueJSON && !csv {
			fail(ErrValueFields, "needs the json or csv value format to have fields")
		}
		fs.keep = make(map[string]struct{}, len(o.ValueFields))
		for _, f := range o.ValueFields {
			if _, dup := fs.keep[f]; dup || f == "" {
				fail(ErrValueFields, "field %q is empty or listed twice", f)
			}
			fs.keep[f] = struct{}{}
		}
	}
	if csv {
		// Kept columns follow CSV_COLUMNS order, whatever the VALUE_FIELDS
		// order, so that documents of one topic have one field order.
		for i, c := range o.CSVColumns {
			if _, ok := fs.keep[c]; ok || fs.keep == nil {
				fs.keepCols = append(fs.keepCols, i)
			}
		}
		for _, f := range o.ValueFields {
			if _, ok := columns[f]; !ok {
				fail(ErrValueFields, "%q is not a CSV column", f)
			}
		}
	}

	switch {
	case o.MsgMode > MsgValue:
		fail(ErrMsgMode, "unknown message mode %d", o.MsgMode)
	case o.MsgMode == MsgKey:
		// Value settings would silently do nothing when no value is stored;
		// csv still matters when ids or routing come from its columns.
		fieldsUsed := o.DocID == IDField || o.Routing == RoutingField
		if o.ValueFormat == ValueJSON || o.ValueFormat == ValueBase64 || (csv && !fieldsUsed) {
			fail(ErrMsgMode, "key mode stores no value, so the value format does nothing")
		}
		if len(o.ValueFields) > 0 {
			fail(ErrMsgMode, "key mode stores no value, so value fields do nothing")
		}
		if o.MaxValueBytes > 0 {
			fail(ErrMsgMode, "key mode stores no value, so the value size limit does nothing")
		}
	}
	return fs, errs
}
