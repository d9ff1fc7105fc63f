package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
	"github.com/esconnect/esconnect/shared/targettest"
)

const (
	pkg         = "github.com/esconnect/esconnect/functions/kafka-es-sink"
	testTimeout = 60 * time.Second
	index       = "orders"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type result struct {
	Received          int `json:"received"`
	Indexed           int `json:"indexed"`
	Failed            int `json:"failed"`
	BatchItemFailures []struct {
		ItemIdentifier struct {
			Partition string `json:"partition"`
			Offset    int64  `json:"offset"`
		} `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// sinkEnv is the function's environment for engine e writing to index,
// plus extra.
func sinkEnv(e *targettest.Engine, index string, extra map[string]string) map[string]string {
	env := e.Env()
	env["ES_INDEX"], env["ES_REFRESH"] = index, "true"
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestLambda(t *testing.T) {
	bin := platformtest.Build(t, pkg)

	t.Run("batches land in the index", func(t *testing.T) {
		targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			api := platformtest.NewRuntimeAPI(t)
			index := e.Index(index)
			platformtest.Start(t, bin, sinkEnv(e, index, map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr()}))
			steps := []struct {
				event       string
				wantIndexed int
				wantFail    bool
			}{
				{"aws-msk.json", 3, false},
				{"aws-selfmanaged.json", -1, false},
				{"not-json", 0, true},
				{"aws-msk.json", 3, false}, // re-delivery: same ids
			}
			for _, s := range steps {
				payload := []byte("{not json")
				if s.event != "not-json" {
					payload = fixture(t, s.event)
				}
				_, o, err := api.Invoke(ctx, payload, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if s.wantFail {
					if o.Error == nil || o.Error.Message == "" {
						t.Fatalf("%s: outcome %+v, want an error", s.event, o)
					}
					continue
				}
				var r result
				if err := json.Unmarshal(o.Response, &r); err != nil {
					t.Fatalf("%s: response %q (error %+v): %v", s.event, o.Response, o.Error, err)
				}
				if r.Indexed != r.Received || (s.wantIndexed >= 0 && r.Indexed != s.wantIndexed) {
					t.Fatalf("%s: result %+v", s.event, r)
				}
			}
			if n := e.Count(t, index); n < 3 {
				t.Fatalf("index holds %d documents, want the MSK fixture's 3 and more", n)
			}
		})
	})

	t.Run("partial batch response", func(t *testing.T) {
		// The index refuses writes (index.blocks.write, a retriable 403) and
		// no retry is allowed, so no record can be confirmed; with
		// ON_FAILURE=fail nothing is dead-lettered, and the records are
		// handed back to Lambda from the lowest offset of each partition.
		targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			index := e.Index(index)
			e.CreateIndex(t, index, "")
			e.SetWriteBlock(t, index, true)
			api := platformtest.NewRuntimeAPI(t)
			platformtest.Start(t, bin, sinkEnv(e, index, map[string]string{
				"AWS_LAMBDA_RUNTIME_API": api.Addr(), "RETRY_MAX": "0",
				"ON_FAILURE": "fail", "REPORT_BATCH_ITEM_FAILURES": "true",
			}))
			_, o, err := api.Invoke(ctx, fixture(t, "aws-msk.json"), 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if o.Error != nil {
				t.Fatalf("the whole batch failed (%+v); want a partial batch response", o.Error)
			}
			var r result
			if err := json.Unmarshal(o.Response, &r); err != nil {
				t.Fatal(err)
			}
			lowest := lowestOffsets(t, fixture(t, "aws-msk.json"))
			if len(r.BatchItemFailures) != len(lowest) || r.Indexed != 0 || r.Failed != r.Received {
				t.Fatalf("result %+v, want nothing indexed and one batch item failure per topic-partition %v", r, lowest)
			}
			for _, f := range r.BatchItemFailures {
				if want, ok := lowest[f.ItemIdentifier.Partition]; !ok || f.ItemIdentifier.Offset != want {
					t.Errorf("itemIdentifier %+v, want the lowest offset of %s (%v)", f.ItemIdentifier, f.ItemIdentifier.Partition, lowest)
				}
			}
			if !strings.Contains(string(o.Response), `"itemIdentifier":{"partition":"`) {
				t.Errorf("response %s lacks Lambda's itemIdentifier shape", o.Response)
			}
		})
	})

	t.Run("bad configuration", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		api := platformtest.NewRuntimeAPI(t)
		p := platformtest.Start(t, bin, map[string]string{
			"AWS_LAMBDA_RUNTIME_API": api.Addr(), "ES_URL": "not a url", "BULK_MAX_DOCS": "many",
		})
		o, err := api.InitError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"ES_URL", "BULK_MAX_DOCS"} {
			if !strings.Contains(o.Error.Message, want) {
				t.Errorf("init error %q does not name %s", o.Error.Message, want)
			}
		}
		if code, err := p.Wait(ctx); err != nil || code != 1 {
			t.Fatalf("exit %d, %v; want 1", code, err)
		}
	})
}

