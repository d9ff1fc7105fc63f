package esnode

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// privilege is a named set of action-name patterns, as Elasticsearch defines
// its built-in cluster and index privileges. except removes actions from the
// set (cluster manage does not reach security administration).
type privilege struct {
	name     string
	patterns []string
	except   []string
}

func (p *privilege) grants(action string) bool {
	for _, e := range p.except {
		if wildcardMatch(e, action) {
			return false
		}
	}
	for _, pat := range p.patterns {
		if wildcardMatch(pat, action) {
			return true
		}
	}
	return false
}

// indexPrivileges are Elasticsearch 8's index privileges with the actions
// each grants, in the order ES lists them in "granted by" messages: least
// privileged first (a privilege that is a subset of more others comes
// earlier), then by name. The order was worked out from ES's definitions, so
// create_doc comes before create, and all is last.
var indexPrivileges = []privilege{
	{name: "none"},
	{name: "create_doc", patterns: []string{"indices:data/write/index", "indices:data/write/index[*",
		"indices:data/write/index:op_type/create", "indices:data/write/bulk*"}},
	{name: "create", patterns: []string{"indices:data/write/index*", "indices:data/write/bulk*"}},
	{name: "auto_configure", patterns: []string{"indices:admin/mapping/auto_put", "indices:admin/auto_create"}},
	{name: "create_index", patterns: []string{"indices:admin/create", "indices:admin/auto_create", "indices:admin/data_stream/create"}},
	{name: "delete", patterns: []string{"indices:data/write/delete*", "indices:data/write/bulk*"}},
	{name: "delete_index", patterns: []string{"indices:admin/delete", "indices:admin/data_stream/delete"}},
	{name: "index", patterns: []string{"indices:data/write/index*", "indices:data/write/bulk*", "indices:data/write/update*"}},
	{name: "maintenance", patterns: []string{"indices:admin/refresh*", "indices:admin/flush*", "indices:admin/synced_flush", "indices:admin/forcemerge*"}},
	{name: "manage_follow_index", patterns: []string{"indices:admin/xpack/ccr/put_follow", "indices:admin/xpack/ccr/unfollow",
		"indices:admin/close*", "indices:admin/data_stream/promote", "indices:admin/rollover"}},
	{name: "manage_ilm", patterns: []string{"indices:admin/ilm/*"}},
	{name: "manage_leader_index", patterns: []string{"indices:admin/xpack/ccr/forget_follower*"}},
	{name: "monitor", patterns: []string{"indices:monitor/*"}},
	{name: "view_index_metadata", patterns: []string{"indices:admin/aliases/get", "indices:admin/get",
		"indices:admin/mappings/fields/get*", "indices:admin/mappings/get", "indices:admin/shards/search_shards",
		"indices:admin/validate/query*", "indices:monitor/settings/get", "indices:admin/ilm/explain",
		"indices:admin/data_stream/get", "indices:admin/resolve/index", "indices:data/read/field_caps*"}},
	{name: "manage", patterns: []string{"indices:monitor/*", "indices:admin/*", "indices:data/read/field_caps*"}},
	{name: "read", patterns: []string{"indices:data/read/*"}},
	{name: "read_cross_cluster", patterns: []string{"internal:transport/proxy/indices:data/read/*", "indices:admin/shards/search_shards"}},
	{name: "write", patterns: []string{"indices:data/write/*", "indices:admin/mapping/auto_put"}},
	{name: "all", patterns: []string{"indices:*", "internal:transport/proxy/indices:*"}},
}

// securityActions are the cluster actions of security administration, which
// cluster manage does not grant.
const securityActions = "cluster:admin/xpack/security/*"

