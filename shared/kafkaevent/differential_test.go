package kafkaevent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The differential test holds the hand-written AWS decoder to the reference
// decoding: encoding/json into aws-lambda-go's events.KafkaEvent followed by
// base64.StdEncoding. For every payload the reference accepts, Decode must
// produce the same records, except that a record the reference turns into
// a zero value (missing topic, partition or offset, partition outside
// int32) or whose base64 fails is a Failure instead.

// canon is a record reduced to comparable text; headers are sorted because
// the reference keeps each header object as a map.
func canon(topic string, partition int64, offset, ts int64, tt string, key, value []byte, hs []Header) string {
	hdrs := make([]string, 0, len(hs))
	for _, h := range hs {
		hdrs = append(hdrs, fmt.Sprintf("%q=%x", h.Key, h.Value))
	}
	slices.Sort(hdrs)
	return fmt.Sprintf("%q/%d/%d/%d/%q/k=%x/v=%x/h=%s", topic, partition, offset, ts, tt, key, value, strings.Join(hdrs, ","))
}

type presence struct {
	Topic     *string `json:"topic"`
	Partition *int64  `json:"partition"`
	Offset    *int64  `json:"offset"`
}

// reference decodes payload the reference way. ok is false when the
// reference rejects the payload or when it would drop records by map-key
// collision, where a per-record comparison is meaningless.
func reference(payload []byte) (good []string, failures int, ok bool) {
	var ev events.KafkaEvent
	if json.Unmarshal(payload, &ev) != nil || hasDuplicateRecordKeys(payload) {
		return nil, 0, false
	}
	var pres struct {
		Records map[string][]presence `json:"records"`
	}
	if json.Unmarshal(payload, &pres) != nil {
		return nil, 0, false
	}
	for k, recs := range ev.Records {
		for i, r := range recs {
			p := pres.Records[k][i]
			key, kerr := base64.StdEncoding.DecodeString(r.Key)
			value, verr := base64.StdEncoding.DecodeString(r.Value)
			if p.Topic == nil || p.Partition == nil || p.Offset == nil || kerr != nil || verr != nil ||
				r.Partition < math.MinInt32 || r.Partition > math.MaxInt32 {
				failures++
				continue
			}
			var hs []Header
			for _, m := range r.Headers {
				for name, v := range m {
					hs = append(hs, Header{Key: name, Value: v})
				}
			}
			// An absent timestamp leaves the zero time.Time, which is epoch 0
			// in Kafka terms.
			ts := r.Timestamp.UnixMilli()
			if r.Timestamp.IsZero() {
				ts = 0
			}
			good = append(good, canon(r.Topic, r.Partition, r.Offset, ts, r.TimestampType, key, value, hs))
		}
	}
	slices.Sort(good)
	return good, failures, true
}

// hasDuplicateRecordKeys reports a "topic-partition" key that appears twice
// in the "records" objects (encoding/json keeps only the last group).
func hasDuplicateRecordKeys(payload []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var value json.RawMessage
		if dec.Decode(&value) != nil {
			return false
		}
		if key, _ := tok.(string); !strings.EqualFold(key, "records") {
			continue
		}
		inner := json.NewDecoder(bytes.NewReader(value))
		if t, err := inner.Token(); err != nil || t != json.Delim('{') {
			continue
		}
		for inner.More() {
			t, err := inner.Token()
			if err != nil {
				return false
			}
			k, _ := t.(string)
			if seen[k] {
				return true
			}
			seen[k] = true
			var skip json.RawMessage
			if inner.Decode(&skip) != nil {
				return false
			}
		}
	}
	return false
}

// ours decodes payload with Decode and reduces it like reference.
func ours(t testing.TB, payload []byte) (good []string, failures int, err error) {
	t.Helper()
	b, err := Decode(payload, FormatAWS)
	if err != nil {
		return nil, 0, err
	}
	failures = len(b.Failures)
	for _, r := range b.Records {
		if r.HeaderErr != nil {
			// The reference fails such a record; here it fails only
			// where headers are used (msgdoc under INCLUDE_HEADERS).
			failures++
			continue
		}
		good = append(good, canon(r.Topic, int64(r.Partition), r.Offset, r.Timestamp, r.TimestampType, r.Key, r.Value, r.Headers))
		if r.ValueSize != len(r.Value) {
			t.Errorf("ValueSize %d != len(Value) %d", r.ValueSize, len(r.Value))
		}
	}
	slices.Sort(good)
	if len(b.Indexes) != len(b.Records) {
		t.Errorf("%d indexes for %d records", len(b.Indexes), len(b.Records))
	}
	return good, failures, nil
}