// lowestOffsets maps each "<topic>-<partition>" of an AWS Kafka event to its
// lowest offset, which is where Lambda must resume.
func lowestOffsets(t *testing.T, event []byte) map[string]int64 {
	t.Helper()
	var ev struct {
		Records map[string][]struct{ Offset int64 } `json:"records"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for tp, recs := range ev.Records {
		for i, r := range recs {
			if i == 0 || r.Offset < out[tp] {
				out[tp] = r.Offset
			}
		}
	}
	return out
}

func TestFC(t *testing.T) {
	bin := platformtest.Build(t, pkg)

	t.Run("events land in the index", func(t *testing.T) {
		targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			index := e.Index(index)
			_, base := platformtest.StartFC(ctx, t, bin, sinkEnv(e, index, nil))
			if r, err := platformtest.InitializeFC(ctx, base, "init"); err != nil || r.Status != 200 {
				t.Fatalf("initialize: %+v %v", r, err)
			}
			total := 0
			for i, ev := range []string{"fc-cloudevents-object.json", "fc-cloudevents-string.json", "alibaba-connector.json"} {
				r, err := platformtest.InvokeFC(ctx, base, "req-"+ev, fixture(t, ev), 30)
				if err != nil || r.Status != 200 || r.FCStatus != "200" {
					t.Fatalf("%s: %+v %v", ev, r, err)
				}
				var res result
				if err := json.Unmarshal(r.Body, &res); err != nil || res.Received == 0 || res.Indexed != res.Received {
					t.Fatalf("%s (#%d): result %s (%v)", ev, i, r.Body, err)
				}
				total += res.Indexed
			}
			r, err := platformtest.InvokeFC(ctx, base, "req-bad", []byte("{not json"), 30)
			if err != nil || r.Status != 404 || r.FCStatus != "404" || !strings.Contains(string(r.Body), `"errorType"`) {
				t.Fatalf("malformed event: %+v %v, want 404 with an error body", r, err)
			}
			if n := e.Count(t, index); n == 0 || n > total {
				t.Fatalf("index holds %d documents, want between 1 and %d", n, total)
			}
		})
	})

	t.Run("bad configuration fails every call with the reason", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		_, base := platformtest.StartFC(ctx, t, bin, map[string]string{"ES_URL": "not a url", "BULK_MAX_DOCS": "many"})
		for _, path := range []string{"initialize", "invoke"} {
			var r platformtest.FCResponse
			var err error
			if path == "initialize" {
				r, err = platformtest.InitializeFC(ctx, base, "i")
			} else {
				r, err = platformtest.InvokeFC(ctx, base, "v", fixture(t, "fc-cloudevents-object.json"), 30)
			}
			if err != nil || r.Status != 404 || r.FCStatus != "404" {
				t.Fatalf("%s: %+v %v", path, r, err)
			}
			if !strings.Contains(string(r.Body), "ES_URL") || !strings.Contains(string(r.Body), "BULK_MAX_DOCS") {
				t.Fatalf("%s: body %s does not name every problem", path, r.Body)
			}
		}
	})
}
