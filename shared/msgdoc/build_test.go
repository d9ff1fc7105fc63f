package msgdoc

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

func newBuilder(t testing.TB, o Options) *Builder {
	t.Helper()
	if o.Index == "" {
		o.Index = "kafka-{topic}"
	}
	b, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func rec(key, value string) kafkaevent.Record {
	r := kafkaevent.Record{Topic: "orders", Partition: 3, Offset: 1042, Timestamp: 1709633700123, TimestampType: "CREATE_TIME"}
	if key != "\x00" {
		r.Key = []byte(key)
	}
	if value != "\x00" {
		r.Value = []byte(value)
		r.ValueSize = len(value)
	}
	return r
}

const null = "\x00"

// TestBuildGolden pins the exact action and body bytes for each value format
// and id strategy.
func TestBuildGolden(t *testing.T) {
	jsonValue := rec("order-1", `{"id": 1, "tags": ["a", "b"]}`)
	fcJSON := rec("order-1", `{"id":1}`)
	fcJSON.ValueIsJSON = true
	binary := rec("\xff\x00k", "\x80\x81text")
	overflow := rec("order-9", null)
	overflow.Overflow, overflow.ValueSize = true, 9437184
	withHeaders := rec("k", "v")
	withHeaders.Headers = []kafkaevent.Header{{Key: "trace", Value: []byte("4bf9")}, {Key: "bin", Value: []byte{0xff}}, {Key: "none"}}
	quoted := rec("k\"\n", "line1\nline2\t\"q\" \\ \x01")

	tests := []struct {
		name    string
		o       Options
		r       kafkaevent.Record
		op      esbulk.Op
		id      string
		version int64
		vtype   string
		routing string
		body    string
	}{
		{name: "offset text", r: rec("order-1", "hello"), op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"hello","valueSize":5}},"doc_as_upsert":true}`},
		{name: "offset null key and value", r: rec(null, null), op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","valueSize":0}},"doc_as_upsert":true}`},
		{name: "text escapes", r: quoted, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"k\"\n","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"line1\nline2\t\"q\" \\ \u0001","valueSize":19}},"doc_as_upsert":true}`},
		{name: "text binary", r: binary, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"/wBr","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"gIF0ZXh0","valueSize":6,"keyEncoding":"base64","valueEncoding":"base64"}},"doc_as_upsert":true}`},
		{name: "text fc json value", r: fcJSON, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"{\"id\":1}","valueSize":8}},"doc_as_upsert":true}`},
		{name: "json", o: Options{ValueFormat: ValueJSON}, r: jsonValue, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":{"id":1,"tags":["a","b"]},"valueSize":29}},"doc_as_upsert":true}`},
		{name: "json fc value", o: Options{ValueFormat: ValueJSON}, r: fcJSON, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":{"id":1},"valueSize":8}},"doc_as_upsert":true}`},
		{name: "base64", o: Options{ValueFormat: ValueBase64}, r: rec("order-1", "hello"), op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"aGVsbG8=","valueSize":5,"valueEncoding":"base64"}},"doc_as_upsert":true}`},
		{name: "truncated text", o: Options{MaxValueBytes: 4}, r: rec("k", "héllo"), op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"k","offset":1042,"overflowFlag":true,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"hél","valueSize":6}},"doc_as_upsert":true}`},
		{name: "truncated json", o: Options{MaxValueBytes: 4, ValueFormat: ValueJSON}, r: jsonValue, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":true,"partition":3,"timestamp":1709633700123,"topic":"orders","valueSize":29}},"doc_as_upsert":true}`},
		{name: "connector overflow", r: overflow, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"order-9","offset":1042,"overflowFlag":true,"partition":3,"timestamp":1709633700123,"topic":"orders","valueSize":9437184}},"doc_as_upsert":true}`},
		{name: "headers", o: Options{IncludeHeaders: true}, r: withHeaders, op: esbulk.OpUpdate, id: "orders+3+1042",
			body: `{"doc":{"msg_body":{"key":"k","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"v","valueSize":1,"headers":[{"key":"trace","value":"4bf9"},{"key":"bin","value":"/w==","valueEncoding":"base64"},{"key":"none"}]}},"doc_as_upsert":true}`},
		// Elasticsearch ignores a pipeline on update + doc_as_upsert: with one,
		// offset and field ids write the whole document.
		{name: "offset strategy with a pipeline", o: Options{Pipeline: "p1"}, r: rec("order-1", "hello"), op: esbulk.OpIndex, id: "orders+3+1042",
			body: `{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"hello","valueSize":5}}`},
		{name: "field strategy with a pipeline", o: Options{DocID: IDField, IDFields: []string{"/id"}, ValueFormat: ValueJSON, Pipeline: "p1"}, r: rec("order-1", `{"id":1}`), op: esbulk.OpIndex, id: "1",
			body: `{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":{"id":1},"valueSize":8}}`},
		{name: "key strategy", o: Options{DocID: IDKey, Pipeline: "p1"}, r: rec("order-1", "hello"), op: esbulk.OpIndex, id: "order-1", version: 1042, vtype: "external",
			body: `{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"hello","valueSize":5}}`},
		{name: "key strategy delete", o: Options{DocID: IDKey, Routing: RoutingKey}, r: rec("order-1", null), op: esbulk.OpDelete, id: "order-1", version: 1042, vtype: "external", routing: "order-1"},
		{name: "key strategy null index", o: Options{DocID: IDKey, NullValue: NullIndex}, r: rec("order-1", null), op: esbulk.OpIndex, id: "order-1", version: 1042, vtype: "external",
			body: `{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","valueSize":0}}`},
		{name: "key strategy binary key", o: Options{DocID: IDKey}, r: binary, op: esbulk.OpIndex,
			id: "sha256:a6cd6e3b4b2fd8ad23d7b71b5a1d3c43dd7c5b1d2bb3b5ae0c9f8e9b86d4e67c", version: 1042, vtype: "external",
			body: `{"msg_body":{"key":"/wBr","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"gIF0ZXh0","valueSize":6,"keyEncoding":"base64","valueEncoding":"base64"}}`},
		{name: "none strategy", o: Options{DocID: IDNone, Routing: RoutingKey}, r: rec("order-1", "hello"), op: esbulk.OpIndex, routing: "order-1",
			body: `{"msg_body":{"key":"order-1","offset":1042,"overflowFlag":false,"partition":3,"timestamp":1709633700123,"topic":"orders","value":"hello","valueSize":5}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(t, tc.o)
			if tc.id == "sha256:a6cd6e3b4b2fd8ad23d7b71b5a1d3c43dd7c5b1d2bb3b5ae0c9f8e9b86d4e67c" {
				tc.id = KeyID(tc.r.Key)
				if !strings.HasPrefix(tc.id, "sha256:") || len(tc.id) != 71 {
					t.Fatalf("KeyID of a binary key = %q, want sha256:<64 hex>", tc.id)
				}
			}
			batch := b.Build([]kafkaevent.Record{tc.r})
			if len(batch.Actions) != 1 {
				t.Fatalf("got %d actions, failures %+v, skipped %+v", len(batch.Actions), batch.Failures, batch.Skipped)
			}
			a := batch.Actions[0]
			if a.Op != tc.op || a.ID != tc.id || a.Version != tc.version || a.VersionType != tc.vtype || a.Routing != tc.routing || a.Index != "kafka-orders" {
				t.Errorf("action = %v index=%q id=%q version=%d/%q routing=%q, want %v id=%q version=%d/%q routing=%q",
					a.Op, a.Index, a.ID, a.Version, a.VersionType, a.Routing, tc.op, tc.id, tc.version, tc.vtype, tc.routing)
			}
			if string(a.Body) != tc.body {
				t.Errorf("body:\n got %s\nwant %s", a.Body, tc.body)
			}
			if tc.body != "" && !json.Valid(a.Body) {
				t.Errorf("body is not valid JSON")
			}
			if wantPipeline := tc.o.Pipeline; a.Op != esbulk.OpDelete && a.Pipeline != wantPipeline {
				t.Errorf("pipeline = %q, want %q", a.Pipeline, wantPipeline)
			}
			// BuildOne is the per-record form the sink calls; it must agree.
			one, skip, typ, err := b.BuildOne(tc.r)
			if err != nil || skip || typ != "" || string(one.Body) != string(a.Body) || one.ID != a.ID || one.Op != a.Op {
				t.Errorf("BuildOne = %+v, %v, %q, %v; want the Build action", one, skip, typ, err)
			}
		})
	}
}

// TestBuildAccountsForEveryRecord checks failures, skips and actions in one
// batch: each record lands in exactly one of them, with the right reason.
func TestBuildAccountsForEveryRecord(t *testing.T) {
	b := newBuilder(t, Options{DocID: IDKey, NullValue: NullIgnore, ValueFormat: ValueJSON, Index: "{topic}"})
	underscore := rec("k", `1`)
	underscore.Topic = "__consumer_offsets"
	records := []kafkaevent.Record{
		rec("k1", `{"a":1}`),  // action
		rec(null, `{"a":1}`),  // null key
		rec("k2", `not json`), // value not JSON
		rec("k3", null),       // skipped by NULL_VALUE=ignore
		underscore,            // index name starts with '_'
		rec("k4", `"text"`),   // action
	}
	batch := b.Build(records)
	if got := batch.ActionRecords; len(got) != 2 || got[0] != 0 || got[1] != 5 {
		t.Errorf("action records = %v, want [0 5]", got)
	}
	wantFail := map[int]ErrorType{1: ErrNullKey, 2: ErrValueNotJSON, 4: ErrInvalidIndex}
	if len(batch.Failures) != len(wantFail) {
		t.Fatalf("failures = %+v", batch.Failures)
	}
	for _, f := range batch.Failures {
		if wantFail[f.Record] != f.Err.Type {
			t.Errorf("record %d failed with %v, want %v", f.Record, f.Err.Type, wantFail[f.Record])
		}
		var e *Error
		if !errors.As(error(f.Err), &e) || e.Reason == "" {
			t.Errorf("record %d: failure without reason", f.Record)
		}
	}
	if len(batch.Skipped) != 1 || batch.Skipped[0] != (Skip{Record: 3, Reason: SkipNullValue}) {
		t.Errorf("skipped = %+v, want record 3 %s", batch.Skipped, SkipNullValue)
	}
	// BuildOne reports the same three kinds.
	if _, _, typ, err := b.BuildOne(records[1]); typ != string(ErrNullKey) || err == nil {
		t.Errorf("BuildOne(null key) = %q, %v", typ, err)
	}
	if _, skip, _, err := b.BuildOne(records[3]); !skip || err != nil {
		t.Errorf("BuildOne(null value) skip = %v, %v", skip, err)
	}
}

func TestKeyID(t *testing.T) {
	long := strings.Repeat("k", 513)
	tests := []struct {
		key    string
		hashed bool
	}{
		{"order-1", false},
		{strings.Repeat("k", 512), false},
		{long, true},
		{"", true},
		{"\xff", true},
		{"sha256:abc", true},
	}
	for _, tc := range tests {
		id := KeyID([]byte(tc.key))
		if hashed := strings.HasPrefix(id, "sha256:") && id != tc.key; hashed != tc.hashed {
			t.Errorf("KeyID(%.20q) = %.30q, hashed %v, want %v", tc.key, id, hashed, tc.hashed)
		}
		if len(id) > maxIDBytes || id == "" {
			t.Errorf("KeyID(%.20q) = %q is not a valid id", tc.key, id)
		}
		if KeyID([]byte(tc.key)) != id {
			t.Errorf("KeyID(%.20q) is not deterministic", tc.key)
		}
	}
	if KeyID([]byte(long)) == KeyID([]byte(long+"x")) {
		t.Error("distinct long keys share an id")
	}
}

func TestParse(t *testing.T) {
	if v, err := ParseIDStrategy("KEY"); v != IDKey || err != nil {
		t.Errorf("ParseIDStrategy(KEY) = %v, %v", v, err)
	}
	if v, err := ParseValueFormat(""); v != ValueText || err != nil {
		t.Errorf("ParseValueFormat('') = %v, %v", v, err)
	}
	if v, err := ParseNullValue("ignore"); v != NullIgnore || err != nil {
		t.Errorf("ParseNullValue(ignore) = %v, %v", v, err)
	}
	if v, err := ParseRouting("key"); v != RoutingKey || err != nil {
		t.Errorf("ParseRouting(key) = %v, %v", v, err)
	}
	for name, err := range map[string]error{
		"id": func() error { _, e := ParseIDStrategy("uuid"); return e }(),
		"vf": func() error { _, e := ParseValueFormat("xml"); return e }(),
		"nv": func() error { _, e := ParseNullValue("drop"); return e }(),
		"rt": func() error { _, e := ParseRouting("hash"); return e }(),
	} {
		if err == nil {
			t.Errorf("%s: bad value accepted", name)
		}
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Options{Index: "Bad{nope}", MaxValueBytes: -1, DocID: 9, Location: time.UTC})
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"invalid index template", "id strategy", "max value bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, ErrIndexTemplate) {
		t.Errorf("error does not wrap ErrIndexTemplate")
	}
}
