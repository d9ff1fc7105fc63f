package kafkaevent

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func hdr(k, v string) Header { return Header{Key: k, Value: []byte(v)} }

const (
	order42 = `{"orderId":10042,"status":"PAID","amount":129.90,"currency":"EUR"}`
	order43 = `{"orderId":10043,"status":"SHIPPED","amount":15.00,"currency":"EUR"}`
	order44 = `{"orderId":10044,"status":"CREATED","amount":42.50,"currency":"EUR"}`
	sensor7 = `{"sensor":"sensor-7","temp_c":21.4,"ts":"2024-03-05T10:15:00Z"}`
)

func awsRec(topic string, p int32, off, ts int64, tt, key, value string, hs ...Header) Record {
	r := Record{Topic: topic, Partition: p, Offset: off, Timestamp: ts, TimestampType: tt, Headers: []Header{}}
	if key != "\x00" {
		r.Key = []byte(key)
	}
	if value != "\x00" {
		r.Value = []byte(value)
		r.ValueSize = len(value)
	}
	if len(hs) > 0 {
		r.Headers = hs
	}
	return r
}

// failureWant is what a test checks of a Failure; Raw is checked to be the
// element's JSON separately.
type failureWant struct {
	Index     int
	Offset    int64
	HasOffset bool
	Type      ErrorType
	Field     string
}

// TestDecodeFixtures checks the exact records decoded from every fixture in
// events/, both auto-detected and with the format forced.
func TestDecodeFixtures(t *testing.T) {
	nul := "\x00"
	fcHeadersFirst := []Header{hdr("trace-id", "4bf92f35")}
	tests := []struct {
		file     string
		format   Format
		records  []Record
		failures []failureWant
	}{
		{file: "aws-msk.json", format: FormatAWS, records: []Record{
			awsRec("orders", 0, 15230, 1709633700123, "CREATE_TIME", "order-10042", order42,
				hdr("content-type", "application/json"), hdr("trace-id", "4bf92f35")),
			awsRec("orders", 0, 15231, 1709633701456, "CREATE_TIME", "order-10043", order43),
			awsRec("orders", 1, 9804, 1709633702789, "LOG_APPEND_TIME", "order-10044", order44),
		}},
		{file: "aws-selfmanaged.json", format: FormatAWS, records: []Record{
			awsRec("sensors", 2, 778, 1709633700000, "CREATE_TIME", nul, sensor7,
				Header{Key: "checksum", Value: []byte{118, 220, 0, 127, 128}}),
			awsRec("sensors", 2, 779, 1709633760000, "CREATE_TIME", "sensor-7", "\xff\xfebinary\x00\x80"),
			awsRec("sensors", 2, 780, 1709633820000, "CREATE_TIME", "sensor-7", nul),
		}},
		{file: "aws-msk-bad-base64.json", format: FormatAWS, records: []Record{
			awsRec("orders", 0, 15234, 1709633705000, "CREATE_TIME", "order-10044", `{"orderId":10044}`),
		}, failures: []failureWant{
			{Index: 0, Offset: 15232, HasOffset: true, Type: ErrBadBase64, Field: "value"},
			{Index: 1, Type: ErrMissingField, Field: "offset"},
		}},
		{file: "alibaba-connector.json", format: FormatAlibabaConnector, records: []Record{
			{Topic: "orders", Partition: 0, Offset: 15230, Timestamp: 1709633700123, Key: []byte("order-10042"),
				Value: []byte(`{"orderId":10042,"status":"PAID","amount":129.90}`), ValueSize: 49},
			{Topic: "orders", Partition: 0, Offset: 15231, Timestamp: 1709633701456,
				Value: []byte("heartbeat from pos-terminal-17"), ValueSize: 30},
			{Topic: "orders", Partition: 0, Offset: 15232, Timestamp: 1709633702789, Key: []byte("order-10044"),
				Overflow: true, ValueSize: 9437184},
		}},
		{file: "alibaba-connector-bad-record.json", format: FormatAlibabaConnector, records: []Record{
			{Topic: "orders", Partition: 0, Offset: 15240, Timestamp: 1709633800000, Key: []byte("order-10050"),
				Value: []byte(`{"orderId":10050}`), ValueSize: 17},
		}, failures: []failureWant{
			{Index: 1, Type: ErrWrongType, Field: "offset"},
			{Index: 2, Type: ErrWrongType},
		}},
		{file: "fc-cloudevents-object.json", format: FormatFCCloudEvents, records: fcRecords(fcHeadersFirst, "order 10042 paid", "order 10043 shipped", false)},
		{file: "fc-cloudevents-string.json", format: FormatFCCloudEvents, records: fcRecords(fcHeadersFirst, "order 10042 paid", "order 10043 shipped", false)},
		{file: "fc-cloudevents-json-value.json", format: FormatFCCloudEvents, records: fcRecords(fcHeadersFirst, `{"orderId":10042,"status":"PAID","amount":129.9}`, `[1,2,3]`, true)},
		{file: "fc-rawdata.json", format: FormatFCRawData, records: fcRecords(fcHeadersFirst, "order 10042 paid", "order 10043 shipped", false)},
	}
	for _, tc := range tests {
		for _, f := range []Format{FormatAuto, tc.format} {
			t.Run(tc.file+"/"+f.String(), func(t *testing.T) {
				payload := readFixture(t, tc.file)
				b, err := Decode(payload, f)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if b.Format != tc.format {
					t.Errorf("format = %v, want %v", b.Format, tc.format)
				}
				if !reflect.DeepEqual(b.Records, tc.records) {
					t.Errorf("records:\n got %+v\nwant %+v", b.Records, tc.records)
				}
				checkFailures(t, b, tc.failures)
			})
		}
	}
}

func fcRecords(hs []Header, v1, v2 string, isJSON bool) []Record {
	return []Record{
		{Topic: "orders", Partition: 7, Offset: 25, Timestamp: 1709633700123, Key: []byte("order-10042"),
			Value: []byte(v1), ValueSize: len(v1), ValueIsJSON: isJSON, Headers: hs},
		{Topic: "orders", Partition: 7, Offset: 26, Timestamp: 1709633701456,
			Value: []byte(v2), ValueSize: len(v2), ValueIsJSON: isJSON, Headers: []Header{}},
	}
}

func checkFailures(t *testing.T, b Batch, want []failureWant) {
	t.Helper()
	if len(b.Failures) != len(want) {
		t.Fatalf("got %d failures %+v, want %d", len(b.Failures), b.Failures, len(want))
	}
	seen := map[int]bool{}
	for _, i := range b.Indexes {
		seen[i] = true
	}
	for i, f := range b.Failures {
		w := want[i]
		var re *RecordError
		if !errors.As(f.Err, &re) {
			t.Fatalf("failure %d: error %T is not a *RecordError", i, f.Err)
		}
		got := failureWant{Index: f.Index, Offset: f.Offset, HasOffset: f.HasOffset, Type: re.Type, Field: re.Field}
		if got != w {
			t.Errorf("failure %d = %+v, want %+v (%v)", i, got, w, f.Err)
		}
		if len(f.Raw) == 0 {
			t.Errorf("failure %d has no raw element", i)
		}
		if seen[f.Index] {
			t.Errorf("index %d is both a record and a failure", f.Index)
		}
		seen[f.Index] = true
	}
	for i := 0; i < b.Len(); i++ {
		if !seen[i] {
			t.Errorf("payload element %d is neither a record nor a failure", i)
		}
	}
}
