package msgdoc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/jsonstr"
	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// mskEvent builds an MSK event of n records with valueSize-byte JSON values.
func mskEvent(tb testing.TB, n, valueSize int) []byte {
	tb.Helper()
	recs := make([]kafkaevent.Record, n)
	for i := range recs {
		v := make([]byte, valueSize)
		for j := range v {
			v[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i+j)%36]
		}
		copy(v, fmt.Sprintf(`{"n":%d,"s":"`, i))
		v[len(v)-2], v[len(v)-1] = '"', '}'
		recs[i] = kafkaevent.Record{Topic: "orders", Partition: int32(i % 4), Offset: int64(100000 + i),
			Timestamp: 1709633700000 + int64(i), TimestampType: "CREATE_TIME",
			Key: []byte("order-" + strconv.Itoa(i)), Value: v}
	}
	payload, err := kafkaevent.EncodeAWS(recs, kafkaevent.EventSourceMSK, "b-1.example:9098")
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// appendNDJSON is a minimal bulk request encoder standing in for the bulk
// writer's, so that the CPU budget covers the whole path to request bytes.
func appendNDJSON(dst []byte, a *esbulk.Action) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, a.Op.String()...)
	dst = append(dst, `":{"_index":`...)
	dst = jsonstr.Append(dst, a.Index)
	if a.ID != "" {
		dst = append(dst, `,"_id":`...)
		dst = jsonstr.Append(dst, a.ID)
	}
	dst = append(dst, "}}\n"...)
	if a.Body != nil {
		dst = append(append(dst, a.Body...), '\n')
	}
	return dst
}

// pipeline runs decode, build and NDJSON encoding of one payload.
func pipeline(tb testing.TB, b *Builder, payload, ndjson []byte) []byte {
	batch, err := kafkaevent.Decode(payload, kafkaevent.FormatAuto)
	if err != nil {
		tb.Fatal(err)
	}
	built := b.Build(batch.Records)
	if len(built.Actions) != len(batch.Records) {
		tb.Fatalf("%d actions for %d records: %+v", len(built.Actions), len(batch.Records), built.Failures)
	}
	ndjson = ndjson[:0]
	for i := range built.Actions {
		ndjson = appendNDJSON(ndjson, &built.Actions[i])
	}
	return ndjson
}

func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecodeBuildMSK measures the whole CPU path for a 1,000-record
// MSK event with 1 KiB values. cpu-MB/s is payload bytes per CPU second
// (the machines are shared, so wall-clock MB/s understates it).
func BenchmarkDecodeBuildMSK(b *testing.B) {
	payload := mskEvent(b, 1000, 1024)
	bld := newBuilder(b, Options{Index: "kafka-{topic}-{yyyy.MM.dd}"})
	ndjson := make([]byte, 0, 2*len(payload))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		ndjson = pipeline(b, bld, payload, ndjson)
	}
	if spent := cpuTime(b) - start; spent > 0 {
		b.ReportMetric(float64(len(payload))*float64(b.N)/spent.Seconds()/1e6, "cpu-MB/s")
	}
}

// TestPipelineAllocations pins the allocation budget: at most 4 per record
// for decode + build + encode (the id string is the only per-record one).
func TestPipelineAllocations(t *testing.T) {
	payload := mskEvent(t, 1000, 1024)
	bld := newBuilder(t, Options{Index: "kafka-{topic}-{yyyy.MM.dd}"})
	ndjson := make([]byte, 0, 2*len(payload))
	allocs := testing.AllocsPerRun(3, func() { ndjson = pipeline(t, bld, payload, ndjson) })
	if perRecord := allocs / 1000; perRecord > 4 {
		t.Fatalf("%.0f allocations for 1000 records (%.2f per record), budget is 4", allocs, perRecord)
	} else {
		t.Logf("%.2f allocations per record", perRecord)
	}
}

// TestPeakHeapSixMB bounds the memory of decoding and building a 6 MB event:
// with the collector off, everything allocated stays live, so payload plus
// bytes allocated is an upper bound of the peak heap.
func TestPeakHeapSixMB(t *testing.T) {
	payload := mskEvent(t, 4300, 1024)
	if len(payload) < 6_000_000 {
		t.Fatalf("payload is %d bytes, want 6 MB", len(payload))
	}
	bld := newBuilder(t, Options{Index: "kafka-{topic}"})
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	batch, err := kafkaevent.Decode(payload, kafkaevent.FormatAWS)
	if err != nil {
		t.Fatal(err)
	}
	built := bld.Build(batch.Records)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(built)
	used := after.TotalAlloc - before.TotalAlloc
	ratio := float64(uint64(len(payload))+used) / float64(len(payload))
	t.Logf("payload %d bytes, allocated %d bytes, peak <= %.2fx payload", len(payload), used, ratio)
	if ratio > 3 {
		t.Fatalf("peak heap bound %.2fx the payload, budget is 3x", ratio)
	}
}

