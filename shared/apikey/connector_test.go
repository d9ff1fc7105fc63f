package apikey_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/apikey"
	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
)

// connectorRun is one `connector run --once` with a key.
func connectorRun(t *testing.T, s *esnode.Server, key, id string) (connector.Result, error) {
	t.Helper()
	svc, closeFn, err := connector.New(connector.Config{ConnectorID: id,
		Elasticsearch: esclient.LoadConfig(config.FromMap(map[string]string{esclient.EnvURL: s.URL, esclient.EnvAPIKey: key})),
		Environ:       []string{esbulk.EnvRetryMax + "=1", esbulk.EnvRetryBackoffInitial + "=1ms"},
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return svc.RunOnce(t.Context())
}

// admin sends a Connector API request as the node's user.
func adminCall(t *testing.T, admin *elasticsearch.Client, req esapi.Request) string {
	t.Helper()
	res, err := req.Do(t.Context(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.IsError() {
		t.Fatalf("%T: %s %s", req, res.Status(), b)
	}
	return string(b)
}

// TestConnectorServiceWorksWithExactlyItsKeyOnEsnode runs the connector
// service with the key `apikey -connector` builds: it publishes the schema
// of a connector created through the Connector API, then syncs a job that
// must also delete the document of a vanished row. Then, for each
// privilege removed (the cluster privilege, and each index privilege of
// each entry), on a node primed the same way with the full key, the next
// job's run fails with Elasticsearch's 403. (Esnode only: the real
// Elasticsearch of the test stack has no Connector API.)
func TestConnectorServiceWorksWithExactlyItsKeyOnEsnode(t *testing.T) {
	conn, schema := pgSchema(t)
	index := strings.ReplaceAll(schema, "_", "-")
	req, err := apikey.Build(apikey.Options{Function: apikey.FunctionSync, Connector: true, Index: index})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgx.ParseConfig(pgURL())
	if err != nil {
		t.Fatal(err)
	}
	values := fmt.Sprintf(`{"values":{"host":%q,"port":%d,"username":%q,"password":"unused","database":%q,"schema":%q,"tables":"items"}}`,
		pg.Host, pg.Port, pg.User, pg.Database, schema)
	const id = "items-connector"
	// prime leaves a node where the full key ran a first sync, a row has
	// since been deleted and a second job waits.
	prime := func(t *testing.T) (*esnode.Server, *elasticsearch.Client) {
		t.Helper()
		s, admin := secured(t)
		if _, err := conn.Exec(t.Context(), "INSERT INTO "+schema+".items VALUES (2, 'b') ON CONFLICT DO NOTHING"); err != nil {
			t.Fatal(err)
		}
		key := createKey(t, admin, req)
		adminCall(t, admin, esapi.ConnectorPutRequest{ConnectorID: id,
			Body: strings.NewReader(`{"index_name":"` + index + `","service_type":"postgresql"}`)})
		if res, err := connectorRun(t, s, key, id); err != nil || res.Status != "needs_configuration" {
			t.Fatalf("first run with the full key: %+v %v", res, err)
		}
		adminCall(t, admin, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: id, Body: strings.NewReader(values)})
		adminCall(t, admin, esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(`{"id":"` + id + `"}`)})
		if res, err := connectorRun(t, s, key, id); err != nil || len(res.Jobs) != 1 || res.Jobs[0].Indexed != 3 {
			t.Fatalf("first sync with the full key: %+v %v", res, err)
		}
		if _, err := conn.Exec(t.Context(), "DELETE FROM "+schema+".items WHERE id = 2"); err != nil {
			t.Fatal(err)
		}
		adminCall(t, admin, esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(`{"id":"` + id + `"}`)})
		return s, admin
	}

	s, admin := prime(t)
	res, err := connectorRun(t, s, createKey(t, admin, req), id)
	if err != nil || len(res.Jobs) != 1 || res.Jobs[0].Status != "completed" || res.Jobs[0].Deleted != 1 {
		t.Fatalf("second sync with the full key: %+v %v", res, err)
	}
	if c := adminCall(t, admin, esapi.ConnectorGetRequest{ConnectorID: id}); !strings.Contains(c, `"last_sync_status":"completed"`) {
		t.Fatalf("connector after the sync: %s", c)
	}

	type cut struct {
		name string
		key  apikey.Request
	}
	cuts := []cut{{"without manage_connector", withoutCluster(req, apikey.FunctionSync)}}
	for _, rm := range removals(req, apikey.FunctionSync) {
		cuts = append(cuts, cut{[]string{"index", "connector indices"}[rm.entry] + " without " + rm.priv,
			without(req, apikey.FunctionSync, rm.entry, rm.priv)})
	}
	for _, c := range cuts {
		t.Run(c.name, func(t *testing.T) {
			s, admin := prime(t)
			res, err := connectorRun(t, s, createKey(t, admin, c.key), id)
			if err == nil {
				t.Fatalf("the run succeeded: %+v", res)
			}
			if !strings.Contains(err.Error(), unauthorized) {
				t.Fatalf("the run failed without a 403: %v", err)
			}
			if len(res.Jobs) > 0 && !errors.Is(err, connector.ErrJobFailed) {
				t.Fatalf("a job ran but the error is %v", err)
			}
		})
	}
}

// withoutCluster returns req with the role's cluster privileges taken out.
func withoutCluster(req apikey.Request, role string) apikey.Request {
	out := req
	out.RoleDescriptors = map[string]apikey.RoleDescriptor{}
	for name, rd := range req.RoleDescriptors {
		if name == role {
			rd.Cluster = []string{}
		}
		out.RoleDescriptors[name] = rd
	}
	return out
}
