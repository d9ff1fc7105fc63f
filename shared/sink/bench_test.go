package sink

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// Benchmark input: an MSK event of 1,000 records with 1 KiB JSON values
// over four partitions, about 1.4 MB of trigger payload.
const (
	benchRecords    = 1000
	benchValueBytes = 1024
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
			Key: []byte("order-" + strconv.Itoa(i)), Value: v, ValueSize: len(v)}
	}
	return awsEvent(tb, recs)
}

// BenchmarkCPUPath is a warm invocation's CPU work without the network:
// decode the trigger payload, build the msg_body actions and encode them as
// the bulk writer does (Writer.Encode), reusing the previous iteration's
// memory as the handler does. MB/s is trigger payload per wall second, cpu-MB/s per CPU second
// (the per-core figure on a shared machine).
func BenchmarkCPUPath(b *testing.B) {
	payload := mskEvent(b, benchRecords, benchValueBytes)
	bld, err := msgdoc.New(msgdoc.Options{Index: "orders"})
	if err != nil {
		b.Fatal(err)
	}
	cfg := esbulk.DefaultConfig()
	cfg.Client = noSend{}
	bulk, err := esbulk.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var s scratch
	m := startMeasure(b, len(payload))
	for b.Loop() {
		// As a warm invocation does, into the memory of the previous one.
		if err := kafkaevent.DecodeInto(&s.event, payload, kafkaevent.DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
		bld.BuildInto(&s.docs, s.event.Records)
		if _, err := bulk.Encode(io.Discard, s.docs.Actions); err != nil {
			b.Fatal(err)
		}
		if len(s.docs.Actions) != benchRecords {
			b.Fatalf("%d actions", len(s.docs.Actions))
		}
	}
	m.report(b, benchRecords)
}

// noSend is the bulk writer's client where only its encoding runs.
type noSend struct{}

func (noSend) Perform(*http.Request) (*http.Response, error) {
	return nil, errors.New("this benchmark sends nothing")
}

// BenchmarkEndToEnd runs one invocation into a blackhole esnode (bulk
// answered as if stored, nothing kept): esconnect's Handle, and the naive
// path for comparison. The node runs in a child process, so that CPU time
// and allocations are the client's alone.
func BenchmarkEndToEnd(b *testing.B) {
	payload := mskEvent(b, benchRecords, benchValueBytes)
	srv := externalNode(b)
	b.Run("esconnect", func(b *testing.B) {
		run := esconnectPath(b, srv)
		m := startMeasure(b, len(payload))
		for b.Loop() {
			run(b.Context(), payload)
		}
		m.report(b, benchRecords)
	})
	b.Run("naive", func(b *testing.B) {
		run := naivePath(b, srv)
		m := startMeasure(b, len(payload))
		for b.Loop() {
			run(b.Context(), payload)
		}
		m.report(b, benchRecords)
	})
}

// BenchmarkEndToEndRatio interleaves the two paths, one invocation each per
// iteration, so that both see the same machine load, and reports how many
// times faster esconnect is (x-faster) along with both per-invocation times.
func BenchmarkEndToEndRatio(b *testing.B) {
	payload := mskEvent(b, benchRecords, benchValueBytes)
	srv := externalNode(b)
	fast, naive := esconnectPath(b, srv), naivePath(b, srv)
	var tFast, tNaive time.Duration
	for b.Loop() {
		t0 := time.Now()
		fast(b.Context(), payload)
		t1 := time.Now()
		naive(b.Context(), payload)
		tFast, tNaive = tFast+t1.Sub(t0), tNaive+time.Since(t1)
	}
	b.ReportMetric(float64(tNaive)/float64(tFast), "x-faster")
	b.ReportMetric(float64(tFast.Nanoseconds())/float64(b.N), "esconnect-ns/invocation")
	b.ReportMetric(float64(tNaive.Nanoseconds())/float64(b.N), "naive-ns/invocation")
}

// esconnectPath is Handle, opened from settings like a deployment.
func esconnectPath(b *testing.B, srv *esnode.Server) func(context.Context, []byte) {
	b.Helper()
	h := openSink(b, srv, map[string]string{EnvSinkIndex: "orders"}, nil)
	return func(ctx context.Context, payload []byte) {
		res, err := h.Handle(ctx, payload)
		if err != nil || res.Indexed != benchRecords {
			b.Fatalf("Handle: %+v, %v", counts(res), err)
		}
	}
}

// naivePath is how a handler is commonly written with the standard tools:
// encoding/json into events.KafkaEvent, base64 of key and value, the
// document as a map through json.Marshal, and esutil.BulkIndexer with the
// same update + doc_as_upsert action, closed at the end of the invocation.
func naivePath(b *testing.B, srv *esnode.Server) func(context.Context, []byte) {
	b.Helper()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	return func(ctx context.Context, payload []byte) {
		var ev events.KafkaEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			b.Fatal(err)
		}
		bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: "orders"})
		if err != nil {
			b.Fatal(err)
		}
		for _, recs := range ev.Records {
			for _, r := range recs {
				key, _ := base64.StdEncoding.DecodeString(r.Key)
				value, _ := base64.StdEncoding.DecodeString(r.Value)
				doc := map[string]any{"msg_body": map[string]any{
					"key": string(key), "offset": r.Offset, "overflowFlag": false, "partition": r.Partition,
					"timestamp": r.Timestamp.UnixMilli(), "topic": r.Topic, "value": string(value), "valueSize": len(value),
				}}
				body, err := json.Marshal(map[string]any{"doc": doc, "doc_as_upsert": true})
				if err != nil {
					b.Fatal(err)
				}
				err = bi.Add(ctx, esutil.BulkIndexerItem{
					Action: "update", DocumentID: r.Topic + "+" + strconv.Itoa(int(r.Partition)) + "+" + strconv.FormatInt(r.Offset, 10),
					Body: bytes.NewReader(body),
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := bi.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if st := bi.Stats(); st.NumFailed != 0 || st.NumAdded != benchRecords {
			b.Fatalf("naive: %+v", st)
		}
	}
}

// measure collects what the benchmarks report beyond ns/op.
type measure struct {
	payload int
	cpu     time.Duration
	mallocs uint64
}

func startMeasure(b *testing.B, payloadBytes int) measure {
	b.Helper()
	b.SetBytes(int64(payloadBytes))
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return measure{payload: payloadBytes, cpu: cpuTime(b), mallocs: ms.Mallocs}
}

// report adds cpu-MB/s, ns/record and allocs/record (every allocation in
// the process).
func (m measure) report(b *testing.B, recordsPerOp int) {
	b.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	n := float64(b.N)
	if spent := cpuTime(b) - m.cpu; spent > 0 {
		b.ReportMetric(float64(m.payload)*n/spent.Seconds()/1e6, "cpu-MB/s")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n/float64(recordsPerOp), "ns/record")
	b.ReportMetric(float64(ms.Mallocs-m.mallocs)/n/float64(recordsPerOp), "allocs/record")
}

// cpuTime is the CPU time this process has used: on a shared machine the
// wall clock measures the neighbours too, while budgets "per core" are CPU
// time.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
