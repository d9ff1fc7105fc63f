package esnode_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
)

func postJob(t *testing.T, c *elasticsearch.Client, json string) string {
	t.Helper()
	st, b := send(t, c, esapi.ConnectorSyncJobPostRequest{Body: body(json)})
	wantStatus(t, "post sync job", st, 201, b)
	id, _ := b["id"].(string)
	if id == "" {
		t.Fatalf("post answered %v", b)
	}
	return id
}

func getJob(t *testing.T, c *elasticsearch.Client, id string) obj {
	t.Helper()
	st, b := send(t, c, esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: id})
	wantStatus(t, "get sync job", st, 200, b)
	return b
}

func TestSyncJobPostSnapshotsTheConnector(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-test","language":"de","service_type":"super-connector"}`)
	send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector",
		Body: body(`{"configuration":{"some_field":{"label":"Very important field","type":"str","value":456}}}`)})

	id := postJob(t, c, `{"id":"test-connector","job_type":"full","trigger_method":"on_demand"}`)
	j := getJob(t, c, id)
	for path, want := range map[string]any{
		"id": id, "connector.id": "test-connector", "connector.index_name": "search-test", "connector.language": "de",
		"connector.service_type": "super-connector", "job_type": "full", "trigger_method": "on_demand", "status": "pending",
		"connector.filtering.rules.0.id": "DEFAULT", "connector.filtering.validation.state": "valid",
	} {
		if got := get(j, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if toJSON(get(j, "connector.configuration.some_field.value")) != "456" {
		t.Errorf("configuration snapshot: %v", get(j, "connector"))
	}
	for _, k := range []string{"total_document_count", "indexed_document_count", "indexed_document_volume", "deleted_document_count"} {
		if toJSON(j[k]) != "0" {
			t.Errorf("%s = %v, want 0", k, j[k])
		}
	}
	for _, k := range []string{"created_at", "last_seen"} {
		if s, _ := j[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
	// Defaults: job_type full, trigger_method on_demand.
	j = getJob(t, c, postJob(t, c, `{"id":"test-connector"}`))
	if j["job_type"] != "full" || j["trigger_method"] != "on_demand" {
		t.Errorf("defaults: %v %v", j["job_type"], j["trigger_method"])
	}
	// The job is a document of the jobs index, readable with the document API.
	if st, d := call(t, c, "GET", "/"+esnode.SyncJobsIndex+"/_doc/"+id, ""); st != 200 || get(d, "_source.status") != "pending" {
		t.Errorf("document API: %d %v", st, d)
	}
}

func TestSyncJobPostRejects(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-test","service_type":"super-connector"}`)
	putConnector(t, c, "detached", `{"service_type":"super-connector"}`)
	putConnector(t, c, "no-service-type", `{"index_name":"search-test-2"}`)
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"id":"non-existing-id","job_type":"full"}`, 404},
		{`{"id":"test-connector","job_type":"invalid_job_type"}`, 400},
		{`{"id":"test-connector","trigger_method":"invalid_trigger_method"}`, 400},
		{`{"id":"detached"}`, 400},
		{`{"id":"no-service-type"}`, 400},
		{`{"job_type":"full"}`, 400},
	} {
		st, b := send(t, c, esapi.ConnectorSyncJobPostRequest{Body: body(tt.body)})
		wantStatus(t, tt.body, st, tt.want, b)
	}
	if st, _ := send(t, c, esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: "non-existing-sync-job-id"}); st != 404 {
		t.Errorf("get missing: %d", st)
	}
}

func TestSyncJobLifecycle(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-test","service_type":"super-connector"}`)

	// Cancel a pending job: canceled at once, with all three timestamps equal.
	id := postJob(t, c, `{"id":"test-connector"}`)
	st, b := send(t, c, esapi.ConnectorSyncJobCancelRequest{ConnectorSyncJobID: id})
	wantStatus(t, "cancel pending", st, 200, b)
	j := getJob(t, c, id)
	if j["status"] != "canceled" || j["completed_at"] != j["cancelation_requested_at"] || j["canceled_at"] != j["cancelation_requested_at"] {
		t.Fatalf("canceled job: %v", j)
	}
	if st, _ := send(t, c, esapi.ConnectorSyncJobCancelRequest{ConnectorSyncJobID: id}); st != 400 {
		t.Fatalf("cancel canceled: %d, want 400", st)
	}

	// Claim, stats, cancel while running (canceling), error.
	id = postJob(t, c, `{"id":"test-connector"}`)
	if st, b := send(t, c, esapi.ConnectorSyncJobClaimRequest{ConnectorSyncJobID: id, Body: body(`{"sync_cursor":{"cursor":"c"}}`)}); st != 400 {
		t.Fatalf("claim without worker_hostname: %d %v", st, b)
	}
	st, b = send(t, c, esapi.ConnectorSyncJobClaimRequest{ConnectorSyncJobID: id, Body: body(`{"worker_hostname":"host-name","sync_cursor":{"cursor":"c"}}`)})
	wantStatus(t, "claim", st, 200, b)
	j = getJob(t, c, id)
	if j["status"] != "in_progress" || j["worker_hostname"] != "host-name" || get(j, "connector.sync_cursor.cursor") != "c" || j["started_at"] == nil {
		t.Fatalf("claimed job: %v", j)
	}
	if _, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"}); g["sync_cursor"] != nil {
		t.Errorf("claim touched the connector's sync_cursor: %v", g["sync_cursor"])
	}
	st, b = send(t, c, esapi.ConnectorSyncJobUpdateStatsRequest{ConnectorSyncJobID: id,
		Body: body(`{"deleted_document_count":10,"indexed_document_count":20,"indexed_document_volume":1000,"total_document_count":20,"metadata":{"k":"v"},"last_seen":"2023-12-04T08:45:50.567149Z"}`)})
	wantStatus(t, "stats", st, 200, b)
	j = getJob(t, c, id)
	if toJSON(j["indexed_document_count"]) != "20" || toJSON(j["deleted_document_count"]) != "10" || toJSON(j["indexed_document_volume"]) != "1000" ||
		get(j, "metadata.k") != "v" || j["last_seen"] != "2023-12-04T08:45:50.567149Z" {
		t.Fatalf("stats: %v", j)
	}
	for _, bad := range []string{
		`{"deleted_document_count":-10,"indexed_document_count":20,"indexed_document_volume":1000}`,
		`{"deleted_document_count":10,"indexed_document_count":20,"indexed_document_volume":1000,"total_document_count":-1}`,
		`{"deleted_document_count":10,"indexed_document_count":20}`,
		`{"deleted_document_count":10,"indexed_document_count":20,"indexed_document_volume":1000,"metadata":"abc"}`,
	} {
		if st, b := send(t, c, esapi.ConnectorSyncJobUpdateStatsRequest{ConnectorSyncJobID: id, Body: body(bad)}); st != 400 {
			t.Errorf("%s: %d %v", bad, st, b)
		}
	}
	send(t, c, esapi.ConnectorSyncJobCancelRequest{ConnectorSyncJobID: id})
	if j = getJob(t, c, id); j["status"] != "canceling" || j["cancelation_requested_at"] == nil || j["canceled_at"] != nil {
		t.Fatalf("canceling job: %v", j)
	}
	st, b = send(t, c, esapi.ConnectorSyncJobErrorRequest{ConnectorSyncJobID: id, Body: body(`{"error":"it failed"}`)})
	wantStatus(t, "error", st, 200, b)
	if j = getJob(t, c, id); j["status"] != "error" || j["error"] != "it failed" {
		t.Fatalf("errored job: %v", j)
	}
	// error is final.
	if st, _ := send(t, c, esapi.ConnectorSyncJobErrorRequest{ConnectorSyncJobID: id, Body: body(`{"error":"again"}`)}); st != 400 {
		t.Fatalf("error after error: %d", st)
	}
	if st, _ := send(t, c, esapi.ConnectorSyncJobCheckInRequest{ConnectorSyncJobID: "test-nonexistent-connector-sync-job-id"}); st != 404 {
		t.Fatalf("check in missing: %d", st)
	}
	st, b = send(t, c, esapi.ConnectorSyncJobCheckInRequest{ConnectorSyncJobID: id})
	wantStatus(t, "check in", st, 200, b)
}

