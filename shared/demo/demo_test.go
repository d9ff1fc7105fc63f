package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// testPGURL is the PostgreSQL the tests use. It must be reachable: the
// pg-es-sync step is part of what is tested, so its absence fails the tests
// (scripts/ensure-postgres.sh starts the local server).
func testPGURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return DefaultPGURL
}

// dropSchemaAtEnd removes a test's sample schema when the test ends.
func dropSchemaAtEnd(t *testing.T, schema string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testPGURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
}

// startTestStack starts a dev stack on free ports, stopped when the test ends.
func startTestStack(t *testing.T) *devstack.Stack {
	t.Helper()
	s, err := devstack.Start(t.Context(), devstack.Options{KafkaAddr: ephemeralAddr, ESAddr: ephemeralAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close stack: %v", err)
		}
	})
	return s
}

// jsonAfter decodes the JSON document printed on the line after heading.
func jsonAfter(t *testing.T, out, heading string, v any) {
	t.Helper()
	i := strings.Index(out, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("output has no %q heading:\n%s", heading, out)
	}
	if err := json.NewDecoder(strings.NewReader(out[i+len(heading)+2:])).Decode(v); err != nil {
		t.Fatalf("JSON after %q: %v", heading, err)
	}
}

func TestRunIndexesSamplesAndSyncsPostgres(t *testing.T) {
	const schema = "esconnect_demo_test_run"
	dropSchemaAtEnd(t, schema)
	var out bytes.Buffer
	rep, err := Run(t.Context(), Options{Ephemeral: true, PGURL: testPGURL(), PGSchema: schema, RequirePG: true}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if rep.Produced != len(Samples) || rep.Indexed != int64(len(Samples)) {
		t.Errorf("produced %d, indexed %d; want %d each", rep.Produced, rep.Indexed, len(Samples))
	}
	if rep.Job == nil || rep.Job.Status != pgsync.StatusCompleted || rep.Job.IndexedDocumentCount != 7 {
		t.Errorf("job = %+v, want completed with 7 documents", rep.Job)
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("skipped %q, want nothing", rep.Skipped)
	}
	var search struct {
		Hits struct {
			Hits []json.RawMessage `json:"hits"`
		} `json:"hits"`
	}
	jsonAfter(t, out.String(), HeadingSearch, &search)
	if len(search.Hits.Hits) != len(Samples) {
		t.Errorf("printed search has %d hits, want %d", len(search.Hits.Hits), len(Samples))
	}
	var job pgsync.Job
	jsonAfter(t, out.String(), HeadingJob, &job)
	if job.ID != rep.Job.ID {
		t.Errorf("printed job %q, reported job %q", job.ID, rep.Job.ID)
	}
	checkConnectorReport(t, rep.Connector, schema)
	var connJob map[string]any
	jsonAfter(t, out.String(), HeadingConnectorJobPrefix+rep.Connector.JobID+"?filter_path="+connectorJobFilter, &connJob)
	if connJob["status"] != "completed" || connJob["id"] != rep.Connector.JobID {
		t.Errorf("printed connector job %v", connJob)
	}
	// Everything Run started is stopped when it returns.
	for _, addr := range []string{rep.KafkaAddr, strings.TrimPrefix(rep.ESURL, "http://")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Run returned", addr)
		}
	}
}

// cancelOn cancels when the output reaches a line holding marker, the way
// Ctrl-C would land in the middle of a step.
type cancelOn struct {
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(b []byte) (int, error) {
	n, err := w.buf.Write(b)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return n, err
}

func TestRunStopsEverythingWhenCancelled(t *testing.T) {
	tests := []struct{ name, marker string }{
		{name: "while producing", marker: "Kafka: topic"},
		{name: "while consuming", marker: "kafka-es-sink: self-hosted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			w := &cancelOn{marker: tt.marker, cancel: cancel}
			began := time.Now()
			rep, err := Run(ctx, Options{Ephemeral: true, PGURL: testPGURL(), PGSchema: "esconnect_demo_test_cancel"}, w)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run error = %v, want context.Canceled\n%s", err, w.buf.String())
			}
			if took := time.Since(began); took > 20*time.Second {
				t.Errorf("Run took %v to stop after cancellation", took)
			}
			if c, err := net.DialTimeout("tcp", rep.KafkaAddr, time.Second); err == nil {
				c.Close()
				t.Errorf("Kafka %s still accepts connections after a cancelled Run", rep.KafkaAddr)
			}
		})
	}
}
