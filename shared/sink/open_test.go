package sink

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/targettest"
)

// TestOpenIndexesEveryFixture sends every Kafka trigger fixture through
// Open and Handle and compares the whole _source of every document with the
// connector's msg_body shape; then it sends the same payload again, which
// must change nothing and be counted as noop.
func TestOpenIndexesEveryFixture(t *testing.T) {
	fixtures := []string{
		"aws-msk.json", "aws-msk-bad-base64.json", "aws-selfmanaged.json",
		"alibaba-connector.json", "alibaba-connector-bad-record.json",
		"fc-cloudevents-json-value.json", "fc-cloudevents-object.json", "fc-cloudevents-string.json",
		"fc-rawdata.json",
	}
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		e, dl := s.ES, letters(t, s.Kafka)
		letters := 0
		for i, name := range fixtures {
			t.Run(name, func(t *testing.T) {
				index := e.Index("fixture-" + strings.TrimSuffix(name, ".json"))
				h := openSinkOn(t, e, map[string]string{EnvSinkIndex: index, EnvDLQTarget: dl.target()}, nil)
				payload := fixture(t, name)
				batch, err := kafkaevent.Decode(payload, kafkaevent.FormatAuto)
				if err != nil {
					t.Fatalf("fixture %d does not decode: %v", i, err)
				}

				res, err := h.Handle(t.Context(), payload)
				if err != nil {
					t.Fatalf("Handle: %v", err)
				}
				want := tally{Received: batch.Len(), Indexed: len(batch.Records), Created: len(batch.Records), DeadLettered: len(batch.Failures), BulkRequests: 1}
				if got := counts(res); got != want {
					t.Errorf("first delivery: %+v, want %+v", got, want)
				}
				letters += len(batch.Failures)

				got := map[string]map[string]any{}
				for _, h := range e.SearchAll(t, index) {
					got[h.ID] = h.Source
				}
				if len(got) != len(batch.Records) {
					t.Errorf("%d documents, want %d", len(got), len(batch.Records))
				}
				for _, r := range batch.Records {
					if src, ok := got[offsetID(r)]; !ok {
						t.Errorf("no document %s", offsetID(r))
					} else if w := wantSource(r); !reflect.DeepEqual(src, w) {
						t.Errorf("document %s:\n got %v\nwant %v", offsetID(r), src, w)
					}
				}

				res, err = h.Handle(t.Context(), payload)
				if err != nil {
					t.Fatalf("second Handle: %v", err)
				}
				want = tally{Received: batch.Len(), Indexed: len(batch.Records), Noop: len(batch.Records), DeadLettered: len(batch.Failures), BulkRequests: 1}
				if got := counts(res); got != want {
					t.Errorf("second delivery: %+v, want %+v", got, want)
				}
				if n := e.Count(t, index); n != len(batch.Records) {
					t.Errorf("count after re-delivery = %d, want %d", n, len(batch.Records))
				}
			})
		}
		// Each undecodable element was dead-lettered once per delivery.
		if got := dl.end(t); got != int64(2*letters) || letters == 0 {
			t.Errorf("dead-letter topic holds %d letters, want %d", got, 2*letters)
		}
	})
}

// TestOpenConnectorDocuments pins the exact documents of the Alibaba
// connector fixture, written out by hand, so that the shape does not merely
// agree with the decoder's reading of the fixture. The index template's
// {topic} is filled from the record.
func TestOpenConnectorDocuments(t *testing.T) {
	want := map[string]map[string]any{
		"orders+0+15230": {"msg_body": map[string]any{"key": "order-10042", "offset": 15230.0, "overflowFlag": false, "partition": 0.0,
			"timestamp": 1709633700123.0, "topic": "orders", "value": `{"orderId":10042,"status":"PAID","amount":129.90}`, "valueSize": 49.0}},
		"orders+0+15231": {"msg_body": map[string]any{"offset": 15231.0, "overflowFlag": false, "partition": 0.0,
			"timestamp": 1709633701456.0, "topic": "orders", "value": "heartbeat from pos-terminal-17", "valueSize": 30.0}},
		"orders+0+15232": {"msg_body": map[string]any{"key": "order-10044", "offset": 15232.0, "overflowFlag": true, "partition": 0.0,
			"timestamp": 1709633702789.0, "topic": "orders", "valueSize": 9437184.0}},
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		h := openSinkOn(t, e, map[string]string{EnvSinkIndex: e.Index("orders-{topic}")}, nil)
		if _, err := h.Handle(t.Context(), fixture(t, "alibaba-connector.json")); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		for id, w := range want {
			if got := e.Source(t, e.Index("orders-orders"), id); !reflect.DeepEqual(got, w) {
				t.Errorf("%s:\n got %v\nwant %v", id, got, w)
			}
		}
	})
}

// TestOpenRejectsWhatItCannotBuild checks that Open reports settings that
// LoadConfig cannot see (a client that cannot be built) as ErrConfig.
func TestOpenRejectsWhatItCannotBuild(t *testing.T) {
	cfg, err := LoadConfig(config.FromMap(map[string]string{EnvSinkIndex: "idx"}))
	if err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.Elasticsearch.CACert = []byte("not a certificate")
	if _, _, err := Open(t.Context(), bad, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("bad CA: err = %v, want ErrConfig", err)
	}
	bad = cfg
	bad.Document.Index = "Upper"
	if _, _, err := Open(t.Context(), bad, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("bad index: err = %v, want ErrConfig", err)
	}
	bad = cfg
	bad.OnFailure, bad.DLQTarget = OnFailureDLQ, "nowhere"
	if _, _, err := Open(t.Context(), bad, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("bad dead-letter target: err = %v, want ErrConfig", err)
	}
}

// tally is the comparable part of a Result: its counts.
type tally struct {
	Received, Indexed, Created, Updated, Noop, Deleted   int
	DeadLettered, Skipped, Failed, Retries, BulkRequests int
}

// counts is the tally of r.
func counts(r Result) tally {
	return tally{r.Received, r.Indexed, r.Created, r.Updated, r.Noop, r.Deleted, r.DeadLettered, r.Skipped, r.Failed, r.Retries, r.BulkRequests}
}
