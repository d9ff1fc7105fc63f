package esnode_test

import (
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esnode"
)

// These tests follow Elasticsearch's REST API specification of the
// connector.* APIs and the behaviour its yamlRestTest suite
// (x-pack/plugin/ent-search, connector/*.yml) pins down.

func send(t *testing.T, c *elasticsearch.Client, req esapi.Request) (int, obj) {
	t.Helper()
	return read(t)(req.Do(t.Context(), c))
}

func body(s string) *strings.Reader { return strings.NewReader(s) }

func putConnector(t *testing.T, c *elasticsearch.Client, id, json string) {
	t.Helper()
	st, b := send(t, c, esapi.ConnectorPutRequest{ConnectorID: id, Body: body(json)})
	wantStatus(t, "put connector", st, 201, b)
}

func TestConnectorPutAndGetDefaults(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	st, b := send(t, c, esapi.ConnectorPutRequest{ConnectorID: "test-connector",
		Body: body(`{"index_name":"search-test","name":"my-connector","language":"pl","is_native":false,"service_type":"super-connector"}`)})
	wantStatus(t, "put", st, 201, b)
	if b["result"] != "created" || b["id"] != "test-connector" {
		t.Fatalf("put answered %v", b)
	}
	st, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	wantStatus(t, "get", st, 200, g)
	for path, want := range map[string]any{
		"id": "test-connector", "index_name": "search-test", "name": "my-connector", "language": "pl",
		"is_native": false, "service_type": "super-connector", "sync_now": false, "status": "created",
		"filtering.0.domain": "DEFAULT", "filtering.0.active.rules.0.id": "DEFAULT",
		"filtering.0.active.validation.state": "valid", "scheduling.full.interval": "0 0 0 * * ?",
		"scheduling.full.enabled": false, "deleted": false,
	} {
		if got := get(g, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for _, k := range []string{"configuration", "custom_scheduling"} {
		if m, ok := g[k].(map[string]any); !ok || len(m) != 0 {
			t.Errorf("%s = %v, want {}", k, g[k])
		}
	}
	// Keys a new connector does not have, and sync fields present as null.
	for _, k := range []string{"api_key_id", "api_key_secret_id", "description", "error", "features", "last_seen", "sync_cursor"} {
		if _, ok := g[k]; ok {
			t.Errorf("%s present: %v", k, g[k])
		}
	}
	for _, k := range []string{"last_sync_status", "last_synced", "last_sync_error", "last_sync_scheduled_at"} {
		if v, ok := g[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	// Re-creating answers updated.
	st, b = send(t, c, esapi.ConnectorPutRequest{ConnectorID: "test-connector", Body: body(`{"index_name":"search-test"}`)})
	wantStatus(t, "re-put", st, 200, b)
	if b["result"] != "updated" {
		t.Fatalf("re-put answered %v", b)
	}
}

func TestConnectorCreateVariants(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	// Native connectors start in needs_configuration.
	putConnector(t, c, "native", `{"index_name":"search-native","is_native":true}`)
	if _, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "native"}); g["status"] != "needs_configuration" {
		t.Errorf("native status %v", g["status"])
	}
	// No body, no id: an id is generated.
	st, b := send(t, c, esapi.ConnectorPostRequest{Body: body(`{"service_type":"super-connector"}`)})
	wantStatus(t, "post", st, 201, b)
	id, _ := b["id"].(string)
	if id == "" {
		t.Fatalf("post answered %v", b)
	}
	if st, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: id}); st != 200 || g["index_name"] != nil {
		t.Errorf("get generated: %d %v", st, g)
	}
	st, b = send(t, c, esapi.ConnectorPutRequest{ConnectorID: "no-body"})
	wantStatus(t, "put without body", st, 201, b)

	tests := []struct {
		name string
		req  esapi.Request
		want int
		typ  string
	}{
		{"invalid index name", esapi.ConnectorPutRequest{ConnectorID: "x", Body: body(`{"index_name":"_this-is-invalid-index-name"}`)}, 400, "action_request_validation_exception"},
		{"index used by another connector", esapi.ConnectorPutRequest{ConnectorID: "other", Body: body(`{"index_name":"search-native"}`)}, 400, "status_exception"},
		{"get missing", esapi.ConnectorGetRequest{ConnectorID: "missing"}, 404, "resource_not_found_exception"},
		{"check in missing", esapi.ConnectorCheckInRequest{ConnectorID: "missing"}, 404, "resource_not_found_exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, b := send(t, c, tt.req)
			wantStatus(t, tt.name, st, tt.want, b)
			if errType(b) != tt.typ {
				t.Errorf("error type %v, want %s: %v", errType(b), tt.typ, b)
			}
		})
	}
}

