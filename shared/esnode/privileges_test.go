package esnode

import (
	"strings"
	"testing"
)

func TestGrantedByOrder(t *testing.T) {
	tests := []struct{ action, want string }{
		{"indices:data/write/bulk[s]", "create_doc,create,delete,index,write,all"},
		{"indices:data/write/index:op_type/create", "create_doc,create,index,write,all"},
		{"indices:data/write/index:op_type/index", "create,index,write,all"},
		{"indices:data/write/update", "index,write,all"},
		{"indices:data/write/delete", "delete,write,all"},
		{"indices:admin/auto_create", "auto_configure,create_index,manage,all"},
		{"indices:admin/create", "create_index,manage,all"},
		{"indices:admin/refresh", "maintenance,manage,all"},
		{"indices:admin/mappings/get", "view_index_metadata,manage,all"},
		{"indices:monitor/settings/get", "monitor,view_index_metadata,manage,all"},
		{"indices:data/read/search", "read,all"},
		{"cluster:monitor/main", "monitor,manage,all"},
		{"cluster:admin/xpack/security/api_key/create", "manage_own_api_key,manage_api_key,manage_security,all"},
		{"cluster:admin/xpack/connector/get", "monitor_connector,manage_connector,manage,all"},
		{"cluster:admin/xpack/connector/sync_job/list", "monitor_connector,manage_connector,manage,all"},
		{"cluster:admin/xpack/connector/sync_job/update_stats", "manage_connector,manage,all"},
		// Connector secrets have privileges of their own; manage_connector
		// leaves them out.
		{"cluster:admin/xpack/connector/secret/get", "manage,all"},
	}
	for _, tc := range tests {
		table := indexPrivileges
		if strings.HasPrefix(tc.action, "cluster:") {
			table = clusterPrivileges
		}
		if got := strings.Join(grantedBy(table, tc.action), ","); got != tc.want {
			t.Errorf("%s granted by [%s], want [%s]", tc.action, got, tc.want)
		}
	}
}

func TestNamePatterns(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"logs", "logs", true},
		{"logs", "logs-1", false},
		{"logs-*", "logs-1", true},
		{"logs-*", "log", false},
		{"*", "anything", true},
		{"a-?", "a-1", true},
		{"a-?", "a-12", false},
		{"a-?-*", "a-1-x", true},
		{"/logs-[0-9]+/", "logs-42", true},
		{"/logs-[0-9]+/", "logs-4x", false},
	}
	for _, tc := range tests {
		p, err := compileNamePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := p.match(tc.name); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
	if _, err := compileNamePattern("/[/"); err == nil {
		t.Error("a broken regular expression compiled")
	}
}

func TestActionPatternPrivilege(t *testing.T) {
	p, ok := lookupPrivilege(indexPrivileges, nil, "indices:", "indices:data/read/search")
	if !ok || !p.grants("indices:data/read/search") || p.grants("indices:data/read/get") {
		t.Fatalf("action-name privilege = %+v, %v", p, ok)
	}
	if _, ok := lookupPrivilege(indexPrivileges, nil, "indices:", "reed"); ok {
		t.Fatal("unknown privilege accepted")
	}
	m, _ := lookupPrivilege(clusterPrivileges, clusterPrivilegeNames, "cluster:", "manage")
	if m.grants(actionCreateAPIKey) || !m.grants(actionMain) {
		t.Fatal("cluster manage must grant monitoring but not security administration")
	}
}

// TestConnectorRoutesHaveActions: every Connector API route is authorized
// by the action Elasticsearch names it, so none is open to a key without
// a connector privilege.
func TestConnectorRoutesHaveActions(t *testing.T) {
	for _, routes := range []map[string]connectorHandler{connectorRoutes, syncJobRoutes} {
		for pattern := range routes {
			if connectorActions[pattern] == "" {
				t.Errorf("route %s has no action", pattern)
			}
		}
	}
	if n := len(connectorRoutes) + len(syncJobRoutes); len(connectorActions) != n {
		t.Errorf("%d actions for %d routes", len(connectorActions), n)
	}
}
