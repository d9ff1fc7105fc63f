package connector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"
)

// The connector tests run on the esnode only: the real Elasticsearch of
// the test stack is a distribution without x-pack's ent-search module, so
// it has no Connector API.

const albums = `
CREATE TABLE album (id int PRIMARY KEY, title text NOT NULL, artist_id int);
CREATE TABLE artist (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO artist VALUES (1, 'AC/DC'), (2, 'Accept');
INSERT INTO album VALUES (1, 'For Those About To Rock', 1), (2, 'Balls to the Wall', 2), (3, 'Restless and Wild', 2);
`

func TestLifecycleOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	st.must(t, esapi.ConnectorPutRequest{ConnectorID: "music", Body: body(`{"index_name":"music","name":"Music catalog","service_type":"postgresql"}`)})
	s := st.service(t, "music", "worker-1", nil)

	// First run: the schema is published and the connector waits for values.
	res, err := s.RunOnce(t.Context())
	if err != nil || res.Status != "needs_configuration" {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	c := st.connector(t, "music")
	if c["status"] != "needs_configuration" || c["last_seen"] == nil {
		t.Fatalf("after first run: status %v last_seen %v", c["status"], c["last_seen"])
	}
	cfg := c["configuration"].(map[string]any)
	for name, want := range map[string]string{"host": "Host", "port": "Port", "username": "Username", "password": "Password",
		"database": "Database", "schema": "Schema", "tables": "Comma-separated list of tables", "ssl_enabled": "Enable SSL verification"} {
		if f := cfg[name].(map[string]any); f["label"] != want {
			t.Errorf("%s label %v, want %q", name, f["label"], want)
		}
	}
	if cfg["password"].(map[string]any)["sensitive"] != true || cfg["host"].(map[string]any)["sensitive"] != false ||
		cfg["port"].(map[string]any)["type"] != "int" || cfg["tables"].(map[string]any)["value"] != "*" ||
		num(cfg["fetch_size"].(map[string]any)["default_value"]) != 50 {
		t.Errorf("schema properties: %v", cfg)
	}

	// Configure, start a sync, run.
	s = st.configured(t, "music", "music", nil)
	if c := st.connector(t, "music"); c["status"] != "configured" {
		t.Fatalf("status after values: %v", c["status"])
	}
	jobID := st.postJob(t, "music", "full")
	res, err = s.RunOnce(t.Context())
	if err != nil || len(res.Jobs) != 1 || res.Jobs[0].Status != "completed" || res.Jobs[0].Indexed != 5 {
		t.Fatalf("sync run: %+v, %v", res, err)
	}
	if got := st.ids(t, "music"); len(got) != 5 {
		t.Fatalf("documents %v, want 5", got)
	}

	// The job record, field by field as Kibana reads it.
	j := st.job(t, jobID)
	for k, want := range map[string]any{"status": "completed", "job_type": "full", "trigger_method": "on_demand",
		"worker_hostname": "worker-1", "error": nil} {
		if j[k] != want {
			t.Errorf("job %s = %v, want %v", k, j[k], want)
		}
	}
	for k, want := range map[string]int64{"indexed_document_count": 5, "deleted_document_count": 0, "total_document_count": 5,
		"indexed_document_volume": 0} {
		if num(j[k]) != want {
			t.Errorf("job %s = %v, want %d", k, j[k], want)
		}
	}
	for _, k := range []string{"created_at", "started_at", "completed_at", "last_seen"} {
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(j[k])); err != nil {
			t.Errorf("job %s = %v: %v", k, j[k], err)
		}
	}
	if j["canceled_at"] != nil || j["connector"].(map[string]any)["index_name"] != "music" {
		t.Errorf("job: %v", j)
	}
	meta := j["metadata"].(map[string]any)
	if num(meta["rows_read"]) != 5 || num(meta["indexed_bytes"]) == 0 {
		t.Errorf("metadata %v", meta)
	}
	c = st.connector(t, "music")
	for k, want := range map[string]any{"status": "connected", "error": nil, "last_sync_status": "completed", "last_sync_error": nil} {
		if c[k] != want {
			t.Errorf("connector %s = %v, want %v", k, c[k], want)
		}
	}
	if num(c["last_indexed_document_count"]) != 5 || c["last_synced"] == nil {
		t.Errorf("connector last sync: %v %v", c["last_indexed_document_count"], c["last_synced"])
	}

	// A deleted row is deleted from the index by the next sync.
	st.exec(t, "DELETE FROM album WHERE id = 3")
	jobID = st.postJob(t, "music", "full")
	if res, err = s.RunOnce(t.Context()); err != nil || res.Jobs[0].Deleted != 1 {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	if j := st.job(t, jobID); num(j["deleted_document_count"]) != 1 || num(j["total_document_count"]) != 4 {
		t.Fatalf("second job: %v", j)
	}
	if c := st.connector(t, "music"); num(c["last_deleted_document_count"]) != 1 {
		t.Fatalf("last_deleted_document_count %v", c["last_deleted_document_count"])
	}
	// Nothing left pending: another run claims nothing.
	if res, err = s.RunOnce(t.Context()); err != nil || len(res.Jobs) != 0 {
		t.Fatalf("idle run: %+v %v", res, err)
	}
	if strings.Contains(st.logs.String(), testPassword) {
		t.Fatal("the password was logged")
	}
}

func TestConfigurationMissingOrWrongOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	tests := []struct {
		name   string
		values map[string]any
		want   error
		reason string
	}{
		{"missing values", map[string]any{"host": "", "port": ""}, ErrConfiguration, "[host port] can't be empty"},
		{"port not a number", map[string]any{"port": "fifty"}, ErrConfiguration, "is not a port number"},
		{"unreachable server", map[string]any{"port": 1}, ErrConnection, "cannot connect to postgresql on"},
		{"basic sync rules", nil, ErrConfiguration, "basic rule"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("wrong-%d", i)
			s := st.configured(t, id, "wrong-"+fmt.Sprint(i), tt.values)
			if tt.name == "basic sync rules" {
				st.must(t, esapi.ConnectorUpdateFilteringRequest{ConnectorID: id, Body: body(`{"filtering":[{"domain":"DEFAULT",
					"active":{"rules":[{"id":"r1","policy":"exclude","field":"title","rule":"contains","value":"x","order":0}],
					"advanced_snippet":{"value":{}},"validation":{"state":"valid","errors":[]}}}]}`)})
			}
			jobID := st.postJob(t, id, "full")
			res, err := s.RunOnce(t.Context())
			if !errors.Is(err, tt.want) {
				t.Fatalf("run: %v, want %v", err, tt.want)
			}
			c := st.connector(t, id)
			if c["status"] != "error" || !strings.Contains(fmt.Sprint(c["error"]), tt.reason) || res.Status != "error" {
				t.Fatalf("connector status %v error %v, want error with %q", c["status"], c["error"], tt.reason)
			}
			if j := st.job(t, jobID); j["status"] != "pending" || j["worker_hostname"] != nil {
				t.Fatalf("the job was claimed: %v", j)
			}
			if strings.Contains(fmt.Sprint(c["error"]), testPassword) || strings.Contains(st.logs.String(), testPassword) {
				t.Fatal("the password was echoed")
			}
		})
	}
	// Fixing the configuration lets the waiting job run.
	st.must(t, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "wrong-1", Body: body(`{"values":{"port":5432}}`)})
	res, err := st.service(t, "wrong-1", "w", nil).RunOnce(t.Context())
	if err != nil || len(res.Jobs) != 1 || res.Jobs[0].Status != "completed" {
		t.Fatalf("after the fix: %+v %v", res, err)
	}
	if c := st.connector(t, "wrong-1"); c["status"] != "connected" || c["error"] != nil {
		t.Fatalf("after the fix: %v %v", c["status"], c["error"])
	}
}

func TestCancelDuringSyncOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	s := st.configured(t, "music", "music", nil)
	st.postJob(t, "music", "full")
	if res, err := s.RunOnce(t.Context()); err != nil || res.Jobs[0].Status != "completed" {
		t.Fatalf("first sync: %+v %v", res, err)
	}
	// A row that is gone: a completed sync would delete its document.
	st.exec(t, "DELETE FROM album WHERE id = 3")

	// Hold the album table so the sync blocks while reading it. The lock
	// is taken on a connection of its own: statistics read inside a
	// transaction are a snapshot, so the wait is watched from outside it.
	locker, err := pgx.Connect(t.Context(), pgTestURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Close(context.Background()) }()
	tx, err := locker.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(t.Context(), "LOCK TABLE "+st.schema+".album IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	jobID := st.postJob(t, "music", "full")
	done := make(chan error, 1)
	var res Result
	go func() {
		var err error
		res, err = s.RunOnce(context.Background())
		done <- err
	}()
	waitFor(t, "the sync to wait on the locked table", func() bool {
		select {
		case err := <-done:
			t.Fatalf("the run ended before the cancel: %+v, %v", res, err)
		default:
		}
		var n int
		_ = st.pg.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'esconnect-pg-es-sync' AND wait_event_type = 'Lock'`).Scan(&n)
		return n > 0
	})
	if j := st.job(t, jobID); j["status"] != "in_progress" {
		t.Fatalf("job while blocked: %v", j["status"])
	}
	st.must(t, esapi.ConnectorSyncJobCancelRequest{ConnectorSyncJobID: jobID})
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(res.Jobs) != 1 || res.Jobs[0].Status != "canceled" {
		t.Fatalf("run result %+v", res)
	}
	j := st.job(t, jobID)
	if j["status"] != "canceled" || j["canceled_at"] == nil || j["completed_at"] == nil || j["cancelation_requested_at"] == nil || j["error"] != nil {
		t.Fatalf("canceled job: %v", j)
	}
	if got := st.ids(t, "music"); len(got) != 5 {
		t.Fatalf("a canceled sync deleted documents: %d left, want 5", len(got))
	}
	if c := st.connector(t, "music"); c["last_sync_status"] != "canceled" || c["status"] != "connected" {
		t.Fatalf("connector after cancel: %v %v", c["last_sync_status"], c["status"])
	}
}

func TestTwoServicesOneJobOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	st.configured(t, "music", "music", nil)
	// Both services pass the configuration checks before racing.
	a, b := st.service(t, "music", "worker-a", nil), st.service(t, "music", "worker-b", nil)
	jobID := st.postJob(t, "music", "full")

	var wg sync.WaitGroup
	results := make([]Result, 2)
	errs := make([]error, 2)
	for i, s := range []*Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.RunOnce(t.Context())
		}()
	}
	wg.Wait()
	ran := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("service %d: %v", i, errs[i])
		}
		ran += len(results[i].Jobs)
	}
	if ran != 1 {
		t.Fatalf("the job ran %d times: %+v", ran, results)
	}
	j := st.job(t, jobID)
	if j["status"] != "completed" || (j["worker_hostname"] != "worker-a" && j["worker_hostname"] != "worker-b") || num(j["indexed_document_count"]) != 5 {
		t.Fatalf("job %v", j)
	}
	// A claim on a job another service claimed is refused.
	job2 := st.postJob(t, "music", "full")
	if err := a.claim(t.Context(), job2); err != nil {
		t.Fatal(err)
	}
	if err := b.claim(t.Context(), job2); !errors.Is(err, errNotClaimable) {
		t.Fatalf("second claim: %v", err)
	}
}

func TestScheduleComesDueOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	st.configured(t, "music", "music", nil)
	st.must(t, esapi.ConnectorUpdateSchedulingRequest{ConnectorID: "music",
		Body: body(`{"scheduling":{"full":{"enabled":true,"interval":"0 0 * * * ?"}}}`)})
	st.must(t, esapi.ConnectorLastSyncRequest{ConnectorID: "music", Body: body(`{"last_sync_scheduled_at":"2024-05-10T10:00:00Z"}`)})
	clock := time.Date(2024, 5, 10, 10, 59, 59, 0, time.UTC)
	s := st.service(t, "music", "worker-1", func() time.Time { return clock })

	if res, err := s.RunOnce(t.Context()); err != nil || res.ScheduledJob != "" || len(res.Jobs) != 0 {
		t.Fatalf("before the hour: %+v %v", res, err)
	}
	clock = clock.Add(2 * time.Second) // 11:00:01
	res, err := s.RunOnce(t.Context())
	if err != nil || res.ScheduledJob == "" || len(res.Jobs) != 1 || res.Jobs[0].ID != res.ScheduledJob || res.Jobs[0].Status != "completed" {
		t.Fatalf("at the hour: %+v %v", res, err)
	}
	if j := st.job(t, res.ScheduledJob); j["trigger_method"] != "scheduled" {
		t.Fatalf("scheduled job: %v", j)
	}
	if c := st.connector(t, "music"); c["last_sync_scheduled_at"] != "2024-05-10T11:00:01Z" {
		t.Fatalf("last_sync_scheduled_at %v", c["last_sync_scheduled_at"])
	}
	// The same hour does not fire twice.
	if res, err := s.RunOnce(t.Context()); err != nil || res.ScheduledJob != "" {
		t.Fatalf("again: %+v %v", res, err)
	}
	// A disabled schedule never fires.
	st.must(t, esapi.ConnectorUpdateSchedulingRequest{ConnectorID: "music", Body: body(`{"scheduling":{"full":{"enabled":false}}}`)})
	clock = clock.Add(3 * time.Hour)
	if res, err := s.RunOnce(t.Context()); err != nil || res.ScheduledJob != "" {
		t.Fatalf("disabled: %+v %v", res, err)
	}
}

func TestSyncRulesOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	s := st.configured(t, "music", "music", nil)
	// Invalid rules: validated as invalid, never activated.
	st.must(t, esapi.ConnectorUpdateFilteringRequest{ConnectorID: "music",
		Body: body(`{"advanced_snippet":{"value":[{"tables":["album"]}]}}`)})
	if _, err := s.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := st.connector(t, "music")["filtering"].([]any)[0].(map[string]any)
	if f["draft"].(map[string]any)["validation"].(map[string]any)["state"] != "invalid" {
		t.Fatalf("draft validation: %v", f["draft"])
	}
	if v := f["active"].(map[string]any)["advanced_snippet"].(map[string]any)["value"]; fmt.Sprint(v) != "map[]" {
		t.Fatalf("invalid rules were activated: %v", v)
	}
	// Valid rules: activated, and the next job syncs what the query returns.
	st.must(t, esapi.ConnectorUpdateFilteringRequest{ConnectorID: "music", Body: body(`{"advanced_snippet":{"value":[
		{"tables":["album"],"query":"SELECT id, title FROM album WHERE artist_id = 2"}]}}`)})
	if _, err := s.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	f = st.connector(t, "music")["filtering"].([]any)[0].(map[string]any)
	if f["active"].(map[string]any)["validation"].(map[string]any)["state"] != "valid" {
		t.Fatalf("active rules: %v", f["active"])
	}
	jobID := st.postJob(t, "music", "full")
	res, err := s.RunOnce(t.Context())
	if err != nil || res.Jobs[0].Indexed != 2 {
		t.Fatalf("rules sync: %+v %v", res, err)
	}
	j := st.job(t, jobID)
	if q := fmt.Sprint(j["connector"].(map[string]any)["filtering"]); !strings.Contains(q, "artist_id = 2") {
		t.Fatalf("job filtering: %v", q)
	}
	if got := st.ids(t, "music"); len(got) != 2 {
		t.Fatalf("documents %v, want the 2 albums of artist 2", got)
	}
}

func TestAccessControlSyncRefusedOnEsnode(t *testing.T) {
	st := newStack(t, albums)
	s := st.configured(t, "music", "music", nil)
	jobID := st.postJob(t, "music", "access_control")
	res, err := s.RunOnce(t.Context())
	if !errors.Is(err, ErrJobFailed) {
		t.Fatalf("run: %v", err)
	}
	j := st.job(t, jobID)
	if j["status"] != "error" || !strings.Contains(fmt.Sprint(j["error"]), "access_control syncs are not supported") {
		t.Fatalf("job %v", j)
	}
	if c := st.connector(t, "music"); c["status"] != "error" || c["last_sync_status"] != "error" || res.Status != "error" {
		t.Fatalf("connector %v %v", c["status"], c["last_sync_status"])
	}
}
