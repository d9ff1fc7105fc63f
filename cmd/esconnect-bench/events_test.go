package main

import (
	"testing"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// The events are what their names say: an MSK event of N records whose
// values are JSON of exactly the given size.
func TestEventPayload(t *testing.T) {
	for _, ev := range []eventSpec{{1, 1024}, {300, 64 << 10}, {1000, 1024}} {
		payload, recs, err := ev.payload()
		if err != nil {
			t.Fatal(err)
		}
		b, err := kafkaevent.Decode(payload, kafkaevent.FormatAuto)
		if err != nil || len(b.Records) != ev.Records || len(recs) != ev.Records || b.EventSource != kafkaevent.EventSourceMSK {
			t.Fatalf("%s: %v, %d records decoded, %d made, source %q", ev, err, len(b.Records), len(recs), b.EventSource)
		}
		// The event groups records by partition, so they are matched by
		// offset.
		made := map[int64]kafkaevent.Record{}
		for _, r := range recs {
			made[r.Offset] = r
		}
		for _, r := range b.Records {
			m, ok := made[r.Offset]
			if !ok || len(r.Value) != ev.ValueBytes || string(r.Value) != string(m.Value) || string(r.Key) != string(m.Key) || r.Topic != benchTopic {
				t.Fatalf("%s: record at offset %d has a %d-byte value on topic %q, not the one made", ev, r.Offset, len(r.Value), r.Topic)
			}
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-pairs", "3", "-only", "whole,cpu"}, discard{})
	if err != nil || o.pairs != 3 || !o.only["whole"] || !o.only["cpu"] || o.only["warm"] {
		t.Fatalf("parseFlags: %+v, %v", o, err)
	}
	for _, args := range [][]string{{"-only", "bogus"}, {"-pairs", "0"}, {"-warm", "5000"}, {"extra"}} {
		if _, err := parseFlags(args, discard{}); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
