package esnode_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/esnode"
)

// secureNode starts a node with a basic-auth user and returns it with the
// user's client.
func secureNode(t *testing.T, keys ...esnode.APIKey) (*esnode.Server, *elasticsearch.Client) {
	t.Helper()
	return newNode(t, esnode.Options{Username: "elastic", Password: "changeme", APIKeys: keys})
}

// keyClient is a client that authenticates with an encoded API key.
func keyClient(t *testing.T, s *esnode.Server, encoded string) *elasticsearch.Client {
	t.Helper()
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{s.URL}, APIKey: encoded, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createKey creates an API key with the user's client and returns a client
// using it.
func createKey(t *testing.T, s *esnode.Server, admin *elasticsearch.Client, body string) *elasticsearch.Client {
	t.Helper()
	status, resp := call(t, admin, "POST", "/_security/api_key", body)
	wantStatus(t, "create api key", status, 200, resp)
	return keyClient(t, s, resp["encoded"].(string))
}

func TestCreateAPIKeyAnswersLikeES(t *testing.T) {
	s, admin := secureNode(t)
	status, resp := call(t, admin, "POST", "/_security/api_key", `{"name":"sink","expiration":"30d","role_descriptors":{}}`)
	wantStatus(t, "create", status, 200, resp)
	id, key, encoded := resp["id"].(string), resp["api_key"].(string), resp["encoded"].(string)
	if resp["name"] != "sink" || len(id) != 20 || len(key) != 22 {
		t.Fatalf("answer %v: want name sink, a 20-character id and a 22-character key", resp)
	}
	if raw, _ := base64.StdEncoding.DecodeString(encoded); string(raw) != id+":"+key {
		t.Fatalf("encoded %q is not base64(id:api_key)", encoded)
	}
	if _, ok := resp["expiration"].(float64); !ok {
		t.Fatalf("no expiration in %v", resp)
	}
	status, who := call(t, keyClient(t, s, encoded), "GET", "/_security/_authenticate", "")
	wantStatus(t, "authenticate", status, 200, who)
	if who["username"] != "elastic" || who["authentication_type"] != "api_key" || get(who, "api_key.id") != id || get(who, "api_key.name") != "sink" {
		t.Fatalf("authenticate as key = %v", who)
	}
	status, who = call(t, admin, "GET", "/_security/_authenticate", "")
	wantStatus(t, "authenticate user", status, 200, who)
	if who["authentication_type"] != "realm" || get(who, "roles.0") != "superuser" {
		t.Fatalf("authenticate as user = %v", who)
	}
	// An empty role_descriptors gives the owner's (full) access.
	status, body := call(t, keyClient(t, s, encoded), "PUT", "/anything", "")
	wantStatus(t, "full-access key creates an index", status, 200, body)
}

func TestCreateAPIKeyRejects(t *testing.T) {
	_, admin := secureNode(t)
	tests := []struct {
		name, body, typ, reason string
		status                  int
	}{
		{"no name", `{"role_descriptors":{}}`, "action_request_validation_exception", "api key name is required", 400},
		{"bad expiration", `{"name":"k","expiration":"30 days"}`, "parse_exception", "failed to parse setting [expiration]", 400},
		{"unknown index privilege", `{"name":"k","role_descriptors":{"r":{"indices":[{"names":["a"],"privileges":["writ"]}]}}}`,
			"illegal_argument_exception", "unknown index privilege [writ]", 400},
		{"unknown cluster privilege", `{"name":"k","role_descriptors":{"r":{"cluster":["monitr"]}}}`,
			"illegal_argument_exception", "unknown cluster privilege [monitr]", 400},
		{"no names", `{"name":"k","role_descriptors":{"r":{"indices":[{"privileges":["read"]}]}}}`,
			"illegal_argument_exception", "missing required [names] field", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, admin, "POST", "/_security/api_key", tc.body)
			wantStatus(t, tc.name, status, tc.status, body)
			if errType(body) != tc.typ || !strings.Contains(get(body, "error.reason").(string), tc.reason) {
				t.Fatalf("error = %v, want %s containing %q", body["error"], tc.typ, tc.reason)
			}
		})
	}
}