func compareWithReference(t *testing.T, payload []byte) {
	t.Helper()
	want, wantFail, ok := reference(payload)
	got, gotFail, err := ours(t, payload)
	if !json.Valid(payload) {
		// Only syntax fails a whole event, so no record of invalid JSON
		// can be indexed.
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("payload is not JSON, Decode returns %v\npayload: %q", err, payload)
		}
		return
	}
	if !ok {
		return
	}
	if err != nil {
		if errors.Is(err, ErrUnrecognised) && len(want) == 0 && wantFail == 0 {
			return
		}
		if firstByte(payload) != '{' && errors.Is(err, ErrMalformed) {
			// The reference accepts a bare null as an empty event.
			return
		}
		t.Fatalf("reference accepts the payload, Decode fails: %v\npayload: %q", err, payload)
	}
	if !slices.Equal(got, want) || gotFail != wantFail {
		t.Fatalf("records differ\n got %q (%d failures)\nwant %q (%d failures)\npayload: %q", got, gotFail, want, wantFail, payload)
	}
}

func TestDifferentialFixtures(t *testing.T) {
	for _, name := range []string{"aws-msk.json", "aws-selfmanaged.json", "aws-msk-bad-base64.json"} {
		t.Run(name, func(t *testing.T) {
			payload := readFixture(t, name)
			want, _, ok := reference(payload)
			if !ok || len(want) == 0 {
				t.Fatalf("reference rejects fixture %s", name)
			}
			compareWithReference(t, payload)
		})
	}
}

// TestDifferentialEdgeCases covers the JSON corners where a hand-written
// decoder most easily parts from encoding/json.
func TestDifferentialEdgeCases(t *testing.T) {
	rec := func(fields string) string {
		return `{"eventSource":"aws:kafka","records":{"t-0":[{` + fields + `}]}}`
	}
	base := `"topic":"t","partition":0,"offset":5,"timestamp":1,"timestampType":"CREATE_TIME"`
	tests := map[string]string{
		"escaped base64":      rec(base + `,"value":"YS9i\/w=="`),
		"newline in base64":   rec(base + `,"value":"YWJj\nZGVm"`),
		"unicode topic":       rec(`"topic":"t\u00e9st","partition":0,"offset":5`),
		"invalid utf8 topic":  rec("\"topic\":\"t\xffx\",\"partition\":0,\"offset\":5"),
		"folded field names":  rec(`"TOPIC":"t","Partition":1,"OFFSET":7,"Key":"YQ=="`),
		"duplicate fields":    rec(base + `,"value":"YQ==","value":"Yg==","topic":"u"`),
		"null fields":         rec(base + `,"key":null,"value":null,"headers":null,"timestampType":null`),
		"null offset":         rec(base + `,"offset":null`),
		"missing partition":   rec(`"topic":"t","offset":1`),
		"partition too big":   rec(`"topic":"t","partition":4294967296,"offset":1`),
		"bad base64 key":      rec(base + `,"key":"!!"`),
		"empty key and value": rec(base + `,"key":"","value":""`),
		"headers edge":        rec(base + `,"headers":[null,{},{"a":[1,-1],"a":[2]},{"b":null,"c":[]}]`),
		"negative timestamp":  rec(`"topic":"t","partition":0,"offset":1,"timestamp":-1500`),
		"extra fields":        rec(base + `,"x":{"y":[1,2,{"z":null}]},"w":true`),
		"records null":        `{"eventSource":"SelfManagedKafka","records":null}`,
		"group null":          `{"eventSource":"aws:kafka","records":{"t-0":null,"t-1":[]}}`,
		"two records objects": `{"eventSource":"aws:kafka","records":{"a-0":[{"topic":"a","partition":0,"offset":1}]},"Records":{"b-0":[{"topic":"b","partition":0,"offset":2}]}}`,
		"whitespace":          " \n{ \"eventSource\" : \"aws:kafka\" , \"records\" : { \"t-0\" : [ { \"topic\" : \"t\" , \"partition\" : 0 , \"offset\" : 1 } ] } } \n",
		"large offset":        rec(`"topic":"t","partition":2147483647,"offset":9223372036854775807,"timestamp":-9223372036854775808`),
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, ok := reference([]byte(payload)); !ok {
				t.Fatalf("reference rejects the case; fix the test input: %s", payload)
			}
			compareWithReference(t, []byte(payload))
		})
	}
}

