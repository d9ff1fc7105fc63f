package kafkaevent

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeRejectsWholePayload(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		format  Format
		is      error
		mention string
	}{
		{"unknown object", `{"foo":1,"bar":2}`, FormatAuto, ErrUnrecognised, "JSON object with keys [bar foo]"},
		{"sqs event", `{"eventSource":"aws:sqs","Records":[]}`, FormatAuto, ErrUnrecognised, "JSON object with keys [Records eventSource]"},
		{"other event source", `{"eventSource":"aws:kinesis","records":{}}`, FormatAuto, ErrUnrecognised, `eventSource "aws:kinesis"`},
		{"forced aws without records", `{"eventSource":"x"}`, FormatAWS, ErrUnrecognised, `eventSource "x"`},
		{"array of numbers", `[1,2]`, FormatAuto, ErrUnrecognised, "JSON array starting with a JSON number"},
		{"array of unknown objects", `[{"a":1}]`, FormatAuto, ErrUnrecognised, "JSON array of objects with keys [a]"},
		{"scalar", `"hello"`, FormatAuto, ErrUnrecognised, "a JSON string"},
		{"empty", ``, FormatAuto, ErrMalformed, ""},
		{"truncated aws", `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t"`, FormatAuto, ErrMalformed, ""},
		{"truncated array", `[{"topic":"t"`, FormatAuto, ErrMalformed, ""},
		{"forced aws on array", `[{"topic":"t"}]`, FormatAWS, ErrMalformed, ""},
		{"forced connector on object", `{"eventSource":"aws:kafka","records":{}}`, FormatAlibabaConnector, ErrUnrecognised, "JSON object"},
		{"trailing data", `{"eventSource":"aws:kafka","records":{}} x`, FormatAuto, ErrMalformed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.payload), tc.format)
			if !errors.Is(err, tc.is) {
				t.Fatalf("Decode error = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestDecodeEdgeShapes(t *testing.T) {
	// An empty array is a valid, empty batch in every array format.
	for _, f := range []Format{FormatAuto, FormatAlibabaConnector, FormatFCCloudEvents, FormatFCRawData} {
		b, err := Decode([]byte(` [] `), f)
		if err != nil || b.Len() != 0 {
			t.Errorf("%v: empty array = %+v, %v", f, b, err)
		}
	}
	// A single CloudEvent object outside an array.
	one := `{"specversion":"1.0","source":"acs:alikafka","type":"alikafka:Topic:Message","data":{"topic":"t","partition":1,"offset":2,"timestamp":3,"key":"k","value":"v"}}`
	b, err := Decode([]byte(one), FormatAuto)
	if err != nil || len(b.Records) != 1 || b.Format != FormatFCCloudEvents || string(b.Records[0].Value) != "v" {
		t.Errorf("single CloudEvent = %+v, %v", b, err)
	}
	// Binary FC data format: base64 keys and values.
	raw := `[{"topic":"t","partition":0,"offset":1,"timestamp":2,"headers":{"headers":[],"isReadOnly":false},"key":"AP8=","value":"aGk="}]`
	b, err = DecodeWith([]byte(raw), DecodeOptions{BinaryValues: true})
	if err != nil || len(b.Records) != 1 || string(b.Records[0].Key) != "\x00\xff" || string(b.Records[0].Value) != "hi" {
		t.Errorf("binary rawdata = %+v, %v", b, err)
	}
	b, err = DecodeWith([]byte(strings.Replace(raw, "aGk=", "a!", 1)), DecodeOptions{BinaryValues: true})
	var re *RecordError
	if err != nil || len(b.Failures) != 1 || !errors.As(b.Failures[0].Err, &re) || re.Type != ErrBadBase64 || !b.Failures[0].HasOffset {
		t.Errorf("bad base64 rawdata = %+v, %v", b, err)
	}
	// A CloudEvents string element that is not JSON is a per-record failure.
	b, err = Decode([]byte(`["{\"specversion\":\"1.0\",\"data\":{\"topic\":\"t\",\"partition\":0,\"offset\":1}}", "not json"]`), FormatAuto)
	if err != nil || len(b.Records) != 1 || len(b.Failures) != 1 || !errors.As(b.Failures[0].Err, &re) || re.Type != ErrBadJSON || b.Failures[0].Index != 1 {
		t.Errorf("string elements = %+v, %v", b, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, name := range FormatNames() {
		f, err := ParseFormat(strings.ToUpper(name))
		if err != nil || f.String() != name {
			t.Errorf("ParseFormat(%q) = %v, %v", name, f, err)
		}
	}
	if f, err := ParseFormat(""); f != FormatAuto || err != nil {
		t.Errorf("ParseFormat('') = %v, %v", f, err)
	}
	if _, err := ParseFormat("kinesis"); err == nil {
		t.Error("ParseFormat accepted kinesis")
	}
}

// checkAccounting asserts the Batch invariant: every element is a record or
// a failure, exactly once.
func checkAccounting(t *testing.T, b Batch) {
	t.Helper()
	seen := make(map[int]bool, b.Len())
	for _, i := range b.Indexes {
		seen[i] = true
	}
	for _, f := range b.Failures {
		if seen[f.Index] {
			t.Fatalf("index %d reported twice", f.Index)
		}
		if f.Err == nil || len(f.Raw) == 0 {
			t.Fatalf("failure %+v lacks error or raw element", f)
		}
		seen[f.Index] = true
	}
	if len(seen) != b.Len() || len(b.Indexes) != len(b.Records) {
		t.Fatalf("accounting: %d indexes seen for %d elements", len(seen), b.Len())
	}
	for i := range b.Len() {
		if !seen[i] {
			t.Fatalf("element %d missing", i)
		}
	}
}

func fuzzArray(f *testing.F, format Format, fixtures ...string) {
	for _, name := range fixtures {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, binary := range []bool{false, true} {
			b, err := DecodeWith(payload, DecodeOptions{Format: format, BinaryValues: binary})
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnrecognised) {
					t.Fatalf("unclassified error %v", err)
				}
				continue
			}
			checkAccounting(t, b)
		}
	})
}