func TestSecurityAPIsNeedSecurity(t *testing.T) {
	_, c := newNode(t, esnode.Options{})
	status, body := call(t, c, "POST", "/_security/api_key", `{"name":"k"}`)
	if status != 500 || !strings.Contains(get(body, "error.reason").(string), "Security must be explicitly enabled") {
		t.Fatalf("create key without security: %d %v", status, body)
	}
}

func TestExpiredKeyIsRefused(t *testing.T) {
	s, admin := secureNode(t)
	status, resp := call(t, admin, "POST", "/_security/api_key", `{"name":"short","expiration":"1ms"}`)
	wantStatus(t, "create", status, 200, resp)
	c := keyClient(t, s, resp["encoded"].(string))
	// Expiry is checked against the node's clock; poll until it passes, a
	// bounded number of times (1 ms needs one or two rounds).
	for i := 0; i < 1000; i++ {
		status, _ = call(t, c, "GET", "/_security/_authenticate", "")
		if status == 401 {
			return
		}
	}
	t.Fatalf("a key that expired after 1ms is still accepted (last status %d)", status)
}

func TestRestrictedKeyCannotCreateWiderKey(t *testing.T) {
	s, admin := secureNode(t)
	mgr := createKey(t, s, admin, `{"name":"mgr","role_descriptors":{"r":{"cluster":["manage_api_key"],"indices":[{"names":["a-*"],"privileges":["read"]}]}}}`)
	// The derived key asks for all on every index but stays limited by mgr.
	status, resp := call(t, mgr, "POST", "/_security/api_key", `{"name":"wide","role_descriptors":{"r":{"indices":[{"names":["*"],"privileges":["all"]}]}}}`)
	wantStatus(t, "derived key", status, 200, resp)
	derived := keyClient(t, s, resp["encoded"].(string))
	status, body := call(t, derived, "PUT", "/b", "")
	wantStatus(t, "derived key creating b", status, 403, body)

	reader := createKey(t, s, admin, `{"name":"reader","role_descriptors":{"r":{"indices":[{"names":["*"],"privileges":["read"]}]}}}`)
	status, body = call(t, reader, "POST", "/_security/api_key", `{"name":"x"}`)
	wantStatus(t, "key without manage_api_key", status, 403, body)
	if want := "this action is granted by the cluster privileges [manage_own_api_key,manage_api_key,manage_security,all]"; !strings.Contains(get(body, "error.reason").(string), want) {
		t.Fatalf("reason %q lacks %q", get(body, "error.reason"), want)
	}
}

func TestOptionKeysWithDescriptors(t *testing.T) {
	s, admin := secureNode(t,
		esnode.APIKey{ID: "full", Key: "k1"},
		esnode.APIKey{ID: "ro", Key: "k2", RoleDescriptors: map[string]esnode.RoleDescriptor{
			"r": {Indices: []esnode.IndexPrivileges{{Names: []string{"logs"}, Privileges: []string{"read"}}}},
		}})
	status, body := call(t, admin, "PUT", "/logs/_doc/1?refresh=true", `{"a":1}`)
	wantStatus(t, "seed", status, 201, body)
	enc := func(id, key string) string { return base64.StdEncoding.EncodeToString([]byte(id + ":" + key)) }
	full, ro := keyClient(t, s, enc("full", "k1")), keyClient(t, s, enc("ro", "k2"))
	status, body = call(t, full, "PUT", "/logs/_doc/2", `{"a":2}`)
	wantStatus(t, "key without descriptors writes", status, 201, body)
	status, body = call(t, ro, "GET", "/logs/_doc/1", "")
	wantStatus(t, "read-only key reads", status, 200, body)
	status, body = call(t, ro, "PUT", "/logs/_doc/3", `{"a":3}`)
	wantStatus(t, "read-only key writes", status, 403, body)
	want := "action [indices:data/write/index] is unauthorized for API key id [ro] of user [elastic] on indices [logs], " +
		"this action is granted by the index privileges [create_doc,create,index,write,all]"
	if get(body, "error.reason") != want || errType(body) != "security_exception" {
		t.Fatalf("error %v, want reason %q", body["error"], want)
	}
	if _, err := esnode.New(esnode.Options{APIKeys: []esnode.APIKey{{ID: "x", Key: "y", RoleDescriptors: map[string]esnode.RoleDescriptor{
		"r": {Cluster: []string{"nope"}}}}}}); err == nil {
		t.Fatal("New accepted an unknown privilege in Options.APIKeys")
	}
}
