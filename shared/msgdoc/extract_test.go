package msgdoc

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// The golden bodies below share the record of rec: topic orders,
// partition 3, offset 1042.
const (
	goldenHead = `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders"`
	goldenTail = `}},"doc_as_upsert":true}`
)

func sha256ID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestFieldOptionsGolden pins action and _source bytes for DOC_ID=field,
// ES_ROUTING=field, VALUE_FIELDS, VALUE_FORMAT=csv and MSG_MODE.
func TestFieldOptionsGolden(t *testing.T) {
	long := strings.Repeat("x", 300)
	overflow := rec("order-1", null)
	overflow.Overflow, overflow.ValueSize = true, 9000000
	binaryKey := rec("\xff", "v")
	csvCols := []string{"id", "name", "note"}
	const csvRow = "7,\"Smith, J\",\"said \"\"hi\"\"\r\nbye\"\n"
	// encoding/csv turns \r\n inside a quoted field into \n.
	const csvObject = `{"id":"7","name":"Smith, J","note":"said \"hi\"\nbye"}`

	tests := []struct {
		name    string
		o       Options
		r       kafkaevent.Record
		id      string
		routing string
		body    string
	}{
		{name: "one id field",
			o: Options{DocID: IDField, IDFields: []string{"/id"}, ValueFormat: ValueJSON},
			r: rec("order-1", `{"id": "A-1", "x": 1}`), id: "A-1",
			body: goldenHead + `,"value":{"id":"A-1","x":1},"valueSize":21` + goldenTail},
		{name: "id fields joined and escaped, text value",
			o: Options{DocID: IDField, IDFields: []string{"/a", "/b"}},
			r: rec("order-1", `{"a":"x+y","b":"z\\w"}`), id: `x\+y+z\\w`,
			body: goldenHead + `,"value":"{\"a\":\"x+y\",\"b\":\"z\\\\w\"}","valueSize":22` + goldenTail},
		{name: "numbers and booleans as written",
			o: Options{DocID: IDField, IDFields: []string{"/n", "/t", "/o/list/1"}},
			r: rec("order-1", `{"n":1.50,"t":true,"o":{"list":["a",-3e2]}}`), id: "1.50+true+-3e2",
			body: goldenHead + `,"value":"{\"n\":1.50,\"t\":true,\"o\":{\"list\":[\"a\",-3e2]}}","valueSize":43` + goldenTail},
		{name: "long id is hashed",
			o: Options{DocID: IDField, IDFields: []string{"/a", "/b"}, MsgMode: MsgKey},
			r: rec("order-1", `{"a":"`+long+`","b":"`+long+`"}`), id: sha256ID(long + "+" + long),
			body: goldenHead + `,"valueSize":615` + goldenTail},
		{name: "id with the reserved prefix is hashed",
			o: Options{DocID: IDField, IDFields: []string{"/a"}, MsgMode: MsgKey},
			r: rec("order-1", `{"a":"sha256:00"}`), id: sha256ID("sha256:00"),
			body: goldenHead + `,"valueSize":17` + goldenTail},
		{name: "routing field",
			o: Options{Routing: RoutingField, RoutingField: "/tenant", ValueFormat: ValueJSON},
			r: rec("order-1", `{"tenant":"t1"}`), id: "orders+3+1042", routing: "t1",
			body: goldenHead + `,"value":{"tenant":"t1"},"valueSize":15` + goldenTail},
		{name: "value fields keep the value's order",
			o: Options{ValueFormat: ValueJSON, ValueFields: []string{"b", "a"}},
			r: rec("order-1", ` {"a": 1, "c": {"x": 2}, "b": [1, 2], "a\u0062": 3, "\u0061": 4}`), id: "orders+3+1042",
			body: goldenHead + `,"value":{"a":1,"b":[1,2],"\u0061":4},"valueSize":64` + goldenTail},
		{name: "value fields, none present",
			o: Options{ValueFormat: ValueJSON, ValueFields: []string{"z"}},
			r: rec("order-1", `{"a":1}`), id: "orders+3+1042",
			body: goldenHead + `,"value":{},"valueSize":7` + goldenTail},
		{name: "value fields over the size limit",
			o: Options{ValueFormat: ValueJSON, ValueFields: []string{"a"}, MaxValueBytes: 4},
			r: rec("order-1", `{"a":1}`), id: "orders+3+1042",
			body: strings.Replace(goldenHead, `"overflowFlag":false`, `"overflowFlag":true`, 1) + `,"valueSize":7` + goldenTail},
		{name: "csv quoted fields, embedded comma, quote and line break",
			o: Options{ValueFormat: ValueCSV, CSVColumns: csvCols},
			r: rec("order-1", csvRow), id: "orders+3+1042",
			body: goldenHead + `,"value":` + csvObject + `,"valueSize":32` + goldenTail},
		{name: "csv value fields in column order, id from a column",
			o: Options{ValueFormat: ValueCSV, CSVColumns: csvCols, ValueFields: []string{"note", "id"}, DocID: IDField, IDFields: []string{"/name", "/id"}},
			r: rec("order-1", csvRow), id: `Smith, J+7`,
			body: goldenHead + `,"value":{"id":"7","note":"said \"hi\"\nbye"},"valueSize":32` + goldenTail},
		{name: "csv routing from a column, key mode",
			o: Options{ValueFormat: ValueCSV, CSVColumns: csvCols, Routing: RoutingField, RoutingField: "/id", MsgMode: MsgKey},
			r: rec("order-1", csvRow), id: "orders+3+1042", routing: "7",
			body: goldenHead + `,"valueSize":32` + goldenTail},
		{name: "csv null value",
			o: Options{ValueFormat: ValueCSV, CSVColumns: csvCols},
			r: rec("order-1", null), id: "orders+3+1042",
			body: goldenHead + `,"valueSize":0` + goldenTail},
		{name: "key mode",
			o: Options{MsgMode: MsgKey},
			r: rec("order-1", "hello"), id: "orders+3+1042",
			body: goldenHead + `,"valueSize":5` + goldenTail},
		{name: "key mode keeps a connector overflow",
			o: Options{MsgMode: MsgKey},
			r: overflow, id: "orders+3+1042",
			body: strings.Replace(goldenHead, `"overflowFlag":false`, `"overflowFlag":true`, 1) + `,"valueSize":9000000` + goldenTail},
		{name: "value mode",
			o: Options{MsgMode: MsgValue},
			r: binaryKey, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"v","valueSize":1}},"doc_as_upsert":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, tc.o)
			batch := b.Build([]kafkaevent.Record{tc.r})
			if len(batch.Actions) != 1 {
				t.Fatalf("got %d actions, failures %+v", len(batch.Actions), batch.Failures)
			}
			a := batch.Actions[0]
			if a.Op != esbulk.OpUpdate || a.ID != tc.id || a.Routing != tc.routing || a.Version != 0 {
				t.Errorf("action %v id=%q routing=%q version=%d, want update id=%q routing=%q", a.Op, a.ID, a.Routing, a.Version, tc.id, tc.routing)
			}
			if string(a.Body) != tc.body {
				t.Errorf("body:\n got %s\nwant %s", a.Body, tc.body)
			}
			if !json.Valid(a.Body) {
				t.Error("body is not JSON")
			}
			one, skip, typ, err := b.BuildOne(tc.r)
			if err != nil || skip || typ != "" || string(one.Body) != tc.body || one.ID != tc.id || one.Routing != tc.routing {
				t.Errorf("BuildOne = %+v, %v, %q, %v; want the Build action", one, skip, typ, err)
			}
		})
	}
}

