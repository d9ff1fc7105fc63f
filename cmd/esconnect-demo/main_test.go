package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/demo"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// pgURL is the PostgreSQL the demo test needs; when it is not reachable
// the test fails (scripts/ensure-postgres.sh starts the local server).
func pgURL() string {
	if u := os.Getenv("PG_TEST_URL"); u != "" {
		return u
	}
	return demo.DefaultPGURL
}

// jsonAfter decodes the JSON document printed on the line after heading.
func jsonAfter(t *testing.T, out, heading string, v any) {
	t.Helper()
	i := strings.Index(out, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("output has no %q heading:\n%s", heading, out)
	}
	if err := json.NewDecoder(strings.NewReader(out[i+len(heading)+2:])).Decode(v); err != nil {
		t.Fatalf("JSON after %q: %v\n%s", heading, err, out)
	}
}

func TestRunsTheWholeDemo(t *testing.T) {
	const schema = "esconnect_demo_bintest"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgURL())
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	var stdout, stderr bytes.Buffer
	began := time.Now()
	code := run(t.Context(), []string{"--ephemeral", "--require-pg", "--pg-url", pgURL(), "--pg-schema", schema}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()

	var search struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
			Hits []struct {
				Index  string `json:"_index"`
				ID     string `json:"_id"`
				Source struct {
					MsgBody map[string]any `json:"msg_body"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	jsonAfter(t, out, demo.HeadingSearch, &search)
	// The sink's documents as the Alibaba connector writes them; the
	// timestamp is checked apart because it is the produce time.
	want := []map[string]any{
		{"key": "order-1001", "value": `{"order_id":1001,"item":"coffee beans","qty":2}`, "valueSize": 47.0},
		{"key": "order-1002", "value": `{"order_id":1002,"item":"espresso cups","qty":6}`, "valueSize": 48.0},
		// A null key leaves msg_body.key out.
		{"value": "hello from a message without a key", "valueSize": 34.0},
		// Bytes ff fe 00 01 80 are not UTF-8: base64, with the encoding named.
		{"key": "sensor-7", "value": "//4AAYA=", "valueEncoding": "base64", "valueSize": 5.0},
		{"key": "order-1001", "value": `{"order_id":1001,"item":"coffee beans","qty":3}`, "valueSize": 47.0},
	}
	if search.Hits.Total.Value != len(want) || len(search.Hits.Hits) != len(want) {
		t.Fatalf("search shows %d hits (total %d), want %d:\n%s", len(search.Hits.Hits), search.Hits.Total.Value, len(want), out)
	}
	byOffset := map[float64]map[string]any{}
	for _, h := range search.Hits.Hits {
		if h.Index != "elastic_test" {
			t.Errorf("hit %s in index %q", h.ID, h.Index)
		}
		off, _ := h.Source.MsgBody["offset"].(float64)
		byOffset[off] = h.Source.MsgBody
	}
	for i, w := range want {
		got := byOffset[float64(i)]
		if got == nil {
			t.Errorf("no document for offset %d", i)
			continue
		}
		ts, _ := got["timestamp"].(float64)
		if d := time.UnixMilli(int64(ts)); d.Before(began.Add(-time.Minute)) || d.After(time.Now().Add(time.Minute)) {
			t.Errorf("offset %d: timestamp %v is not the produce time", i, d)
		}
		delete(got, "timestamp")
		full := map[string]any{"topic": "elasticsearch-test-input", "partition": 0.0, "offset": float64(i), "overflowFlag": false}
		for k, v := range w {
			full[k] = v
		}
		if !reflect.DeepEqual(got, full) {
			t.Errorf("offset %d: msg_body = %v\nwant %v", i, got, full)
		}
	}

	var job pgsync.Job
	jsonAfter(t, out, demo.HeadingJob, &job)
	if job.Status != pgsync.StatusCompleted || job.TriggerMethod != pgsync.TriggerOnDemand {
		t.Errorf("job status %q trigger %q, want completed on_demand (error %v)", job.Status, job.TriggerMethod, job.Error)
	}
	// customers has 3 rows, orders 4; page_views has no primary key.
	if job.IndexedDocumentCount != 7 || job.TotalDocumentCount != 7 || job.DeletedDocumentCount != 0 || job.Metadata.RowsRead != 7 {
		t.Errorf("job counts indexed %d total %d deleted %d rows %d, want 7, 7, 0, 7",
			job.IndexedDocumentCount, job.TotalDocumentCount, job.DeletedDocumentCount, job.Metadata.RowsRead)
	}
	if !reflect.DeepEqual(job.Connector.Tables, []string{"customers", "orders"}) || job.Connector.Schema != schema ||
		len(job.Metadata.SkippedTables) != 1 || job.Metadata.SkippedTables[0].Table != "page_views" {
		t.Errorf("job synced %v of %q, skipped %+v; want customers and orders of %s, page_views skipped",
			job.Connector.Tables, job.Connector.Schema, job.Metadata.SkippedTables, schema)
	}

	// The connector step: the sync job and the connector's last sync as
	// Elasticsearch returned them.
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(demo.HeadingConnectorJobPrefix) + `([^?\s]+)\?filter_path=\S+$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output has no sync job heading:\n%s", out)
	}
	var connJob map[string]any
	jsonAfter(t, out, m[0], &connJob)
	for k, want := range map[string]any{"id": m[1], "status": "completed", "trigger_method": "on_demand", "job_type": "full",
		"indexed_document_count": 7.0, "deleted_document_count": 0.0, "total_document_count": 7.0, "error": nil} {
		if connJob[k] != want {
			t.Errorf("connector job %s = %v, want %v", k, connJob[k], want)
		}
	}
	if c, _ := connJob["connector"].(map[string]any); c["id"] != demo.ConnectorID || c["index_name"] != schema+"_connector" || c["configuration"] != nil {
		t.Errorf("connector job's connector = %v, want %s syncing into %s_connector, configuration left out", c, demo.ConnectorID, schema)
	}
	var last map[string]any
	jsonAfter(t, out, demo.HeadingConnectorLastSync, &last)
	if last["last_sync_status"] != "completed" || last["last_indexed_document_count"] != 7.0 || last["last_deleted_document_count"] != 0.0 ||
		last["status"] != "connected" || last["last_synced"] != connJob["completed_at"] {
		t.Errorf("connector's last sync = %v", last)
	}
	if !strings.Contains(out, "What it shows: the job ran to completed, with indexed_document_count 7, deleted_document_count 0") {
		t.Errorf("the demo does not say what the documents show:\n%s", out)
	}
	if strings.Contains(out, "Skipped:") {
		t.Errorf("demo reports a skipped step:\n%s", out)
	}
}

func TestExitStatus(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		args []string
		want int
	}{
		{"help", t.Context(), []string{"-h"}, 0},
		{"unexpected argument", t.Context(), []string{"extra"}, demo.ExitUsage},
		{"unknown flag", t.Context(), []string{"--bogus"}, demo.ExitUsage},
		{"interrupted", cancelled, []string{"--ephemeral"}, demo.ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.ctx, tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", got, tt.want, stderr.String())
			}
			if tt.want != demo.ExitInterrupted && !strings.Contains(stderr.String(), "usage: esconnect-demo") {
				t.Errorf("stderr has no usage:\n%s", stderr.String())
			}
		})
	}
}

