package sink

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/targettest"
)

// editAWSEvent decodes an AWS Kafka event fixture, lets edit change its
// records map, and encodes it again.
func editAWSEvent(t *testing.T, name string, edit func(records map[string][]map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(ev["records"])
	if err != nil {
		t.Fatal(err)
	}
	var records map[string][]map[string]any
	if err := json.Unmarshal(raw, &records); err != nil {
		t.Fatal(err)
	}
	edit(records)
	ev["records"] = records
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lowestOffsets returns the lowest offset each topic-partition of an AWS
// event delivers, from the records that carry one.
func lowestOffsets(t *testing.T, payload []byte) map[string]int64 {
	t.Helper()
	var ev struct {
		Records map[string][]struct {
			Offset *int64 `json:"offset"`
		} `json:"records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	low := map[string]int64{}
	for key, recs := range ev.Records {
		for _, r := range recs {
			if r.Offset == nil {
				continue
			}
			if o, ok := low[key]; !ok || *r.Offset < o {
				low[key] = *r.Offset
			}
		}
	}
	return low
}

// TestPartialBatchResponse checks REPORT_BATCH_ITEM_FAILURES=true against
// what Lambda does with the answer for Kafka event sources: it resumes each
// reported "<topic>-<partition>" at the reported offset. A failed record
// whose payload element has no offset, partition or topic cannot be named
// without skipping it or rewinding its partition (the offset would read as
// 0), so the batch fails as a whole instead; with a dead-letter target the
// record is dead-lettered like any other.
func TestPartialBatchResponse(t *testing.T) {
	dropOffset := func(records map[string][]map[string]any) { delete(records["orders-0"][1], "offset") }
	tests := []struct {
		name    string
		payload func(t *testing.T) []byte
		dlq     bool
		// wantErr is nil when the batch succeeds with wantBIF.
		wantErr []error
		wantBIF []BatchItemFailure
		// indexed and deadLettered are the records that must be stored.
		indexed, deadLettered int
	}{
		{
			name: "bad base64 and a record without offset (fixture)",
			payload: func(t *testing.T) []byte {
				return fixture(t, "aws-msk-bad-base64.json")
			},
			wantErr: []error{ErrRecordsFailed, ErrNoPosition},
			indexed: 1,
		},
		{
			name: "bad base64 only",
			payload: func(t *testing.T) []byte {
				return editAWSEvent(t, "aws-msk-bad-base64.json", func(r map[string][]map[string]any) {
					r["orders-0"] = append(r["orders-0"][:1], r["orders-0"][2:]...)
				})
			},
			wantBIF: []BatchItemFailure{{ItemIdentifier{Partition: "orders-0", Offset: 15232}}},
			indexed: 1,
		},
		{
			name: "a record without offset",
			payload: func(t *testing.T) []byte {
				return editAWSEvent(t, "aws-msk.json", dropOffset)
			},
			wantErr: []error{ErrRecordsFailed, ErrNoPosition},
			indexed: 2,
		},
		{
			name: "a record without partition",
			payload: func(t *testing.T) []byte {
				return editAWSEvent(t, "aws-msk.json", func(r map[string][]map[string]any) { delete(r["orders-1"][0], "partition") })
			},
			wantErr: []error{ErrRecordsFailed, ErrNoPosition},
			indexed: 2,
		},
		{
			name: "a record whose topic is null",
			payload: func(t *testing.T) []byte {
				return editAWSEvent(t, "aws-msk.json", func(r map[string][]map[string]any) { r["orders-0"][0]["topic"] = nil })
			},
			wantErr: []error{ErrRecordsFailed, ErrNoPosition},
			indexed: 2,
		},
		{
			name: "a record without offset goes to the dead-letter index",
			payload: func(t *testing.T) []byte {
				return editAWSEvent(t, "aws-msk.json", dropOffset)
			},
			dlq:          true,
			indexed:      2,
			deadLettered: 1,
		},
	}
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				index, dead := e.Index(fmt.Sprintf("partial-%d", i)), e.Index(fmt.Sprintf("partial-dead-%d", i))
				env := e.Env()
				env[EnvSinkIndex] = index
				env[EnvReportBatchItemFailures] = "true"
				env[EnvOnFailure] = OnFailureFail
				if tc.dlq {
					env[EnvOnFailure] = OnFailureDLQ
					env[EnvDLQTarget] = "es://" + dead
				}
				cfg, err := LoadConfig(config.FromMap(env))
				if err != nil {
					t.Fatal(err)
				}
				h, closeFn, err := Open(t.Context(), cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = closeFn() })

				payload := tc.payload(t)
				res, err := h.Handle(t.Context(), payload)
				for _, want := range tc.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("err = %v, want it to wrap %v", err, want)
					}
				}
				if tc.wantErr == nil && err != nil {
					t.Fatalf("err = %v, want success with a partial batch response", err)
				}
				if !reflect.DeepEqual(res.BatchItemFailures, tc.wantBIF) {
					t.Errorf("batchItemFailures = %+v, want %+v", res.BatchItemFailures, tc.wantBIF)
				}
				// Whatever the case, no identifier may lie before what the
				// batch delivered for its partition: Lambda would rewind.
				low := lowestOffsets(t, payload)
				for _, f := range res.BatchItemFailures {
					if o, ok := low[f.ItemIdentifier.Partition]; !ok || f.ItemIdentifier.Offset < o {
						t.Errorf("identifier %+v names no delivered position (lowest delivered: %v)", f.ItemIdentifier, low)
					}
				}
				if res.Indexed != tc.indexed || res.DeadLettered != tc.deadLettered {
					t.Errorf("result %+v, want %d indexed and %d dead-lettered", counts(res), tc.indexed, tc.deadLettered)
				}
				e.Refresh(t, index)
				if n := e.Count(t, index); n != tc.indexed {
					t.Errorf("%s holds %d documents, want %d", index, n, tc.indexed)
				}
				if tc.dlq {
					e.Refresh(t, dead)
					if n := e.Count(t, dead); n != tc.deadLettered {
						t.Errorf("%s holds %d dead letters, want %d", dead, n, tc.deadLettered)
					}
				}
			})
		}
	})
}
