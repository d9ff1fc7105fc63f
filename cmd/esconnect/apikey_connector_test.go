package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestAPIKeyConnectorFlag: -connector prints pg-es-sync's connector-mode
// role (manage_connector, the connector indices, no sync-jobs index), and
// is refused for the sink alone.
func TestAPIKeyConnectorFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runMain([]string{"apikey", "-function", "pg-es-sync", "-connector", "-index", "music"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var body struct {
		Name  string                    `json:"name"`
		Roles map[string]map[string]any `json:"role_descriptors"`
	}
	if err := json.Unmarshal(out.Bytes(), &body); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	role := body.Roles["pg-es-sync"]
	wantIndices := []any{
		map[string]any{"names": []any{"music"}, "privileges": []any{"create_index", "view_index_metadata", "index", "delete", "maintenance", "read"}},
		map[string]any{"names": []any{".elastic-connectors", ".elastic-connectors-sync-jobs"}, "privileges": []any{"read", "index"}},
	}
	if body.Name != "esconnect-pg-es-sync-connector" || !reflect.DeepEqual(role["cluster"], []any{"manage_connector"}) ||
		!reflect.DeepEqual(role["indices"], wantIndices) {
		t.Fatalf("body %s", out.String())
	}

	out.Reset()
	errOut.Reset()
	if code := runMain([]string{"apikey", "-connector", "-index", "music"}, &out, &errOut); code != 2 || out.Len() != 0 ||
		!strings.Contains(errOut.String(), "connector mode is pg-es-sync's") {
		t.Fatalf("sink with -connector: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