func TestSyncJobListAndDelete(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "one", `{"index_name":"search-1","service_type":"s"}`)
	putConnector(t, c, "two", `{"index_name":"search-2","service_type":"s"}`)
	first := postJob(t, c, `{"id":"one"}`)
	second := postJob(t, c, `{"id":"one","job_type":"access_control"}`)
	postJob(t, c, `{"id":"two"}`)
	send(t, c, esapi.ConnectorSyncJobCancelRequest{ConnectorSyncJobID: first})

	_, b := send(t, c, esapi.ConnectorSyncJobListRequest{ConnectorID: "one"})
	if toJSON(b["count"]) != "2" || get(b, "results.0.id") != second || get(b, "results.1.id") != first {
		t.Fatalf("list newest first: %v", b)
	}
	if get(b, "results.0.connector.index_name") != ".search-acl-filter-search-1" {
		t.Errorf("access-control job index: %v", get(b, "results.0.connector.index_name"))
	}
	_, b = send(t, c, esapi.ConnectorSyncJobListRequest{Status: "pending"})
	if toJSON(b["count"]) != "2" {
		t.Fatalf("by status: %v", b)
	}
	_, b = send(t, c, esapi.ConnectorSyncJobListRequest{JobType: []string{"full"}, ConnectorID: "one"})
	if toJSON(b["count"]) != "1" || get(b, "results.0.id") != first {
		t.Fatalf("by type: %v", b)
	}
	if st, _ := send(t, c, esapi.ConnectorSyncJobListRequest{Status: "bogus"}); st != 400 {
		t.Fatalf("bad status: %d", st)
	}
	st, b := send(t, c, esapi.ConnectorSyncJobDeleteRequest{ConnectorSyncJobID: first})
	wantStatus(t, "delete", st, 200, b)
	if st, _ := send(t, c, esapi.ConnectorSyncJobDeleteRequest{ConnectorSyncJobID: first}); st != 404 {
		t.Fatalf("second delete: %d", st)
	}
	// Deleting a connector with delete_sync_jobs removes its jobs.
	send(t, c, esapi.ConnectorDeleteRequest{ConnectorID: "one", DeleteSyncJobs: boolPtr(true)})
	_, b = send(t, c, esapi.ConnectorSyncJobListRequest{ConnectorID: "one"})
	if toJSON(b["count"]) != "0" {
		t.Fatalf("jobs left after delete_sync_jobs: %v", b)
	}
}

