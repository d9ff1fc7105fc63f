package apikey_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/apikey"
)

func TestBuildRoles(t *testing.T) {
	sinkMain := func(privs ...string) apikey.IndexPrivileges {
		return apikey.IndexPrivileges{Names: []string{"kafka-*"}, Privileges: privs}
	}
	sync := apikey.RoleDescriptor{Cluster: []string{}, Indices: []apikey.IndexPrivileges{
		{Names: []string{"kafka-*"}, Privileges: []string{"create_index", "view_index_metadata", "index", "delete", "maintenance", "read"}},
		{Names: []string{"esconnect-sync-jobs"}, Privileges: []string{"index", "auto_configure"}},
	}}
	tests := []struct {
		name string
		o    apikey.Options
		want map[string]apikey.RoleDescriptor
	}{
		{"sink default (offset ids: update)", apikey.Options{Index: "kafka-*"}, map[string]apikey.RoleDescriptor{
			"kafka-es-sink": {Cluster: []string{}, Indices: []apikey.IndexPrivileges{sinkMain("index", "auto_configure")}}}},
		{"sink key ids with tombstone deletes and es:// dead letters", apikey.Options{Index: "kafka-*", DocID: "key", DLQIndex: "dlq"},
			map[string]apikey.RoleDescriptor{"kafka-es-sink": {Cluster: []string{}, Indices: []apikey.IndexPrivileges{
				sinkMain("index", "delete", "auto_configure"), {Names: []string{"dlq"}, Privileges: []string{"create_doc", "auto_configure"}}}}}},
		{"sink key ids, null values ignored", apikey.Options{Index: "kafka-*", DocID: "key", NullValue: "ignore"}, map[string]apikey.RoleDescriptor{
			"kafka-es-sink": {Cluster: []string{}, Indices: []apikey.IndexPrivileges{sinkMain("index", "auto_configure")}}}},
		{"sink generated ids", apikey.Options{Index: "kafka-*", DocID: "none"}, map[string]apikey.RoleDescriptor{
			"kafka-es-sink": {Cluster: []string{}, Indices: []apikey.IndexPrivileges{sinkMain("create_doc", "auto_configure")}}}},
		{"sync", apikey.Options{Function: "pg-es-sync", Index: "kafka-*"}, map[string]apikey.RoleDescriptor{"pg-es-sync": sync}},
		{"sync in connector mode", apikey.Options{Function: "pg-es-sync", Index: "music", Connector: true}, map[string]apikey.RoleDescriptor{
			"pg-es-sync": {Cluster: []string{"manage_connector"}, Indices: []apikey.IndexPrivileges{
				{Names: []string{"music"}, Privileges: []string{"create_index", "view_index_metadata", "index", "delete", "maintenance", "read"}},
				{Names: []string{".elastic-connectors", ".elastic-connectors-sync-jobs"}, Privileges: []string{"read", "index"}}}}}},
		{"all", apikey.Options{Function: "all", Index: "kafka-*"}, map[string]apikey.RoleDescriptor{
			"pg-es-sync":    sync,
			"kafka-es-sink": {Cluster: []string{}, Indices: []apikey.IndexPrivileges{sinkMain("index", "auto_configure")}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := apikey.Build(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(req.RoleDescriptors, tc.want) {
				t.Fatalf("roles\n got %+v\nwant %+v", req.RoleDescriptors, tc.want)
			}
		})
	}
}

func TestBuildBody(t *testing.T) {
	req, err := apikey.Build(apikey.Options{Index: "logs", Name: "sink-prod", Expiration: "30d"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"sink-prod","expiration":"30d","role_descriptors":{"kafka-es-sink":{"cluster":[],"indices":[{"names":["logs"],"privileges":["index","auto_configure"]}]}},"metadata":{"application":"esconnect","function":"kafka-es-sink"}}`
	if string(b) != want {
		t.Fatalf("body\n got %s\nwant %s", b, want)
	}
	req, _ = apikey.Build(apikey.Options{Index: "logs", Function: "pg-es-sync"})
	if req.Name != "esconnect-pg-es-sync" || req.Expiration != "" {
		t.Fatalf("defaults: name %q expiration %q", req.Name, req.Expiration)
	}
	req, _ = apikey.Build(apikey.Options{Index: "logs", Function: "pg-es-sync", Connector: true})
	if req.Name != "esconnect-pg-es-sync-connector" || req.Metadata["mode"] != "connector" {
		t.Fatalf("connector mode: name %q metadata %v", req.Name, req.Metadata)
	}
}

func TestBuildRejects(t *testing.T) {
	_, err := apikey.Build(apikey.Options{Function: "sinks", Index: "Logs", DocID: "uuid", NullValue: "drop", Expiration: "30 days", DLQIndex: "a,b"})
	if !errors.Is(err, apikey.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	for _, want := range []string{`function "sinks"`, `index "Logs"`, `doc id "uuid"`, `null value "drop"`, `expiration "30 days"`, `dlq index "a,b"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %s", err, want)
		}
	}
	if _, err := apikey.Build(apikey.Options{}); err == nil {
		t.Error("no index accepted")
	}
	if _, err := apikey.Build(apikey.Options{Index: "logs", Connector: true}); !errors.Is(err, apikey.ErrInvalid) || !strings.Contains(err.Error(), "connector mode is pg-es-sync's") {
		t.Errorf("connector mode for the sink: %v", err)
	}
}