// TestFieldOptionsFailures checks that a record whose fields cannot be
// read fails alone, with its type, through Build and BuildOne.
func TestFieldOptionsFailures(t *testing.T) {
	idJSON := Options{DocID: IDField, IDFields: []string{"/id"}}
	routeJSON := Options{Routing: RoutingField, RoutingField: "/r"}
	keep := Options{ValueFormat: ValueJSON, ValueFields: []string{"a"}}
	csv := Options{ValueFormat: ValueCSV, CSVColumns: []string{"a", "b"}}
	csvID := Options{ValueFormat: ValueCSV, CSVColumns: []string{"a", "b"}, DocID: IDField, IDFields: []string{"/b"}, MsgMode: MsgKey}
	overflow := rec("k", null)
	overflow.Overflow, overflow.ValueSize = true, 10
	tests := []struct {
		name string
		o    Options
		r    kafkaevent.Record
		want ErrorType
	}{
		{"id field absent", idJSON, rec("k", `{"other":"s3cret"}`), ErrIDFieldMissing},
		{"id field null", idJSON, rec("k", `{"id":null}`), ErrIDFieldMissing},
		{"id field object", idJSON, rec("k", `{"id":{"s3cret":1}}`), ErrIDFieldNotScalar},
		{"id field array", idJSON, rec("k", `{"id":[1]}`), ErrIDFieldNotScalar},
		{"id from a scalar value", idJSON, rec("k", `"s3cret"`), ErrIDFieldMissing},
		{"id from text", idJSON, rec("k", `s3cret`), ErrValueNotJSON},
		{"id from a null value", idJSON, rec("k", null), ErrValueNotJSON},
		{"id from an undelivered value", idJSON, overflow, ErrValueNotJSON},
		{"second id field absent", Options{DocID: IDField, IDFields: []string{"/id", "/x"}}, rec("k", `{"id":1}`), ErrIDFieldMissing},
		{"routing field absent", routeJSON, rec("k", `{"id":1}`), ErrRoutingFieldMissing},
		{"routing field array", routeJSON, rec("k", `{"r":[]}`), ErrRoutingFieldNotScalar},
		{"routing from binary", routeJSON, rec("k", "\xff{}"), ErrValueNotJSON},
		{"value fields of an array", keep, rec("k", `[{"a":1}]`), ErrValueNotObject},
		{"value fields of a string", keep, rec("k", ` "a"`), ErrValueNotObject},
		{"value fields of text", keep, rec("k", `a=1`), ErrValueNotJSON},
		{"csv too few columns", csv, rec("k", "s3cret\n"), ErrCSVColumnCount},
		{"csv too many columns", csv, rec("k", `1,"2,3",4`), ErrCSVColumnCount},
		{"csv two rows", csv, rec("k", "1,2\n3,4"), ErrValueNotCSV},
		{"csv bare quote", csv, rec("k", `1,s3c"ret`), ErrValueNotCSV},
		{"csv open quote", csv, rec("k", `1,"s3cret`), ErrValueNotCSV},
		{"csv not UTF-8", csv, rec("k", "1,\xff"), ErrValueNotCSV},
		{"csv empty", csv, rec("k", ""), ErrValueNotCSV},
		{"csv blank lines", csv, rec("k", "\n\n"), ErrValueNotCSV},
		{"csv id column count", csvID, rec("k", "1,2,3"), ErrCSVColumnCount},
		{"csv id from a null value", csvID, rec("k", null), ErrValueNotCSV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, tc.o)
			good := tc.r
			good.Offset++
			switch {
			case tc.o.ValueFormat == ValueCSV:
				good.Value = []byte("1,2")
			default:
				good.Value = []byte(`{"id":1,"r":"x","a":2,"x":3}`)
			}
			good.Overflow = false
			batch := b.Build([]kafkaevent.Record{tc.r, good})
			if len(batch.Failures) != 1 || batch.Failures[0].Record != 0 || len(batch.Actions) != 1 || batch.ActionRecords[0] != 1 {
				t.Fatalf("failures %+v, action records %v; want record 0 to fail and record 1 to pass", batch.Failures, batch.ActionRecords)
			}
			e := batch.Failures[0].Err
			if e.Type != tc.want || e.Reason == "" {
				t.Errorf("failure %v (%q), want %v", e.Type, e.Reason, tc.want)
			}
			// Reasons go to logs and results; they never repeat content.
			if strings.Contains(e.Reason, "s3cret") {
				t.Errorf("reason repeats the value: %q", e.Reason)
			}
			if _, _, typ, err := b.BuildOne(tc.r); typ != string(tc.want) || err == nil {
				t.Errorf("BuildOne = %q, %v; want %v", typ, err, tc.want)
			}
		})
	}
}

