package deadletter

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	tests := []struct {
		name   string
		letter Letter
	}{
		{"text key and value with headers", Letter{
			Record: kafkaevent.Record{Topic: "orders", Partition: 3, Offset: 42, Timestamp: 1714979289000,
				TimestampType: "CREATE_TIME", Key: []byte("k1"), Value: []byte(`{"a":1}`), ValueSize: 7,
				Headers: []kafkaevent.Header{{Key: "trace", Value: []byte("abc")}, {Key: "empty", Value: []byte{}}, {Key: "null"}}},
			Error:    Cause{Type: "document_parsing_exception", Reason: "failed to parse field [a]", Status: 400},
			Function: "sink", Time: at,
		}},
		{"null key, empty value", Letter{
			Record: kafkaevent.Record{Topic: "t", Value: []byte{}},
			Error:  Cause{Type: "max_value_bytes", Reason: "too big"}, Time: at,
		}},
		{"binary key and value", Letter{
			Record: kafkaevent.Record{Topic: "bin", Offset: 1, Key: []byte{0xff, 0x00, 0xfe},
				Value: []byte{0x80, 0x81, 'x'}, ValueSize: 3, Headers: []kafkaevent.Header{{Key: "h", Value: []byte{0xc3}}}},
			Error: Cause{Type: "t", Reason: "r"}, Time: at,
		}},
		{"undecodable element kept raw", Letter{
			Record: kafkaevent.Record{Topic: "t", Partition: 1, Offset: 9},
			Raw:    []byte(`{"topic":"t", "value": "!!not base64!!"}`),
			Error:  Cause{Type: "bad_base64", Reason: "value: illegal base64"}, Time: at,
		}},
		{"raw element that is not UTF-8", Letter{
			Raw:   []byte{'{', 0xff, '}'},
			Error: Cause{Type: "bad_json", Reason: "x"}, Time: at,
		}},
		{"overflow and structured JSON value", Letter{
			Record: kafkaevent.Record{Topic: "t", Value: []byte(`{"x":[1,2]}`), ValueIsJSON: true, Overflow: true, ValueSize: 9000},
			Error:  Cause{Type: "t", Reason: "r", Status: 413}, Time: at,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.letter)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !json.Valid(b) {
				t.Fatalf("Encode produced invalid JSON: %s", b)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertLetter(t, got, tc.letter)
		})
	}
}

// assertLetter compares letters field by field so that nil and empty byte
// slices (Kafka null and empty) are told apart.
func assertLetter(t *testing.T, got, want Letter) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Errorf("Time = %v, want %v", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	for _, p := range []struct {
		name      string
		got, want []byte
	}{{"Key", got.Record.Key, want.Record.Key}, {"Value", got.Record.Value, want.Record.Value}, {"Raw", got.Raw, want.Raw}} {
		if (p.got == nil) != (p.want == nil) || !bytes.Equal(p.got, p.want) {
			t.Errorf("%s = %q (nil %t), want %q (nil %t)", p.name, p.got, p.got == nil, p.want, p.want == nil)
		}
	}
	if len(got.Record.Headers) != len(want.Record.Headers) {
		t.Fatalf("Headers = %v, want %v", got.Record.Headers, want.Record.Headers)
	}
	for i, h := range want.Record.Headers {
		g := got.Record.Headers[i]
		if g.Key != h.Key || (g.Value == nil) != (h.Value == nil) || !bytes.Equal(g.Value, h.Value) {
			t.Errorf("Header %d = %q:%q, want %q:%q", i, g.Key, g.Value, h.Key, h.Value)
		}
	}
	got.Record.Headers, want.Record.Headers = nil, nil
	got.Record.Key, got.Record.Value, got.Raw = nil, nil, nil
	want.Record.Key, want.Record.Value, want.Raw = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("letter = %+v, want %+v", got, want)
	}
}

func TestEncodeShape(t *testing.T) {
	b, err := Encode(Letter{
		Record: kafkaevent.Record{Topic: "t", Partition: 2, Offset: 5, Key: []byte{0xff}, Value: []byte("v")},
		Error:  Cause{Type: "x", Reason: "y", Status: 400}, Function: "fn",
		Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["esconnect_dead_letter"] != float64(1) || m["function"] != "fn" || m["time"] != "2024-01-02T03:04:05Z" {
		t.Errorf("envelope header fields wrong: %s", b)
	}
	rec := m["record"].(map[string]any)
	if rec["key"] != "/w==" || rec["key_encoding"] != "base64" || rec["value"] != "v" || rec["partition"] != float64(2) {
		t.Errorf("record fields wrong: %s", b)
	}
	if _, ok := m["raw_json"]; ok {
		t.Errorf("raw_json present for a decoded record: %s", b)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		version bool
	}{
		{"not JSON", `{`, false},
		{"no version", `{"record":{}}`, true},
		{"future version", `{"esconnect_dead_letter":2}`, true},
		{"bad base64", `{"esconnect_dead_letter":1,"record":{"value":"%%","value_encoding":"base64"}}`, false},
		{"unknown encoding", `{"esconnect_dead_letter":1,"record":{"key":"a","key_encoding":"rot13"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in))
			if err == nil {
				t.Fatal("Decode accepted it")
			}
			if errors.Is(err, ErrVersion) != tc.version {
				t.Errorf("errors.Is(err, ErrVersion) = %t, want %t (err %v)", !tc.version, tc.version, err)
			}
		})
	}
}

func TestDocumentIDDeterministic(t *testing.T) {
	a := Letter{Record: kafkaevent.Record{Topic: "t", Partition: 1, Offset: 2}}
	if got := DocumentID(a); got != "t-1-2" {
		t.Errorf("DocumentID = %q, want t-1-2", got)
	}
	r1 := Letter{Raw: []byte(`{"x":1}`)}
	r2 := Letter{Raw: []byte(`{"x":2}`)}
	if DocumentID(r1) != DocumentID(Letter{Raw: []byte(`{"x":1}`)}) || DocumentID(r1) == DocumentID(r2) {
		t.Error("raw document ids are not a function of the raw element")
	}
	if !strings.HasPrefix(DocumentID(r1), "raw-") || len(DocumentID(r1)) > 512 {
		t.Errorf("raw id %q", DocumentID(r1))
	}
}