// TestKeyValueSyntax covers keys and values whose closing quote is found
// before their content is validated: whatever their content, invalid JSON
// must fail the event as it does in encoding/json.
func TestKeyValueSyntax(t *testing.T) {
	rec := func(fields string) string {
		return `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":5` + fields + `}]}}`
	}
	tests := map[string]string{
		"control byte in value":          rec("," + `"value":"YW` + "\x01" + `Jj"`),
		"raw newline in value":           rec(",\"value\":\"YWJj\nZGVm\""),
		"raw CR and LF in key":           rec(",\"key\":\"YWJj\r\nZGVm\""),
		"four raw newlines in value":     rec(",\"value\":\"YWJj\n\n\n\nZGVm\""),
		"tab in value":                   rec(",\"value\":\"YW\tJj\""),
		"invalid value, then a good one": rec(",\"value\":\"YW\x01Jj\",\"value\":\"YQ==\""),
		"invalid key, then a good one":   rec(",\"key\":\"YW\x01Jj\",\"key\":\"YQ==\""),
		"unterminated value":             `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":5,"value":"YWJj`,
		"invalid value, foreign event":   `{"eventSource":"aws:sqs","records":{"t-0":[{"topic":"t","value":"YW` + "\x00" + `Jj"}]}}`,
		"invalid value in failed record": `{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","value":"YW` + "\x1f" + `Jj"}]}}`,
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			if json.Valid([]byte(payload)) {
				t.Fatalf("test input is valid JSON: %q", payload)
			}
			_, err := Decode([]byte(payload), FormatAuto)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
	// The same content, valid JSON: what is not base64 fails the record.
	valid := map[string]struct {
		payload string
		good    int
	}{
		"non-ASCII value":      {rec(",\"value\":\"YW\u00e9Jj\""), 0},
		"raw non-ASCII value":  {rec(",\"value\":\"YW\xc3\xa9Jj\""), 0},
		"invalid UTF-8 value":  {rec(",\"value\":\"YW\xffJj\""), 0},
		"escaped slash":        {rec(`,"value":"YS9i\/w=="`), 1},
		"escaped quote":        {rec(`,"value":"YS\"9i"`), 0},
		"backslash at the end": {rec(`,"value":"YQ==\\"`), 0},
		"padding only":         {rec(`,"value":"===="`), 0},
		"short value":          {rec(`,"value":"YQ="`), 0},
		"plain value":          {rec(`,"key":"YQ==","value":"YWJjZA=="`), 1},
	}
	for name, tc := range valid {
		t.Run(name, func(t *testing.T) {
			b, err := Decode([]byte(tc.payload), FormatAuto)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(b.Records) != tc.good || len(b.Records)+len(b.Failures) != 1 {
				t.Fatalf("%d records, %d failures; want %d good of 1", len(b.Records), len(b.Failures), tc.good)
			}
			compareWithReference(t, []byte(tc.payload))
		})
	}
}

func FuzzDecodeAWS(f *testing.F) {
	for _, name := range []string{"aws-msk.json", "aws-selfmanaged.json", "aws-msk-bad-base64.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"headers":[{"h":[-1]}]}]}}`))
	earlier := mskEvent(f, 20, 300)
	f.Fuzz(func(t *testing.T, payload []byte) {
		compareWithReference(t, payload)
		// Into a batch that held another event, the result is the same.
		var b Batch
		if err := DecodeInto(&b, earlier, DecodeOptions{}); err != nil {
			t.Fatal(err)
		}
		checkDecodeInto(t, &b, payload, DecodeOptions{})
	})
}
