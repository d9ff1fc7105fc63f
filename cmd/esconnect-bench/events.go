package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// eventSpec is one benchmark event: an MSK event of Records JSON values of
// ValueBytes bytes each, over four partitions of one topic.
type eventSpec struct {
	Records, ValueBytes int
}

func (e eventSpec) String() string {
	size := strconv.Itoa(e.ValueBytes) + " B"
	if e.ValueBytes%1024 == 0 {
		size = strconv.Itoa(e.ValueBytes/1024) + " KiB"
	}
	return thousands(e.Records) + " x " + size
}

// benchTopic is the topic of every benchmark record; ES_INDEX is the same.
const benchTopic = "orders"

// records makes the event's records: keys "order-N", values
// {"n":N,"s":"abc..."} of exactly ValueBytes bytes, consecutive offsets.
func (e eventSpec) records() []kafkaevent.Record {
	recs := make([]kafkaevent.Record, e.Records)
	for i := range recs {
		v := make([]byte, e.ValueBytes)
		for j := range v {
			v[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i+j)%36]
		}
		copy(v, fmt.Sprintf(`{"n":%d,"s":"`, i))
		v[len(v)-2], v[len(v)-1] = '"', '}'
		recs[i] = kafkaevent.Record{Topic: benchTopic, Partition: int32(i % 4), Offset: int64(100000 + i),
			Timestamp: 1709633700000 + int64(i), TimestampType: "CREATE_TIME",
			Key: []byte("order-" + strconv.Itoa(i)), Value: v, ValueSize: len(v)}
	}
	return recs
}

// payload is the MSK event of the records, as Lambda delivers it.
func (e eventSpec) payload() ([]byte, []kafkaevent.Record, error) {
	recs := e.records()
	b, err := kafkaevent.EncodeAWS(recs, kafkaevent.EventSourceMSK, "b-1.example.kafka.us-east-1.amazonaws.com:9098")
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the %s event: %w", e, err)
	}
	return b, recs, nil
}

// thousands writes n with commas: 20,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fileName is the event's file name in a benchmark directory.
func (e eventSpec) fileName() string {
	return fmt.Sprintf("event-%dx%d.json", e.Records, e.ValueBytes)
}

// writeEvents writes every benchmark event into dir, for running the
// programs by hand (esconnect invoke, a profiler).
func writeEvents(dir string, out io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	seen := map[eventSpec]bool{}
	for _, ev := range append(append(append([]eventSpec{}, wholeEvents...), warmEvents...), cpuEvent) {
		if seen[ev] {
			continue
		}
		seen[ev] = true
		b, _, err := ev.payload()
		if err != nil {
			return err
		}
		name := filepath.Join(dir, ev.fileName())
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\t%s, %d bytes\n", name, ev, len(b))
	}
	return nil
}
