package deadletter

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// FuzzDecode feeds arbitrary documents to the envelope decoder that the
// redrive reads dead letters with. A refused document must say it is a dead
// letter that could not be decoded and why; an accepted one must survive
// Encode and Decode again with the same record bytes, so a redrive writes
// exactly what was dead-lettered.
func FuzzDecode(f *testing.F) {
	letters := []Letter{
		{Function: "kafka-es-sink", Time: time.Unix(1709681400, 0).UTC(), Error: Cause{Type: "mapper_parsing_exception", Reason: "r", Status: 400},
			Record: kafkaevent.Record{Topic: "orders", Partition: 3, Offset: 7, Key: []byte("k"), Value: []byte(`{"n":1}`), ValueIsJSON: true,
				Headers: []kafkaevent.Header{{Key: "h", Value: []byte{0xff, 0}}}}},
		{Function: "kafka-es-sink", Error: Cause{Type: "bad_base64"}, Record: kafkaevent.Record{Topic: "t", Value: []byte{0xfe, 0xff}}, Raw: []byte(`{"value":"!!"}`)},
	}
	for _, l := range letters {
		b, err := Encode(l)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, `{"esconnect_dead_letter":2}`, `null`, `[`, `{"esconnect_dead_letter":1,"record":{"value":"x","value_encoding":"rot13"}}`,
		`{"esconnect_dead_letter":1,"record":{"value":"!!","value_encoding":"base64"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		l, err := Decode(doc)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "decode dead letter") || len(err.Error()) < len("decode dead letter: x") {
				t.Fatalf("error %q does not name the problem", err)
			}
			return
		}
		again, err := Encode(l)
		if err != nil {
			t.Fatalf("a decoded letter does not encode: %v", err)
		}
		l2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded letter does not decode: %v\n%s", err, again)
		}
		r1, r2 := l.Record, l2.Record
		if !bytes.Equal(r1.Key, r2.Key) || !bytes.Equal(r1.Value, r2.Value) || (r1.Key == nil) != (r2.Key == nil) ||
			(r1.Value == nil) != (r2.Value == nil) || !bytes.Equal(l.Raw, l2.Raw) || len(r1.Headers) != len(r2.Headers) ||
			r1.Topic != r2.Topic || r1.Partition != r2.Partition || r1.Offset != r2.Offset {
			t.Fatalf("round trip changed the letter:\n%+v\n%+v", l, l2)
		}
		for i := range r1.Headers {
			if r1.Headers[i].Key != r2.Headers[i].Key || !bytes.Equal(r1.Headers[i].Value, r2.Headers[i].Value) {
				t.Fatalf("header %d changed: %+v -> %+v", i, r1.Headers[i], r2.Headers[i])
			}
		}
	})
}
