package kafkaevent

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// MSKEvent builds an MSK event of n records with values of valueSize bytes
// spread over four partitions, as a benchmark and test input.
func mskEvent(tb testing.TB, n, valueSize int) []byte {
	tb.Helper()
	recs := make([]Record, n)
	for i := range recs {
		v := make([]byte, valueSize)
		for j := range v {
			v[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i+j)%36]
		}
		copy(v, fmt.Sprintf(`{"n":%d,"s":"`, i))
		v[len(v)-2], v[len(v)-1] = '"', '}'
		recs[i] = Record{Topic: "orders", Partition: int32(i % 4), Offset: int64(100000 + i),
			Timestamp: 1709633700000 + int64(i), TimestampType: "CREATE_TIME",
			Key: []byte(fmt.Sprintf("order-%d", i)), Value: v}
	}
	payload, err := EncodeAWS(recs, EventSourceMSK, "b-1.example:9098")
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

func BenchmarkDecodeMSK(b *testing.B) {
	payload := mskEvent(b, 1000, 1024)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		batch, err := Decode(payload, FormatAuto)
		if err != nil || len(batch.Records) != 1000 {
			b.Fatalf("decode: %v (%d records)", err, len(batch.Records))
		}
	}
	reportCPUThroughput(b, start, len(payload))
}

// BenchmarkDecodeMSKEncodingJSON is the baseline the hot path must beat:
// encoding/json into events.KafkaEvent, then base64 of every key and value.
func BenchmarkDecodeMSKEncodingJSON(b *testing.B) {
	payload := mskEvent(b, 1000, 1024)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		var ev events.KafkaEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			b.Fatal(err)
		}
		for _, recs := range ev.Records {
			for _, r := range recs {
				if _, err := base64.StdEncoding.DecodeString(r.Key); err != nil {
					b.Fatal(err)
				}
				if _, err := base64.StdEncoding.DecodeString(r.Value); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	reportCPUThroughput(b, start, len(payload))
}

// TestDecodeMSKAllocations pins the allocation budget of the hot path: a
// fixed handful per batch, none per record.
func TestDecodeMSKAllocations(t *testing.T) {
	payload := mskEvent(t, 1000, 1024)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := Decode(payload, FormatAWS); err != nil {
			t.Fatal(err)
		}
	})
	if perRecord := allocs / 1000; perRecord > 0.05 {
		t.Fatalf("%.0f allocations for 1000 records (%.3f per record), want a per-batch constant", allocs, perRecord)
	}
}
