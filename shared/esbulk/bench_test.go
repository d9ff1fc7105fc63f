package esbulk_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// benchActions is a batch shaped like the sink's: update + doc_as_upsert of
// msg_body documents of about 400 bytes.
func benchActions(n int) []esbulk.Action {
	out := make([]esbulk.Action, n)
	for i := range out {
		out[i] = esbulk.Action{Op: esbulk.OpUpdate, Index: "kafka-orders", ID: fmt.Sprintf("orders-3-%d", 1_000_000+i),
			Body: fmt.Appendf(nil, `{"doc":{"msg_body":{"key":"customer-%d","offset":%d,"overflowFlag":false,"partition":3,`+
				`"timestamp":1718000000000,"topic":"orders","value":"{\"order\":%d,\"items\":[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-7\",\"qty\":1}],\"note\":\"deliver after 5pm\"}",`+
				`"valueSize":96}},"doc_as_upsert":true}`, i%97, 1_000_000+i, i)}
	}
	return out
}

func BenchmarkAppendAction(b *testing.B) {
	actions := benchActions(1000)
	var buf []byte
	size := 0
	for i := range actions {
		size += len(esbulk.AppendAction(nil, &actions[i]))
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i := range actions {
			buf = esbulk.AppendAction(buf, &actions[i])
		}
	}
}

// BenchmarkWriteBlackhole is encode + request + response parse for 1000
// actions against a node that answers every item created without storing
// anything, so that the figure is the writer's and the client's cost.
func BenchmarkWriteBlackhole(b *testing.B) {
	srv := esnodetest.Start(b, esnode.Options{Blackhole: true})
	cfg := esclient.Config{URLs: []string{srv.URL}, RequestTimeout: 10 * time.Second}
	tr, err := esclient.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tr.CloseIdleConnections)
	bc := esbulk.DefaultConfig()
	bc.Client, bc.Logger = tr, slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := esbulk.New(bc)
	if err != nil {
		b.Fatal(err)
	}
	actions := benchActions(1000)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := w.Write(b.Context(), actions)
		if err != nil || rep.Failed != 0 {
			b.Fatalf("err %v, failed %d", err, rep.Failed)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(actions)), "ns/action")
}

// BenchmarkEncode is Write's encoding alone, the action lines and the
// bodies read through a buffer (io.Discard's ReadFrom, as a connection
// takes a request body): the bulk writer's share of the sink's CPU path.
func BenchmarkEncode(b *testing.B) {
	actions := benchActions(1000)
	for i := range actions {
		// As msgdoc's bodies are: compact, with no raw newline.
		actions[i].Flat = true
	}
	cfg := esbulk.DefaultConfig()
	cfg.Client = noSendClient{}
	w, err := esbulk.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	n, err := w.Encode(io.Discard, actions)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Encode(io.Discard, actions); err != nil {
			b.Fatal(err)
		}
	}
}

// noSendClient is the writer's client where only its encoding runs.
type noSendClient struct{}

func (noSendClient) Perform(*http.Request) (*http.Response, error) {
	return nil, errors.New("this benchmark sends nothing")
}
