package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/deadletter"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

// These tests pin the handler's accounting and failure policy against a
// real bulk API (the esnode and each configured real engine over HTTP) and
// real dead-letter targets (kfake or a real broker over the Kafka protocol,
// or an index of the engine).

// conflictIndex creates index with msg_body.value.n mapped as long, so that
// a JSON value {"n":"abc"} is rejected for good (400, the engine's mapping
// error type) while {"n":1} is indexed.
func conflictIndex(t *testing.T, e *targettest.Engine, index string) {
	t.Helper()
	e.CreateIndex(t, index, `{"mappings":{"properties":{"msg_body":{"properties":{"value":{"properties":{"n":{"type":"long"}}}}}}}}`)
}

// conflictBatch is n JSON records of which the one at offset 100+bad does
// not fit conflictIndex's mapping.
func conflictBatch(t *testing.T, n, bad int) ([]kafkaevent.Record, []byte) {
	t.Helper()
	recs := records("orders", 100, n, func(i int) string {
		if i == bad {
			return `{"n":"abc"}`
		}
		return `{"n":` + strconv.Itoa(i) + `}`
	})
	return recs, awsEvent(t, recs)
}

func TestHandleMappingConflictIsDeadLettered(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		e := s.ES
		index := e.Index("orders")
		conflictIndex(t, e, index)
		dl := letters(t, s.Kafka)
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvValueFormat: "json", EnvDLQTarget: dl.target()}, nil)
		_, payload := conflictBatch(t, 20, 7)
		res, err := h.Handle(t.Context(), payload)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if want := (tally{Received: 20, Indexed: 19, Created: 19, DeadLettered: 1, BulkRequests: 1}); counts(res) != want {
			t.Errorf("result %+v, want %+v", counts(res), want)
		}
		l := dl.read(t, 1)[0]
		if l.Record.Offset != 107 || l.Error.Type != e.MappingErrorType() || l.Error.Status != 400 ||
			!strings.Contains(l.Error.Reason, "msg_body.value.n") || string(l.Record.Value) != `{"n":"abc"}` {
			t.Errorf("dead letter %+v, want offset 107, a 400 %s naming msg_body.value.n", l, e.MappingErrorType())
		}
		if len(res.Failures) != 1 || res.Failures[0].Outcome != OutcomeDeadLettered || res.Failures[0].Offset != 107 {
			t.Errorf("failures %+v", res.Failures)
		}
		if n := e.Count(t, index); n != 19 {
			t.Errorf("%d documents, want 19", n)
		}
	})
}

func TestHandleESDeadLetterTarget(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index, dead := e.Index("orders"), e.Index("dead-letters")
		conflictIndex(t, e, index)
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvValueFormat: "json", EnvDLQTarget: "es://" + dead, EnvFunctionName: "fn"}, nil)
		recs, payload := conflictBatch(t, 5, 2)
		for delivery := 1; delivery <= 2; delivery++ {
			res, err := h.Handle(t.Context(), payload)
			if err != nil || res.DeadLettered != 1 || res.Indexed != 4 {
				t.Fatalf("delivery %d: %+v, %v", delivery, counts(res), err)
			}
		}
		id := deadletter.DocumentID(deadletter.Letter{Record: recs[2]})
		src := e.Source(t, dead, id)
		raw, err := json.Marshal(src)
		if err != nil || src == nil {
			t.Fatalf("letter %s: %v, %v", id, src, err)
		}
		l, err := deadletter.Decode(raw)
		if err != nil {
			t.Fatalf("letter %s: %v", raw, err)
		}
		if l.Record.Offset != 102 || string(l.Record.Value) != `{"n":"abc"}` || l.Error.Status != 400 ||
			l.Error.Type != e.MappingErrorType() || l.Function != "fn" {
			t.Errorf("letter %+v", l)
		}
		// The second delivery found the letter stored (create, 409) instead of
		// storing it twice.
		if n := e.Count(t, dead); n != 1 {
			t.Errorf("%d letters stored, want 1", n)
		}
	})
}

func TestHandleBadBase64KeepsRawJSON(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		dl := letters(t, s.Kafka)
		index := s.ES.Index("orders")
		h := openSinkOn(t, s.ES, map[string]string{EnvSinkIndex: index, EnvDLQTarget: dl.target()}, nil)
		res, err := h.Handle(t.Context(), fixture(t, "aws-msk-bad-base64.json"))
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if res.Received != 3 || res.Indexed != 1 || res.DeadLettered != 2 {
			t.Fatalf("result %+v", res)
		}
		var sawBase64 bool
		for _, l := range dl.read(t, 2) {
			if !json.Valid(l.Raw) {
				t.Errorf("letter raw is not the JSON element: %q", l.Raw)
			}
			if l.Error.Type == string(kafkaevent.ErrBadBase64) {
				sawBase64 = true
				if !bytes.Contains(l.Raw, []byte(`"not*base64!"`)) || l.Record.Offset != 15232 {
					t.Errorf("bad-base64 letter %+v raw %s", l, l.Raw)
				}
			}
		}
		if !sawBase64 {
			t.Error("no bad_base64 letter")
		}
		if n := s.ES.Count(t, index); n != 1 {
			t.Errorf("%d documents, want 1", n)
		}
	})
}