// clusterPrivileges are the cluster privileges that grant something the
// node serves, in ES's "granted by" order; clusterPrivilegeNames lists the
// other valid names, accepted in role descriptors and granting nothing here.
var clusterPrivileges = []privilege{
	{name: "none"},
	{name: "monitor", patterns: []string{"cluster:monitor/*"}},
	{name: "read_pipeline", patterns: []string{actionGetPipeline}},
	{name: "manage_ingest_pipelines", patterns: []string{"cluster:admin/ingest/pipeline/*"}},
	{name: "manage_pipeline", patterns: []string{"cluster:admin/ingest/pipeline/*"}},
	// The Connector API: monitor_connector reads connectors and sync jobs;
	// manage_connector is every connector action but those of connector
	// secrets, which have privileges of their own.
	{name: "monitor_connector", patterns: []string{connectorActionPrefix + "get", connectorActionPrefix + "list",
		connectorActionPrefix + "sync_job/get", connectorActionPrefix + "sync_job/list"}},
	{name: "manage_connector", patterns: []string{connectorActionPrefix + "*"}, except: []string{connectorActionPrefix + "secret/*"}},
	// manage_own_api_key limits keys to their owner in ES; every key here is
	// owned by the node's one user, so it grants what manage_api_key does.
	{name: "manage_own_api_key", patterns: []string{"cluster:admin/xpack/security/api_key/*"}},
	{name: "manage_api_key", patterns: []string{"cluster:admin/xpack/security/api_key/*"}},
	{name: "manage_security", patterns: []string{securityActions}},
	{name: "manage", patterns: []string{"cluster:*"}, except: []string{securityActions}},
	{name: "all", patterns: []string{"cluster:*"}},
}

var clusterPrivilegeNames = []string{
	"cancel_task", "create_snapshot", "cross_cluster_replication", "cross_cluster_search", "delegate_pki",
	"grant_api_key", "manage_autoscaling", "manage_behavioral_analytics", "manage_ccr",
	"manage_data_frame_transforms", "manage_data_stream_global_retention", "manage_enrich", "manage_ilm",
	"manage_index_templates", "manage_inference", "manage_ingest_pipelines", "manage_logstash_pipelines",
	"manage_ml", "manage_oidc", "manage_pipeline", "manage_rollup", "manage_saml", "manage_search_application",
	"manage_search_query_rules", "manage_search_synonyms", "manage_service_account", "manage_slm",
	"manage_token", "manage_transform", "manage_user_profile", "manage_watcher",
	"monitor_data_frame_transforms", "monitor_enrich", "monitor_inference", "monitor_ml", "monitor_rollup",
	"monitor_snapshot", "monitor_text_structure", "monitor_transform", "monitor_watcher", "post_behavioral_analytics_event",
	"read_ccr", "read_connector_secrets", "read_fleet_secrets", "read_ilm", "read_pipeline", "read_security",
	"read_slm", "transport_client", "write_connector_secrets", "write_fleet_secrets",
}

// lookupPrivilege resolves a privilege name, or an action pattern such as
// indices:data/read/* (ES accepts those too: the name plus a trailing *).
func lookupPrivilege(table []privilege, extra []string, prefix, name string) (*privilege, bool) {
	name = strings.ToLower(name)
	for i := range table {
		if table[i].name == name {
			return &table[i], true
		}
	}
	for _, n := range extra {
		if n == name {
			return &privilege{name: name}, true
		}
	}
	if strings.HasPrefix(name, prefix) {
		return &privilege{name: name, patterns: []string{name + "*"}}, true
	}
	return nil, false
}

// grantedBy names the built-in privileges that grant action, least
// privileged first, for the "this action is granted by" part of a denial.
func grantedBy(table []privilege, action string) []string {
	var out []string
	for i := range table {
		if table[i].grants(action) {
			out = append(out, table[i].name)
		}
	}
	return out
}

// namePattern matches index names as a role's "names" entry does: a plain
// name, a wildcard pattern (* and ?), or a Lucene regular expression
// between slashes.
type namePattern struct {
	glob string
	re   *regexp.Regexp
}

func compileNamePattern(s string) (namePattern, error) {
	if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
		re, err := regexp.Compile("^(?:" + s[1:len(s)-1] + ")$")
		if err != nil {
			return namePattern{}, fmt.Errorf("index name regular expression %s: %w", s, err)
		}
		return namePattern{re: re}, nil
	}
	return namePattern{glob: s}, nil
}

func (p namePattern) match(name string) bool {
	if p.re != nil {
		return p.re.MatchString(name)
	}
	if !strings.Contains(p.glob, "?") {
		return wildcardMatch(p.glob, name)
	}
	return globMatch(p.glob, name)
}