// TestLinksOnlyWhatTheDemoUses keeps the first `make demo` short: the
// program must not grow the API clients only other subcommands need, nor
// go-elasticsearch's full client, nor kafka-go, whose protocol packages build
// codecs for every version of every Kafka API in their init (the demo's
// Kafka clients are franz-go's).
func TestLinksOnlyWhatTheDemoUses(t *testing.T) {
	// One line per linked package: its path, then the packages it imports.
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps",
		"-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const kafkaGo = "github.com/segmentio/kafka-go"
	linked := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		d := f[0]
		linked[d] = true
		// The SDK's core and its SigV4 signer come with esclient (the
		// functions sign for Amazon OpenSearch Service); its service
		// clients and configuration loader are the CLI's alone.
		for _, banned := range []string{"github.com/aws/aws-sdk-go-v2/service/", "github.com/aws/aws-sdk-go-v2/config",
			"github.com/aws/aws-sdk-go-v2/feature/", "github.com/alibabacloud-go/", "github.com/aliyun/", "/typedapi"} {
			if strings.Contains(d, banned) {
				t.Errorf("esconnect-demo links %s", d)
			}
		}
		for _, imp := range f[1:] {
			if imp == kafkaGo || strings.HasPrefix(imp, kafkaGo+"/") {
				t.Errorf("%s imports %s: esconnect-demo must not link kafka-go", d, imp)
			}
		}
	}
	if linked["github.com/elastic/go-elasticsearch/v8"] {
		t.Error("esconnect-demo links go-elasticsearch's full client")
	}
	for _, want := range []string{"github.com/esconnect/esconnect/shared/demo", "github.com/esconnect/esconnect/shared/connector",
		"github.com/twmb/franz-go/pkg/kfake", "github.com/twmb/franz-go/pkg/kgo"} {
		if !linked[want] {
			t.Errorf("go list -deps does not list %s; the check above saw the wrong package", want)
		}
	}
}