// FuzzBuild checks that every body is valid single-line JSON that gives
// back the key and value bytes, in every value format, and that the field
// options (field ids and routing, VALUE_FIELDS, csv, MSG_MODE) agree with
// encoding/json and encoding/csv on every value (checkFieldOptions).
func FuzzBuild(f *testing.F) {
	for _, name := range []string{"aws-msk.json", "aws-selfmanaged.json", "alibaba-connector.json", "fc-cloudevents-json-value.json"} {
		payload, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		b, err := kafkaevent.Decode(payload, kafkaevent.FormatAuto)
		if err != nil {
			f.Fatal(err)
		}
		for _, r := range b.Records {
			f.Add(r.Key, r.Value, r.ValueIsJSON, uint8(0))
		}
	}
	f.Add([]byte("k\x00\"\\"), []byte("\xed\xa0\x80 surrogate"), false, uint8(7))
	f.Add([]byte("k"), []byte(`{"id":"a+b\\","n":1.5e3,"r":{"x":1},"a":[1],"id":"last"}`), false, uint8(0))
	f.Add([]byte("k"), []byte(`{"id":null,"n":true,"r":"t","z":{}}`), true, uint8(0))
	f.Add([]byte("k"), []byte("x,\"y,\"\"z\"\"\r\n\",w\n"), false, uint8(0))
	f.Add([]byte("k"), []byte("1,2,3\n4"), false, uint8(0))
	f.Fuzz(func(t *testing.T, key, value []byte, isJSON bool, max uint8) {
		if isJSON && !json.Valid(value) {
			isJSON = false
		}
		// ValueSize is what the trigger reported, which need not be the
		// value's length (the Alibaba connector counts a string's quotes).
		r := kafkaevent.Record{Topic: "t", Partition: 1, Offset: 2, Timestamp: 3, Key: key, Value: value, ValueIsJSON: isJSON,
			ValueSize: len(value) + int(max), Headers: []kafkaevent.Header{{Key: "h", Value: key}}}
		for _, vf := range []ValueFormat{ValueText, ValueJSON, ValueBase64} {
			bld := newBuilder(t, Options{ValueFormat: vf, MaxValueBytes: int(max), IncludeHeaders: true})
			batch := bld.Build([]kafkaevent.Record{r})
			if len(batch.Failures) == 1 && batch.Failures[0].Err.Type == ErrValueNotJSON && vf == ValueJSON {
				continue
			}
			if len(batch.Actions) != 1 {
				t.Fatalf("format %d: no action: %+v", vf, batch.Failures)
			}
			if !batch.Actions[0].Flat {
				t.Fatal("a msgdoc body is not marked Flat")
			}
			checkBody(t, batch.Actions[0].Body, r, vf, int(max))
		}
		checkFieldOptions(t, r)
	})
}

func checkBody(t *testing.T, body []byte, r kafkaevent.Record, vf ValueFormat, max int) {
	t.Helper()
	if !json.Valid(body) || bytes.ContainsAny(body, "\r\n") {
		t.Fatalf("body is not single-line JSON: %q", body)
	}
	var doc struct {
		Doc struct {
			Msg struct {
				Key           *string         `json:"key"`
				KeyEncoding   string          `json:"keyEncoding"`
				Value         json.RawMessage `json:"value"`
				ValueEncoding string          `json:"valueEncoding"`
				Overflow      bool            `json:"overflowFlag"`
				ValueSize     int             `json:"valueSize"`
			} `json:"msg_body"`
		} `json:"doc"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Doc.Msg
	if got := decodeField(t, m.Key, m.KeyEncoding); !bytes.Equal(got, r.Key) || (got == nil) != (r.Key == nil) {
		t.Fatalf("key %q came back as %q", r.Key, got)
	}
	if m.ValueSize != r.ValueSize {
		t.Fatalf("valueSize %d, want the record's %d", m.ValueSize, r.ValueSize)
	}
	truncated := max > 0 && len(r.Value) > max
	if m.Overflow != truncated {
		t.Fatalf("overflowFlag %v with %d bytes and limit %d", m.Overflow, len(r.Value), max)
	}
	if vf == ValueJSON {
		if truncated || r.Value == nil {
			return
		}
		var got, want any
		if json.Unmarshal(m.Value, &got) != nil || json.Unmarshal(r.Value, &want) != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("JSON value %s came back as %s", r.Value, m.Value)
		}
		return
	}
	if r.Value == nil {
		if m.Value != nil {
			t.Fatalf("null value stored as %s", m.Value)
		}
		return
	}
	var s *string
	if err := json.Unmarshal(m.Value, &s); err != nil {
		t.Fatalf("value %s is not a string", m.Value)
	}
	got := decodeField(t, s, m.ValueEncoding)
	want := r.Value
	if truncated {
		if len(got) > max || !bytes.HasPrefix(r.Value, got) {
			t.Fatalf("truncated value %q is not a prefix of %q within %d bytes", got, r.Value, max)
		}
		if m.ValueEncoding == "" && utf8.Valid(r.Value) && len(got) < max-3 {
			t.Fatalf("text truncated to %d bytes, more than a character short of %d", len(got), max)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("value %q came back as %q", want, got)
	}
}

func decodeField(t *testing.T, s *string, encoding string) []byte {
	t.Helper()
	if s == nil {
		return nil
	}
	if encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(*s)
		if err != nil {
			t.Fatalf("bad base64 %q", *s)
		}
		return b
	}
	return []byte(*s)
}