func boolPtr(b bool) *bool { return &b }

// TestSyncJobConditionalClaimOneWinner shows what a service racing for a job
// relies on: updates of the job document conditional on the sequence number
// read let exactly one claimant through, while the claim API lets all.
func TestSyncJobConditionalClaimOneWinner(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-test","service_type":"s"}`)
	id := postJob(t, c, `{"id":"test-connector"}`)
	_, d := call(t, c, "GET", "/"+esnode.SyncJobsIndex+"/_doc/"+id, "")
	seq := toJSON(d["_seq_no"])

	const claimants = 8
	var wg sync.WaitGroup
	statuses := make([]int, claimants)
	for i := range claimants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := call(t, c, "POST", "/"+esnode.SyncJobsIndex+"/_update/"+id+"?if_seq_no="+seq+"&if_primary_term=1",
				`{"doc":{"status":"in_progress","worker_hostname":"w`+string(rune('0'+i))+`"}}`)
			statuses[i] = st
		}()
	}
	wg.Wait()
	won := 0
	for _, st := range statuses {
		switch st {
		case 200:
			won++
		case 409:
		default:
			t.Fatalf("conditional claim answered %d", st)
		}
	}
	if won != 1 {
		t.Fatalf("%d claimants won, want exactly 1 (%v)", won, statuses)
	}
	if j := getJob(t, c, id); j["status"] != "in_progress" || !strings.HasPrefix(j["worker_hostname"].(string), "w") {
		t.Fatalf("job after the race: %v", j)
	}
}