func TestConnectorCheckInConfigurationAndStatus(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-1-test","service_type":"super-connector"}`)

	st, b := send(t, c, esapi.ConnectorCheckInRequest{ConnectorID: "test-connector"})
	wantStatus(t, "check in", st, 200, b)
	if b["result"] != "updated" {
		t.Fatalf("check in answered %v", b)
	}
	_, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if s, _ := g["last_seen"].(string); s == "" {
		t.Fatalf("last_seen not set: %v", g)
	}

	// Values for a field the schema does not know are refused.
	st, b = send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector", Body: body(`{"values":{"host":"h"}}`)})
	wantStatus(t, "values before schema", st, 400, b)
	if !strings.Contains(toJSON(b), "Unknown [configuration] fields in the request payload: [host]") {
		t.Errorf("message: %v", b)
	}
	st, b = send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector", Body: body(`{}`)})
	wantStatus(t, "neither", st, 400, b)

	schema := `{"configuration":{"host":{"label":"Host","order":1,"type":"str","value":"","display":"text","required":true,"sensitive":false},
		"port":{"label":"Port","order":2,"type":"int","display":"numeric","value":""}}}`
	st, b = send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector", Body: body(schema)})
	wantStatus(t, "schema", st, 200, b)
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if g["status"] != "configured" || get(g, "configuration.host.label") != "Host" {
		t.Fatalf("after schema: status %v, configuration %v", g["status"], g["configuration"])
	}
	st, b = send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector", Body: body(`{"values":{"host":"db.local","port":5432}}`)})
	wantStatus(t, "values", st, 200, b)
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if get(g, "configuration.host.value") != "db.local" || toJSON(get(g, "configuration.port.value")) != "5432" || get(g, "configuration.port.label") != "Port" {
		t.Fatalf("values not merged: %v", g["configuration"])
	}
	st, b = send(t, c, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "test-connector",
		Body: body(`{"configuration":{"x":{"type":"date"}}}`)})
	wantStatus(t, "bad field type", st, 400, b)

	// The Connector Protocol's status transitions.
	steps := []struct {
		to   string
		want int
	}{
		{"connected", 200}, {"needs_configuration", 400}, {"error", 200}, {"created", 400}, {"configured", 200},
		{"needs_configuration", 200}, {"connected", 400}, {"bogus", 400},
	}
	for _, s := range steps {
		st, b := send(t, c, esapi.ConnectorUpdateStatusRequest{ConnectorID: "test-connector", Body: body(`{"status":"` + s.to + `"}`)})
		if st != s.want {
			t.Fatalf("status -> %s: %d, want %d: %v", s.to, st, s.want, b)
		}
	}

	// _error sets error and status whatever the status was; null clears it.
	st, b = send(t, c, esapi.ConnectorUpdateErrorRequest{ConnectorID: "test-connector", Body: body(`{"error":"some error"}`)})
	wantStatus(t, "error", st, 200, b)
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if g["error"] != "some error" || g["status"] != "error" {
		t.Fatalf("after error: %v %v", g["error"], g["status"])
	}
	send(t, c, esapi.ConnectorUpdateErrorRequest{ConnectorID: "test-connector", Body: body(`{"error":null}`)})
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if g["error"] != nil || g["status"] != "connected" {
		t.Fatalf("after clearing: %v %v", g["error"], g["status"])
	}
	st, b = send(t, c, esapi.ConnectorUpdateErrorRequest{ConnectorID: "test-connector", Body: body(`{"error":{"field_1":"x"}}`)})
	wantStatus(t, "error not a string", st, 400, b)
}