// globMatch matches * (any run) and ? (one character) by backtracking over
// the last star, which is linear enough for index names.
func globMatch(pattern, name string) bool {
	p, n := []rune(pattern), []rune(name)
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// RoleDescriptor is one role of an API key, as in the role_descriptors of
// POST /_security/api_key.
type RoleDescriptor struct {
	Cluster []string          `json:"cluster,omitempty"`
	Indices []IndexPrivileges `json:"indices,omitempty"`
}

// IndexPrivileges grants privileges on the indices whose names match Names.
type IndexPrivileges struct {
	Names      []string `json:"names"`
	Privileges []string `json:"privileges"`
	// AllowRestrictedIndices is accepted for compatibility; the node has no
	// restricted indices.
	AllowRestrictedIndices bool `json:"allow_restricted_indices,omitempty"`
}

// role is a compiled RoleDescriptor.
type role struct {
	cluster []*privilege
	indices []indexGrant
}

type indexGrant struct {
	names []namePattern
	privs []*privilege
}

// compileRole validates a descriptor like ES does when a key is created:
// unknown privileges are a 400 naming the privilege.
func compileRole(name string, d RoleDescriptor) (role, *esError) {
	var r role
	for _, c := range d.Cluster {
		p, ok := lookupPrivilege(clusterPrivileges, clusterPrivilegeNames, "cluster:", c)
		if !ok {
			return role{}, errIllegalArgument("unknown cluster privilege [%s]. a privilege must be either one of the predefined cluster privilege names or a pattern over one of the available cluster actions (role [%s])", c, name)
		}
		r.cluster = append(r.cluster, p)
	}
	for _, ip := range d.Indices {
		if len(ip.Names) == 0 {
			return role{}, errIllegalArgument("failed to parse indices privileges for role [%s]. missing required [names] field", name)
		}
		if len(ip.Privileges) == 0 {
			return role{}, errIllegalArgument("failed to parse indices privileges for role [%s]. missing required [privileges] field", name)
		}
		var g indexGrant
		for _, n := range ip.Names {
			np, err := compileNamePattern(n)
			if err != nil {
				return role{}, errIllegalArgument("role [%s]: %v", name, err)
			}
			g.names = append(g.names, np)
		}
		for _, pn := range ip.Privileges {
			p, ok := lookupPrivilege(indexPrivileges, nil, "indices:", pn)
			if !ok {
				return role{}, errIllegalArgument("unknown index privilege [%s]. a privilege must be either one of the predefined fixed indices privileges or a pattern over one of the available index actions (role [%s])", pn, name)
			}
			g.privs = append(g.privs, p)
		}
		r.indices = append(r.indices, g)
	}
	return r, nil
}

// roleSet is the union of a key's roles: an action is allowed when any role
// allows it.
type roleSet []role

func (s roleSet) allowsCluster(action string) bool {
	for _, r := range s {
		for _, p := range r.cluster {
			if p.grants(action) {
				return true
			}
		}
	}
	return false
}

// allowsIndex reports whether the action is granted on the named index;
// index "" asks whether it is granted on any index at all (what ES checks
// for bulk and scroll requests before looking at their indices).
func (s roleSet) allowsIndex(action, index string) bool {
	for _, r := range s {
		for _, g := range r.indices {
			if !grantsAny(g.privs, action) {
				continue
			}
			if index == "" {
				return true
			}
			for _, n := range g.names {
				if n.match(index) {
					return true
				}
			}
		}
	}
	return false
}

func grantsAny(ps []*privilege, action string) bool {
	for _, p := range ps {
		if p.grants(action) {
			return true
		}
	}
	return false
}

// errUnauthorized is ES's 403 for an action the caller's privileges do not
// grant; indices is empty for cluster actions and for requests checked
// before their indices are known.
func errUnauthorized(p *principal, action string, indices []string) *esError {
	msg := "action [" + action + "] is unauthorized for " + p.describe()
	var privs []string
	kind := "index"
	if strings.HasPrefix(action, "cluster:") {
		kind = "cluster"
		privs = grantedBy(clusterPrivileges, action)
	} else {
		privs = grantedBy(indexPrivileges, action)
		if len(indices) > 0 {
			msg += " on indices [" + strings.Join(indices, ",") + "]"
		}
	}
	if len(privs) > 0 {
		msg += ", this action is granted by the " + kind + " privileges [" + strings.Join(privs, ",") + "]"
	}
	return newError(http.StatusForbidden, "security_exception", msg)
}
