package esnode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
)

// TestConnectorAPIPrivileges sends every Connector API route with keys
// holding one cluster privilege each: manage_connector is granted every
// route, monitor_connector only the reads of connectors and sync jobs,
// monitor none (its cluster:monitor/* does not reach the Connector API's
// actions, all named cluster:admin/xpack/connector/*). A denial is
// Elasticsearch's 403 naming the route's action and the privileges that
// grant it. The granted calls run in order, so each one finds the state
// the ones before it left (a job to cancel, a draft to activate).
func TestConnectorAPIPrivileges(t *testing.T) {
	s, admin := secureNode(t)
	status, b := call(t, admin, "PUT", "/_connector/c1", `{"index_name":"search-c1","service_type":"postgresql"}`)
	wantStatus(t, "seed connector", status, 201, b)
	status, b = call(t, admin, "POST", "/_connector/_sync_job", `{"id":"c1"}`)
	wantStatus(t, "seed job", status, 201, b)
	job := b["id"].(string)
	status, b = call(t, admin, "POST", "/_connector/_sync_job", `{"id":"c1"}`)
	wantStatus(t, "seed job to delete", status, 201, b)
	doomed := b["id"].(string)

	key := func(cluster string) *elasticsearch.Client {
		return createKey(t, s, admin, fmt.Sprintf(`{"name":"%s","role_descriptors":{"r":{"cluster":["%s"]}}}`, cluster, cluster))
	}
	manage, monitorConnector, monitor := key("manage_connector"), key("monitor_connector"), key("monitor")
	const writers = "manage_connector,manage,all"
	const readers = "monitor_connector,manage_connector,manage,all"
	tests := []struct {
		method, path, body string
		status             int
		action, grantedBy  string
	}{
		{"PUT", "/_connector/c2", `{"index_name":"search-c2"}`, 201, "put", writers},
		{"PUT", "/_connector", `{"index_name":"search-c3"}`, 201, "put", writers},
		{"POST", "/_connector", `{"index_name":"search-c4"}`, 201, "post", writers},
		{"GET", "/_connector/c1", "", 200, "get", readers},
		{"GET", "/_connector", "", 200, "list", readers},
		{"PUT", "/_connector/c1/_check_in", "", 200, "update_last_seen", writers},
		{"PUT", "/_connector/c1/_configuration", `{"configuration":{"host":{"label":"Host","type":"str","value":"h"}}}`, 200, "update_configuration", writers},
		{"PUT", "/_connector/c1/_status", `{"status":"connected"}`, 200, "update_status", writers},
		{"PUT", "/_connector/c1/_error", `{"error":null}`, 200, "update_error", writers},
		{"PUT", "/_connector/c1/_filtering", `{"advanced_snippet":{"value":[]}}`, 200, "update_filtering", writers},
		{"PUT", "/_connector/c1/_filtering/_validation", `{"validation":{"state":"valid","errors":[]}}`, 200, "update_filtering/draft_validation", writers},
		{"PUT", "/_connector/c1/_filtering/_activate", "", 200, "update_filtering/activate", writers},
		{"PUT", "/_connector/c1/_scheduling", `{"scheduling":{"full":{"enabled":false,"interval":"0 0 * * * ?"}}}`, 200, "update_scheduling", writers},
		{"PUT", "/_connector/c1/_last_sync", `{"last_sync_error":null}`, 200, "update_last_sync_stats", writers},
		{"PUT", "/_connector/c2/_service_type", `{"service_type":"postgresql"}`, 200, "update_service_type", writers},
		{"POST", "/_connector/_sync_job", `{"id":"c1"}`, 201, "sync_job/post", writers},
		{"GET", "/_connector/_sync_job?connector_id=c1", "", 200, "sync_job/list", readers},
		{"GET", "/_connector/_sync_job/" + job, "", 200, "sync_job/get", readers},
		{"PUT", "/_connector/_sync_job/" + job + "/_claim", `{"worker_hostname":"w"}`, 200, "sync_job/claim", writers},
		{"PUT", "/_connector/_sync_job/" + job + "/_check_in", "", 200, "sync_job/check_in", writers},
		{"PUT", "/_connector/_sync_job/" + job + "/_stats",
			`{"deleted_document_count":0,"indexed_document_count":1,"indexed_document_volume":0}`, 200, "sync_job/update_stats", writers},
		{"PUT", "/_connector/_sync_job/" + job + "/_cancel", "", 200, "sync_job/cancel", writers},
		{"PUT", "/_connector/_sync_job/" + job + "/_error", `{"error":"failed"}`, 200, "sync_job/update_error", writers},
		{"DELETE", "/_connector/_sync_job/" + doomed, "", 200, "sync_job/delete", writers},
		{"DELETE", "/_connector/c2", "", 200, "delete", writers},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			action := "cluster:admin/xpack/connector/" + tc.action
			deny := func(c *elasticsearch.Client, who string) {
				t.Helper()
				status, b := call(t, c, tc.method, tc.path, tc.body)
				wantStatus(t, who, status, 403, b)
				reason, _ := get(b, "error.reason").(string)
				want := "action [" + action + "] is unauthorized for API key id ["
				if errType(b) != "security_exception" || !strings.HasPrefix(reason, want) ||
					!strings.HasSuffix(reason, "this action is granted by the cluster privileges ["+tc.grantedBy+"]") {
					t.Fatalf("%s: denial %v, want %q ... granted by [%s]", who, b, want, tc.grantedBy)
				}
			}
			deny(monitor, "monitor")
			if tc.grantedBy == readers {
				status, b := call(t, monitorConnector, tc.method, tc.path, tc.body)
				wantStatus(t, "monitor_connector", status, tc.status, b)
			} else {
				deny(monitorConnector, "monitor_connector")
			}
			status, b := call(t, manage, tc.method, tc.path, tc.body)
			wantStatus(t, "manage_connector", status, tc.status, b)
		})
	}
}