func TestConnectorSchedulingFilteringAndLastSync(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	putConnector(t, c, "test-connector", `{"index_name":"search-1-test","service_type":"super-connector"}`)

	st, b := send(t, c, esapi.ConnectorUpdateSchedulingRequest{ConnectorID: "test-connector",
		Body: body(`{"scheduling":{"incremental":{"enabled":true,"interval":"3 0 0 * * ?"}}}`)})
	wantStatus(t, "scheduling", st, 200, b)
	_, g := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if get(g, "scheduling.incremental.interval") != "3 0 0 * * ?" || get(g, "scheduling.full.interval") != "0 0 0 * * ?" {
		t.Fatalf("scheduling not merged: %v", g["scheduling"])
	}
	for _, bad := range []string{`{"scheduling":{}}`, `{"scheduling":{"full":{"enabled":true,"interval":"61 0 0 * * ?"}}}`} {
		st, b := send(t, c, esapi.ConnectorUpdateSchedulingRequest{ConnectorID: "test-connector", Body: body(bad)})
		wantStatus(t, bad, st, 400, b)
	}

	// A draft rule set is edited until validated, then activated.
	st, b = send(t, c, esapi.ConnectorUpdateFilteringRequest{ConnectorID: "test-connector",
		Body: body(`{"advanced_snippet":{"value":[{"tables":["t"],"query":"SELECT * FROM t"}]}}`)})
	wantStatus(t, "draft", st, 200, b)
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if get(g, "filtering.0.draft.validation.state") != "edited" || get(g, "filtering.0.draft.advanced_snippet.value.0.query") != "SELECT * FROM t" {
		t.Fatalf("draft: %v", g["filtering"])
	}
	st, b = send(t, c, esapi.ConnectorUpdateActiveFilteringRequest{ConnectorID: "test-connector"})
	wantStatus(t, "activate unvalidated", st, 400, b)
	send(t, c, esapi.ConnectorUpdateFilteringValidationRequest{ConnectorID: "test-connector", Body: body(`{"validation":{"state":"valid","errors":[]}}`)})
	st, b = send(t, c, esapi.ConnectorUpdateActiveFilteringRequest{ConnectorID: "test-connector"})
	wantStatus(t, "activate", st, 200, b)
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if get(g, "filtering.0.active.advanced_snippet.value.0.query") != "SELECT * FROM t" {
		t.Fatalf("active: %v", g["filtering"])
	}

	st, b = send(t, c, esapi.ConnectorLastSyncRequest{ConnectorID: "test-connector", Body: body(`{"last_deleted_document_count":43}`)})
	wantStatus(t, "last sync", st, 200, b)
	send(t, c, esapi.ConnectorLastSyncRequest{ConnectorID: "test-connector",
		Body: body(`{"last_indexed_document_count":42,"last_sync_error":"oh no error","last_access_control_sync_scheduled_at":"2023-05-25T12:30:00.000Z"}`)})
	_, g = send(t, c, esapi.ConnectorGetRequest{ConnectorID: "test-connector"})
	if toJSON(g["last_deleted_document_count"]) != "43" || toJSON(g["last_indexed_document_count"]) != "42" ||
		g["last_sync_error"] != "oh no error" || g["last_access_control_sync_scheduled_at"] != "2023-05-25T12:30:00.000Z" {
		t.Fatalf("last sync fields: %v", g)
	}
	for _, bad := range []string{`{"last_access_control_sync_scheduled_at":"this is not a timestamp"}`, `{"last_sync_status":"this is not a valid status"}`} {
		st, b := send(t, c, esapi.ConnectorLastSyncRequest{ConnectorID: "test-connector", Body: body(bad)})
		wantStatus(t, bad, st, 400, b)
	}
	st, b = send(t, c, esapi.ConnectorLastSyncRequest{ConnectorID: "missing", Body: body(`{"last_sync_error":"x"}`)})
	wantStatus(t, "last sync missing", st, 404, b)
}

func TestConnectorListAndDelete(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	// Listing before any connector exists answers an empty list.
	st, b := send(t, c, esapi.ConnectorListRequest{})
	wantStatus(t, "empty list", st, 200, b)
	if toJSON(b) != `{"count":0,"results":[]}` {
		t.Fatalf("empty list: %v", b)
	}
	putConnector(t, c, "b", `{"index_name":"search-2","service_type":"postgresql"}`)
	putConnector(t, c, "a", `{"index_name":"search-3","service_type":"mysql"}`)
	putConnector(t, c, "c", `{"index_name":"search-1","service_type":"postgresql"}`)
	_, b = send(t, c, esapi.ConnectorListRequest{})
	if get(b, "count") == nil || toJSON(get(b, "count")) != "3" || get(b, "results.0.id") != "c" || get(b, "results.2.id") != "a" {
		t.Fatalf("list sorted by index name: %v", b)
	}
	_, b = send(t, c, esapi.ConnectorListRequest{ServiceType: []string{"postgresql"}})
	if toJSON(b["count"]) != "2" {
		t.Fatalf("filtered: %v", b)
	}
	st, b = send(t, c, esapi.ConnectorDeleteRequest{ConnectorID: "a"})
	wantStatus(t, "delete", st, 200, b)
	if b["acknowledged"] != true {
		t.Fatalf("delete answered %v", b)
	}
	if st, _ := send(t, c, esapi.ConnectorGetRequest{ConnectorID: "a"}); st != 404 {
		t.Fatalf("get deleted: %d", st)
	}
	// A soft-deleted connector frees its index name.
	putConnector(t, c, "d", `{"index_name":"search-3"}`)
	if st, _ := send(t, c, esapi.ConnectorDeleteRequest{ConnectorID: "a"}); st != 404 {
		t.Fatalf("second delete: %d", st)
	}
}