func TestHandleValueNotJSONDeadLettersOnlyThatRecord(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		dl := letters(t, s.Kafka)
		index := s.ES.Index("orders")
		h := openSinkOn(t, s.ES, map[string]string{EnvSinkIndex: index, EnvValueFormat: "json", EnvDLQTarget: dl.target()}, nil)
		recs := records("orders", 0, 4, func(i int) string {
			if i == 2 {
				return "plain text, not JSON"
			}
			return `{"n":` + strconv.Itoa(i) + `}`
		})
		res, err := h.Handle(t.Context(), awsEvent(t, recs))
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if want := (tally{Received: 4, Indexed: 3, Created: 3, DeadLettered: 1, BulkRequests: 1}); counts(res) != want {
			t.Errorf("result %+v, want %+v", counts(res), want)
		}
		l := dl.read(t, 1)[0]
		if l.Record.Offset != 2 || l.Error.Type != "value_not_json" || l.Error.Status != 0 || string(l.Record.Value) != "plain text, not JSON" {
			t.Errorf("letter %+v", l)
		}
		// The JSON values are stored as JSON, not as strings.
		body, _ := s.ES.Source(t, index, offsetID(recs[3]))["msg_body"].(map[string]any)
		if !reflect.DeepEqual(body["value"], map[string]any{"n": 3.0}) {
			t.Errorf("value = %#v", body["value"])
		}
	})
}

// TestHandleKeyIDsNeverRegress replays older records of a key, in a later
// batch and within one batch: the newest offset's document must stay. The
// engine itself refuses the older ones (external versioning, version = the
// offset), which the sink counts as no-ops.
func TestHandleKeyIDsNeverRegress(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("latest")
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDocID: "key"}, nil)
		rec := func(off int64, v string) kafkaevent.Record {
			return kafkaevent.Record{Topic: "t", Offset: off, Timestamp: 1, Key: []byte("user-1"), Value: []byte(v), ValueSize: len(v)}
		}
		stored := func() (string, int) {
			t.Helper()
			res, err := e.API.Get(index, "user-1", e.API.Get.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var doc struct {
				Version int `json:"_version"`
				Source  struct {
					MsgBody struct {
						Value string `json:"value"`
					} `json:"msg_body"`
				} `json:"_source"`
			}
			if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || res.IsError() {
				t.Fatalf("get %s/user-1: %s, %v", index, res.Status(), err)
			}
			return doc.Source.MsgBody.Value, doc.Version
		}
		steps := []struct {
			name    string
			batch   []kafkaevent.Record
			want    tally
			value   string
			version int
		}{
			{"newest first", []kafkaevent.Record{rec(10, "v10")}, tally{Received: 1, Indexed: 1, Created: 1, BulkRequests: 1}, "v10", 10},
			{"older batch replayed", []kafkaevent.Record{rec(5, "v5")}, tally{Received: 1, Indexed: 1, Noop: 1, BulkRequests: 1}, "v10", 10},
			{"same batch again", []kafkaevent.Record{rec(10, "v10")}, tally{Received: 1, Indexed: 1, Noop: 1, BulkRequests: 1}, "v10", 10},
			{"newer then older in one batch", []kafkaevent.Record{rec(20, "v20"), rec(15, "v15")}, tally{Received: 2, Indexed: 2, Updated: 1, Noop: 1, BulkRequests: 1}, "v20", 20},
		}
		for _, s := range steps {
			res, err := h.Handle(t.Context(), awsEvent(t, s.batch))
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if counts(res) != s.want {
				t.Errorf("%s: %+v, want %+v", s.name, counts(res), s.want)
			}
			if v, version := stored(); v != s.value || version != s.version {
				t.Errorf("%s: stored value %q version %d, want %q version %d", s.name, v, version, s.value, s.version)
			}
		}
	})
}

func TestHandleOnFailureModes(t *testing.T) {
	tests := []struct {
		name        string
		onFailure   string
		wantErr     error
		wantSkipped int
	}{
		{"fail names the records", OnFailureFail, ErrRecordsFailed, 0},
		{"log skips and continues", OnFailureLog, nil, 1},
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				index := e.Index("orders-" + strconv.Itoa(i))
				conflictIndex(t, e, index)
				var logs bytes.Buffer
				h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvValueFormat: "json", EnvOnFailure: tc.onFailure}, &logs)
				_, payload := conflictBatch(t, 3, 1)
				res, err := h.Handle(t.Context(), payload)
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), "orders-0@101") {
					t.Errorf("error does not name the record: %v", err)
				}
				if res.Skipped != tc.wantSkipped || res.Indexed != 2 {
					t.Errorf("result %+v", counts(res))
				}
				if !strings.Contains(logs.String(), "msg_body.value.n") || !strings.Contains(logs.String(), e.MappingErrorType()) {
					t.Errorf("log lacks the reason: %s", logs.String())
				}
				if n := e.Count(t, index); n != 2 {
					t.Errorf("%d documents, want 2", n)
				}
			})
		}
	})
}

func TestHandleDeadLetterTargetUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("orders")
		conflictIndex(t, e, index)
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvValueFormat: "json", EnvDLQTarget: "kafka://" + addr + "/" + dlqTopic}, nil)
		_, payload := conflictBatch(t, 3, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		res, err := h.Handle(ctx, payload)
		if !errors.Is(err, ErrDeadLetter) {
			t.Fatalf("err = %v, want ErrDeadLetter", err)
		}
		if res.DeadLettered != 0 || res.Indexed != 2 {
			t.Errorf("result %+v although the target never acknowledged", counts(res))
		}
	})
}

func TestBatchItemFailuresShape(t *testing.T) {
	b, err := json.Marshal(Result{BatchItemFailures: batchItemFailures([]Failure{
		{Topic: "orders", Partition: 3, Offset: 9}, {Topic: "orders", Partition: 3, Offset: 7}, {Topic: "a.b", Partition: 0, Offset: 1},
	})})
	if err != nil {
		t.Fatal(err)
	}
	want := `"batchItemFailures":[{"itemIdentifier":{"partition":"a.b-0","offset":1}},{"itemIdentifier":{"partition":"orders-3","offset":7}}]`
	if !strings.Contains(string(b), want) {
		t.Errorf("JSON %s lacks %s", b, want)
	}
}

func TestResultFailuresBounded(t *testing.T) {
	r := Result{Failures: make([]Failure, maxResultFailures+7)}
	r.trimFailures()
	if len(r.Failures) != maxResultFailures || r.FailuresOmitted != 7 {
		t.Errorf("failures %d, omitted %d", len(r.Failures), r.FailuresOmitted)
	}
}

// TestOpenWiresTheRealPathOnEsnode: Open refuses, before building or
// contacting anything, a hand-filled Config the handler could not account
// for its records with (every problem at once, each naming its setting);
// what it does build writes through the real document builder and bulk
// writer, whose report (requests, retries under injected 429s) is the
// Result's.
func TestOpenWiresTheRealPathOnEsnode(t *testing.T) {
	srv, es := node(t, esnode.Options{Faults: esnode.Faults{Item429: 0.5, Seed: 7}})
	cfg, err := LoadConfig(config.FromMap(map[string]string{
		esclient.EnvURL: srv.URL, EnvSinkIndex: "orders", EnvDLQTarget: "es://dead",
		esbulk.EnvMaxDocs: "10", esbulk.EnvRetryMax: "30",
		esbulk.EnvRetryBackoffInitial: "1ms", esbulk.EnvRetryBackoffMax: "5ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		set   func(c *Config)
		wants []string
	}{
		{"dlq without a target", func(c *Config) { c.DLQTarget = "" }, []string{EnvOnFailure + "=dlq needs " + EnvDLQTarget}},
		{"overflow without brokers", func(c *Config) { c.FetchOverflow = true }, []string{EnvFetchOverflow + " needs " + EnvKafkaBrokers}},
		{"both", func(c *Config) { c.DLQTarget, c.FetchOverflow = "", true }, []string{EnvDLQTarget, EnvKafkaBrokers}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := cfg
			tt.set(&bad)
			_, _, err := Open(t.Context(), bad, nil)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Open = %v, want ErrConfig", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if st := srv.Node.Stats(); st.BulkRequests != 0 {
		t.Fatalf("a refused Open sent %d bulk requests", st.BulkRequests)
	}

	h, closeFn, err := Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Error(err)
		}
	})
	const n = 40
	res, err := h.Handle(t.Context(), awsEvent(t, records("orders", 0, n, func(i int) string { return `{"n":` + strconv.Itoa(i) + `}` })))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	st := srv.Node.Stats()
	if res.Indexed != n || res.Created != n || res.Retries == 0 || st.Items429 == 0 {
		t.Errorf("result %+v, node %+v: want every record indexed after retried 429s", counts(res), st)
	}
	if int64(res.BulkRequests) != st.BulkRequests {
		t.Errorf("result says %d bulk requests, the node served %d", res.BulkRequests, st.BulkRequests)
	}
	srv.Node.SetFaults(esnode.Faults{})
	esnodetest.Refresh(t, es, "orders")
	if c := esnodetest.Count(t, es, "orders"); c != n {
		t.Errorf("%d documents, want %d", c, n)
	}
}