// TestFieldModesWithoutFields checks the documented behaviour of a builder
// given a field mode without its fields: every record fails.
func TestFieldModesWithoutFields(t *testing.T) {
	tests := []struct {
		o    Options
		want ErrorType
	}{
		{Options{DocID: IDField}, ErrIDFieldMissing},
		{Options{Routing: RoutingField}, ErrRoutingFieldMissing},
		{Options{ValueFormat: ValueCSV}, ErrCSVColumnCount},
	}
	for _, tc := range tests {
		b := newBuilder(t, tc.o)
		batch := b.Build([]kafkaevent.Record{rec("k", "1"), rec("k", "2")})
		if len(batch.Actions) != 0 || len(batch.Failures) != 2 || batch.Failures[0].Err.Type != tc.want || batch.Failures[1].Err.Type != tc.want {
			t.Errorf("%+v: failures %+v, %d actions; want every record to fail with %s", tc.o, batch.Failures, len(batch.Actions), tc.want)
		}
	}
}

// TestFieldIDsAreDistinct checks that the joined form never gives two
// different field tuples one id.
func TestFieldIDsAreDistinct(t *testing.T) {
	b := newBuilder(t, Options{DocID: IDField, IDFields: []string{"/a", "/b"}})
	tuples := [][2]string{
		{"a+b", "c"}, {"a", "b+c"}, {`a\`, "b"}, {"a", `\b`}, {`a\+`, "b"}, {`a`, `+b`}, {"", "+"}, {"+", ""},
		{"", ""}, {`\`, `\`}, {`\\`, ""}, {"", `\\`},
	}
	seen := map[string][2]string{}
	for _, tu := range tuples {
		v, _ := json.Marshal(map[string]string{"a": tu[0], "b": tu[1]})
		a, _, typ, err := b.BuildOne(rec("k", string(v)))
		if err != nil {
			t.Fatalf("%q: %s %v", tu, typ, err)
		}
		if prev, dup := seen[a.ID]; dup {
			t.Errorf("%q and %q share the id %q", prev, tu, a.ID)
		}
		seen[a.ID] = tu
	}
}

// checkFieldOptions builds r under four sets of field options and checks
// every outcome (failure type, id, routing, kept value) against what
// encoding/json and encoding/csv make of the value. FuzzBuild calls it.
func checkFieldOptions(t *testing.T, r kafkaevent.Record) {
	t.Helper()
	isJSON := r.Value != nil && (r.ValueIsJSON || (utf8.Valid(r.Value) && json.Valid(r.Value)))
	var obj map[string]json.RawMessage // nil unless the value is a JSON object
	if isJSON && json.Unmarshal(r.Value, &obj) != nil {
		obj = nil
	}
	// field mirrors a top-level pointer lookup with encoding/json.
	field := func(name string, missing, composite ErrorType) (string, ErrorType) {
		if !isJSON {
			return "", ErrValueNotJSON
		}
		raw, ok := obj[name]
		switch {
		case !ok || string(raw) == "null":
			return "", missing
		case raw[0] == '{' || raw[0] == '[':
			return "", composite
		case raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			return s, ""
		}
		return string(raw), ""
	}
	escape := strings.NewReplacer(`\`, `\\`, `+`, `\+`).Replace
	kept := func(names ...string) map[string]any {
		m := map[string]any{}
		for _, n := range names {
			if raw, ok := obj[n]; ok {
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatal(err)
				}
				m[n] = v
			}
		}
		return m
	}

	type want struct {
		fail           ErrorType
		id, routing    string
		value          any // decoded msg_body.value; nil when absent
		noKey, noValue bool
	}
	var a, b, c, d want

	// a: routing and id from JSON fields, VALUE_FIELDS.
	rt, rFail := field("r", ErrRoutingFieldMissing, ErrRoutingFieldNotScalar)
	id, idFail := field("id", ErrIDFieldMissing, ErrIDFieldNotScalar)
	switch {
	case rFail != "":
		a.fail = rFail
	case idFail != "":
		a.fail = idFail
	default:
		a.routing, a.id, a.value = KeyID([]byte(rt)), KeyID([]byte(id)), kept("id", "a")
	}

	// b: VALUE_FIELDS alone, value mode.
	b.noKey, b.id = true, "t+1+2"
	switch {
	case r.Value == nil:
		b.noValue = true
	case !isJSON:
		b.fail = ErrValueNotJSON
	case obj == nil:
		b.fail = ErrValueNotObject
	default:
		b.value = kept("id", "a")
	}

	// c: csv with an id from two columns and two kept columns.
	c.fail = ErrValueNotCSV
	if r.Value != nil && utf8.Valid(r.Value) {
		rd := csv.NewReader(bytes.NewReader(r.Value))
		rd.FieldsPerRecord = -1
		row, err := rd.Read()
		_, next := rd.Read()
		switch {
		case err != nil:
		case len(row) != 3:
			c.fail = ErrCSVColumnCount
		case next != io.EOF:
		default:
			c.fail, c.id = "", KeyID([]byte(escape(row[2])+"+"+escape(row[0])))
			c.value = map[string]any{"b": row[1], "c": row[2]}
		}
	}

	// d: key mode, id from two JSON fields.
	d.noValue = true
	n, nFail := field("n", ErrIDFieldMissing, ErrIDFieldNotScalar)
	switch {
	case nFail != "":
		d.fail = nFail
	case idFail != "":
		d.fail = idFail
	default:
		d.id = KeyID([]byte(escape(n) + "+" + escape(id)))
	}

	for i, tc := range []struct {
		o Options
		w want
	}{
		{Options{DocID: IDField, IDFields: []string{"/id"}, Routing: RoutingField, RoutingField: "/r", ValueFormat: ValueJSON, ValueFields: []string{"id", "a"}}, a},
		{Options{ValueFormat: ValueJSON, ValueFields: []string{"id", "a"}, MsgMode: MsgValue}, b},
		{Options{ValueFormat: ValueCSV, CSVColumns: []string{"a", "b", "c"}, DocID: IDField, IDFields: []string{"/c", "/a"}, ValueFields: []string{"c", "b"}}, c},
		{Options{MsgMode: MsgKey, DocID: IDField, IDFields: []string{"/n", "/id"}}, d},
	} {
		bld := newBuilder(t, tc.o)
		batch := bld.Build([]kafkaevent.Record{r})
		if tc.w.fail != "" {
			if len(batch.Failures) != 1 || batch.Failures[0].Err.Type != tc.w.fail {
				t.Fatalf("options %d: failures %+v, want %s", i, batch.Failures, tc.w.fail)
			}
			continue
		}
		if len(batch.Actions) != 1 {
			t.Fatalf("options %d: no action: %+v", i, batch.Failures)
		}
		act := batch.Actions[0]
		if act.ID != tc.w.id || act.Routing != tc.w.routing || len(act.ID) > maxIDBytes {
			t.Fatalf("options %d: id %q routing %q, want %q %q", i, act.ID, act.Routing, tc.w.id, tc.w.routing)
		}
		if !json.Valid(act.Body) || bytes.ContainsAny(act.Body, "\r\n") || !act.Flat {
			t.Fatalf("options %d: body is not single-line JSON marked Flat (%v): %q", i, act.Flat, act.Body)
		}
		var doc struct {
			Doc struct {
				Msg map[string]any `json:"msg_body"`
			} `json:"doc"`
		}
		if err := json.Unmarshal(act.Body, &doc); err != nil {
			t.Fatal(err)
		}
		m := doc.Doc.Msg
		if _, has := m["key"]; has == tc.w.noKey && r.Key != nil {
			t.Fatalf("options %d: key present %v in %s", i, has, act.Body)
		}
		v, has := m["value"]
		if has == tc.w.noValue || (tc.w.value != nil && !reflect.DeepEqual(v, tc.w.value)) {
			t.Fatalf("options %d: value %#v, want %#v (%s)", i, v, tc.w.value, act.Body)
		}
	}
}

// BenchmarkBuildFieldOptions measures Build of 1,000 records of about 1 KiB
// under the field options, next to the default options on the same records.
func BenchmarkBuildFieldOptions(b *testing.B) {
	pad := strings.Repeat("x", 960)
	jsonRecs := make([]kafkaevent.Record, 1000)
	csvRecs := make([]kafkaevent.Record, 1000)
	for i := range jsonRecs {
		n := strconv.Itoa(i)
		jsonRecs[i] = rec("k-"+n, `{"order":"A-`+n+`","line":`+n+`,"tenant":"t1","qty":2,"note":"`+pad+`"}`)
		csvRecs[i] = rec("k-"+n, `A-`+n+`,`+n+`,t1,2,"`+pad+`"`)
	}
	cols := []string{"order", "line", "tenant", "qty", "note"}
	tests := []struct {
		name string
		o    Options
		recs []kafkaevent.Record
	}{
		{"default", Options{}, jsonRecs},
		{"json fields", Options{DocID: IDField, IDFields: []string{"/order", "/line"}, Routing: RoutingField, RoutingField: "/tenant",
			ValueFormat: ValueJSON, ValueFields: []string{"order", "line", "qty"}}, jsonRecs},
		{"csv", Options{ValueFormat: ValueCSV, CSVColumns: cols, DocID: IDField, IDFields: []string{"/order", "/line"},
			ValueFields: []string{"order", "line", "qty"}}, csvRecs},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			bld := newBuilder(b, tc.o)
			size := 0
			for _, r := range tc.recs {
				size += len(r.Value)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if batch := bld.Build(tc.recs); len(batch.Actions) != len(tc.recs) {
					b.Fatalf("failures %+v", batch.Failures[:1])
				}
			}
		})
	}
}
