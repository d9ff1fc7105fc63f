package demo

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/pgsync"
)

// checkConnectorReport checks the connector step's documents as
// Elasticsearch answered them: the job ran the sample schema's two tables
// with a primary key, and the connector's last sync agrees.
func checkConnectorReport(t *testing.T, rep *ConnectorReport, schema string) {
	t.Helper()
	if rep == nil {
		t.Fatal("no connector report")
	}
	j := rep.Job
	for k, want := range map[string]any{"id": rep.JobID, "status": "completed", "job_type": "full", "trigger_method": "on_demand",
		"indexed_document_count": 7.0, "deleted_document_count": 0.0, "total_document_count": 7.0, "error": nil} {
		if j[k] != want {
			t.Errorf("job %s = %v, want %v", k, j[k], want)
		}
	}
	for _, k := range []string{"created_at", "started_at", "completed_at", "last_seen", "worker_hostname"} {
		if s, _ := j[k].(string); s == "" {
			t.Errorf("job %s = %v, want it set", k, j[k])
		}
	}
	conn, _ := j["connector"].(map[string]any)
	if conn["id"] != ConnectorID || conn["index_name"] != connectorIndex(schema) || conn["service_type"] != "postgresql" {
		t.Errorf("job connector = %v", conn)
	}
	if _, ok := conn["configuration"]; ok {
		t.Error("the printed job holds the connector's configuration (and so its password)")
	}
	meta, _ := j["metadata"].(map[string]any)
	skipped, _ := meta["skipped_tables"].([]any)
	if meta["rows_read"] != 7.0 || len(skipped) != 1 || skipped[0].(map[string]any)["table"] != "page_views" {
		t.Errorf("job metadata = %v, want 7 rows read and page_views skipped", meta)
	}
	c := rep.LastSync
	for k, want := range map[string]any{"status": "connected", "error": nil, "last_sync_status": "completed", "last_sync_error": nil,
		"last_indexed_document_count": 7.0, "last_deleted_document_count": 0.0} {
		if c[k] != want {
			t.Errorf("connector %s = %v, want %v", k, c[k], want)
		}
	}
	if s, _ := c["last_synced"].(string); s == "" || s != j["completed_at"] {
		t.Errorf("connector last_synced %v, job completed_at %v: want the same time", c["last_synced"], j["completed_at"])
	}
	if len(rep.Run.Jobs) != 1 || rep.Run.Jobs[0].ID != rep.JobID || rep.Run.Jobs[0].Indexed != 7 {
		t.Errorf("run result %+v", rep.Run)
	}
}

// TestConnectorStepSyncsTheSampleSchema runs the pg-es-sync step (which
// loads the schema) and the connector step on one stack, with a password
// in PG_URL (the local test server does not check it): the printed
// documents are the reported ones, and the password is never printed.
func TestConnectorStepSyncsTheSampleSchema(t *testing.T) {
	const schema = "esconnect_demo_test_connector"
	dropSchemaAtEnd(t, schema)
	s := startTestStack(t)
	es, closeES, err := newESClient(s.ESURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeES)
	u, err := url.Parse(testPGURL())
	if err != nil {
		t.Fatal(err)
	}
	const password = "demo-Pa55-never-printed"
	u.User = url.UserPassword(u.User.Username(), password)
	opts := Options{PGURL: u.String(), PGSchema: schema, RequirePG: true}.withDefaults()

	var out bytes.Buffer
	p := &printer{w: &out}
	job, skipped, err := syncPostgres(t.Context(), opts, s.ESURL, es, p)
	if err != nil || skipped != "" || job.Status != pgsync.StatusCompleted {
		t.Fatalf("pg-es-sync step: %v %q %+v\n%s", err, skipped, job, out.String())
	}
	rep, skipped, err := runConnector(t.Context(), opts, s.ESURL, es, "", p)
	if err != nil || skipped != "" {
		t.Fatalf("connector step: %v %q\n%s", err, skipped, out.String())
	}
	checkConnectorReport(t, rep, schema)

	var printedJob, printedConn map[string]any
	jsonAfter(t, out.String(), HeadingConnectorJobPrefix+rep.JobID+"?filter_path="+connectorJobFilter, &printedJob)
	jsonAfter(t, out.String(), HeadingConnectorLastSync, &printedConn)
	if printedJob["id"] != rep.JobID || printedJob["indexed_document_count"] != rep.Job["indexed_document_count"] ||
		printedConn["last_sync_status"] != rep.LastSync["last_sync_status"] {
		t.Errorf("printed job %v and connector %v differ from the report", printedJob, printedConn)
	}
	for _, want := range []string{"PUT _connector/" + ConnectorID + "\n", "PUT _connector/" + ConnectorID + "/_configuration\n",
		"PUT _connector/" + ConnectorID + "/_scheduling\n", `"enabled":false`, "POST _connector/_sync_job\n",
		"esconnect connector run --id " + ConnectorID + " --once", "What it shows: the job ran to completed",
		"metadata.skipped_tables names page_views", "last_sync_status completed, last_indexed_document_count 7,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), password) {
		t.Fatalf("the output shows PG_URL's password:\n%s", out.String())
	}
}

func TestConnectorStepSkippedWithPostgres(t *testing.T) {
	var out bytes.Buffer
	p := &printer{w: &out}
	p.section("pg-es-sync: PostgreSQL -> Elasticsearch")
	rep, skipped, err := runConnector(t.Context(), Options{}.withDefaults(), "http://127.0.0.1:9", nil, "pg-es-sync, because ...", p)
	if err != nil || rep != nil {
		t.Fatalf("skipped step: %+v %v", rep, err)
	}
	if !strings.Contains(skipped, "PostgreSQL is not reachable") ||
		!strings.Contains(out.String(), "Skipped: it syncs the same PostgreSQL tables, and PostgreSQL is not reachable (see section 1).") {
		t.Fatalf("skipped %q, output:\n%s", skipped, out.String())
	}
}

// TestRunWithoutPostgresSkipsBothSteps: with PostgreSQL down the demo
// still succeeds, and says it skipped pg-es-sync and the connector step.
func TestRunWithoutPostgresSkipsBothSteps(t *testing.T) {
	var out bytes.Buffer
	rep, err := Run(t.Context(), Options{Ephemeral: true, PGURL: closedPGURL(t)}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if rep.Job != nil || rep.Connector != nil || len(rep.Skipped) != 2 ||
		!strings.HasPrefix(rep.Skipped[0], "pg-es-sync, because PostgreSQL is not reachable") ||
		rep.Skipped[1] != "the connector step, because PostgreSQL is not reachable" {
		t.Fatalf("report: job %v, connector %v, skipped %q", rep.Job, rep.Connector, rep.Skipped)
	}
	for _, want := range []string{"skipping pg-es-sync.", "6. pg-es-sync as an Elastic connector",
		"Skipped: it syncs the same PostgreSQL tables, and PostgreSQL is not reachable (see section 5).",
		"Skipped: the connector step, because PostgreSQL is not reachable"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "s3cret-pw") {
		t.Errorf("the output shows PG_URL's password:\n%s", out.String())
	}
}
