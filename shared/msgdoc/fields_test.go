package msgdoc

import (
	"errors"
	"strings"
	"testing"
)

// TestNewFieldOptionProblems checks that every contradictory or malformed
// field option is refused under its own sentinel, all at once.
func TestNewFieldOptionProblems(t *testing.T) {
	cols := []string{"id", "name"}
	tests := []struct {
		name string
		o    Options
		want []error
	}{
		{"id fields without the field strategy", Options{IDFields: []string{"/a"}}, []error{ErrIDFields}},
		{"malformed id pointer", Options{DocID: IDField, IDFields: []string{"a", "/b~2"}}, []error{ErrIDFields, ErrPointer}},
		{"id pointer twice", Options{DocID: IDField, IDFields: []string{"/a", "/a"}}, []error{ErrIDFields}},
		{"routing field without the field routing", Options{Routing: RoutingKey, RoutingField: "/a"}, []error{ErrRoutingField}},
		{"malformed routing pointer", Options{Routing: RoutingField, RoutingField: "a"}, []error{ErrRoutingField, ErrPointer}},
		{"value fields of text", Options{ValueFields: []string{"a"}}, []error{ErrValueFields}},
		{"value fields of base64", Options{ValueFormat: ValueBase64, ValueFields: []string{"a"}}, []error{ErrValueFields}},
		{"empty and repeated value field", Options{ValueFormat: ValueJSON, ValueFields: []string{"a", "", "a"}}, []error{ErrValueFields}},
		{"csv columns without csv", Options{ValueFormat: ValueJSON, CSVColumns: cols}, []error{ErrCSVColumns}},
		{"repeated and empty column", Options{ValueFormat: ValueCSV, CSVColumns: []string{"a", "a", ""}}, []error{ErrCSVColumns}},
		{"csv value field that is no column", Options{ValueFormat: ValueCSV, CSVColumns: cols, ValueFields: []string{"nope"}}, []error{ErrValueFields}},
		{"csv id pointer that is no column", Options{ValueFormat: ValueCSV, CSVColumns: cols, DocID: IDField, IDFields: []string{"/id/x", "/nope"}}, []error{ErrIDFields}},
		{"csv routing pointer that is no column", Options{ValueFormat: ValueCSV, CSVColumns: cols, Routing: RoutingField, RoutingField: "/nope"}, []error{ErrRoutingField}},
		{"unknown message mode", Options{MsgMode: 7}, []error{ErrMsgMode}},
		{"key mode with json", Options{MsgMode: MsgKey, ValueFormat: ValueJSON}, []error{ErrMsgMode}},
		{"key mode with base64", Options{MsgMode: MsgKey, ValueFormat: ValueBase64}, []error{ErrMsgMode}},
		{"key mode with csv and no field use", Options{MsgMode: MsgKey, ValueFormat: ValueCSV, CSVColumns: cols}, []error{ErrMsgMode}},
		{"key mode with a size limit", Options{MsgMode: MsgKey, MaxValueBytes: 10}, []error{ErrMsgMode}},
		{"several at once", Options{Index: "Bad", IDFields: []string{"x"}, ValueFields: []string{"a"}, CSVColumns: cols, MsgMode: 9},
			[]error{ErrIndexTemplate, ErrIDFields, ErrValueFields, ErrCSVColumns, ErrMsgMode}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.Index == "" {
				tc.o.Index = "idx"
			}
			_, err := New(tc.o)
			if err == nil {
				t.Fatal("New accepted the options")
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error %q does not wrap %v", err, want)
				}
			}
		})
	}
}

func TestNewFieldOptionsAccepted(t *testing.T) {
	cols := []string{"id", "name"}
	for _, o := range []Options{
		{DocID: IDField, IDFields: []string{"/a", "/b/0", "/c~1d"}, Routing: RoutingField, RoutingField: "/t"},
		{ValueFormat: ValueJSON, ValueFields: []string{"a", "b"}, MsgMode: MsgValue},
		{ValueFormat: ValueCSV, CSVColumns: cols, ValueFields: []string{"name"}, DocID: IDField, IDFields: []string{"/id"}},
		{ValueFormat: ValueCSV, CSVColumns: cols, MsgMode: MsgKey, Routing: RoutingField, RoutingField: "/name"},
		{MsgMode: MsgKey, DocID: IDKey, IncludeHeaders: true},
	} {
		o.Index = "idx"
		if _, err := New(o); err != nil {
			t.Errorf("New(%+v): %v", o, err)
		}
	}
}

func TestParseFieldSettings(t *testing.T) {
	if s, err := ParseIDStrategy("Field:/a,/b"); s != IDField || err != nil {
		t.Errorf("ParseIDStrategy(Field:/a,/b) = %v, %v", s, err)
	}
	if p, err := ParseIDFields(" field: /a , /b~1c "); err != nil || strings.Join(p, "|") != "/a|/b~1c" {
		t.Errorf("ParseIDFields = %q, %v", p, err)
	}
	if p, err := ParseIDFields("offset"); p != nil || err != nil {
		t.Errorf("ParseIDFields(offset) = %q, %v; want nil, nil", p, err)
	}
	for _, bad := range []string{"field:", "field:a", "field:/a,,/b", "field:/a~"} {
		if _, err := ParseIDFields(bad); !errors.Is(err, ErrPointer) {
			t.Errorf("ParseIDFields(%q) = %v, want ErrPointer", bad, err)
		}
	}
	if r, err := ParseRouting("field:/t"); r != RoutingField || err != nil {
		t.Errorf("ParseRouting(field:/t) = %v, %v", r, err)
	}
	if p, err := ParseRoutingField("field:/t/0"); p != "/t/0" || err != nil {
		t.Errorf("ParseRoutingField = %q, %v", p, err)
	}
	if p, err := ParseRoutingField("key"); p != "" || err != nil {
		t.Errorf("ParseRoutingField(key) = %q, %v", p, err)
	}
	if _, err := ParseRoutingField("field:t"); !errors.Is(err, ErrPointer) {
		t.Errorf("ParseRoutingField(field:t) = %v, want ErrPointer", err)
	}
	if v, err := ParseValueFormat("CSV"); v != ValueCSV || err != nil {
		t.Errorf("ParseValueFormat(CSV) = %v, %v", v, err)
	}
	modes := map[string]MsgMode{"": MsgDefault, "default": MsgDefault, "KEY": MsgKey, "value": MsgValue}
	for in, want := range modes {
		if m, err := ParseMsgMode(in); m != want || err != nil {
			t.Errorf("ParseMsgMode(%q) = %v, %v", in, m, err)
		}
	}
	if _, err := ParseMsgMode("both"); err == nil {
		t.Error("ParseMsgMode(both) accepted")
	}
}