func FuzzDecodeAlibabaConnector(f *testing.F) {
	fuzzArray(f, FormatAlibabaConnector, "alibaba-connector.json", "alibaba-connector-bad-record.json")
}

func FuzzDecodeCloudEvents(f *testing.F) {
	fuzzArray(f, FormatFCCloudEvents, "fc-cloudevents-object.json", "fc-cloudevents-string.json", "fc-cloudevents-json-value.json")
}

func FuzzDecodeRawData(f *testing.F) {
	fuzzArray(f, FormatFCRawData, "fc-rawdata.json")
}

func FuzzDecodeAuto(f *testing.F) {
	fuzzArray(f, FormatAuto, "aws-msk.json", "aws-selfmanaged.json", "alibaba-connector.json", "fc-cloudevents-string.json", "fc-rawdata.json")
}

// The Alibaba connector's valueSize is kept as sent: its sample batch has
// "value":"Test Payload" with "valueSize":14 (the value's JSON quotes
// counted), and a takeover of a connector-built index must write the same
// number. Without valueSize the value's length stands in; a negative one
// fails that record only.
func TestAlibabaConnectorValueSizeAsSent(t *testing.T) {
	payload := `[{"key":"k","offset":1,"overflowFlag":false,"partition":0,"timestamp":1,"topic":"t","value":"Test Payload","valueSize":14},
		{"key":"k","offset":2,"overflowFlag":false,"partition":0,"timestamp":1,"topic":"t","value":"Test Payload"},
		{"key":"k","offset":3,"overflowFlag":false,"partition":0,"timestamp":1,"topic":"t","value":"x","valueSize":-1}]`
	b, err := Decode([]byte(payload), FormatAlibabaConnector)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 2 || b.Records[0].ValueSize != 14 || b.Records[1].ValueSize != len("Test Payload") {
		t.Fatalf("records %+v, want valueSize 14 as sent, then 12 from the value", b.Records)
	}
	if len(b.Failures) != 1 || b.Failures[0].Index != 2 || !strings.Contains(b.Failures[0].Err.Error(), "valueSize") {
		t.Fatalf("failures %+v, want record 2's negative valueSize", b.Failures)
	}
}
