package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
)

// A connector created only through Connector API calls gets its tables
// synced by `esconnect connector run --once` (on the esnode: the test
// stack's real Elasticsearch has no Connector API).
func TestConnectorRunOnceOnEsnode(t *testing.T) {
	schema := syncSchema(t)
	srv := esnodetest.Start(t, esnode.Options{})
	c := esnodetest.Client(t, srv)
	t.Setenv("ES_URL", srv.URL)
	t.Setenv("CONNECTOR_ID", "")
	api := func(req esapi.Request) {
		t.Helper()
		res, err := req.Do(t.Context(), c)
		if err != nil || res.IsError() {
			t.Fatalf("%T: %v %v", req, err, res)
		}
		res.Body.Close()
	}
	api(esapi.ConnectorPutRequest{ConnectorID: "items", Body: strings.NewReader(`{"index_name":"items","service_type":"postgresql"}`)})
	run := func(wantCode int) connector.Result {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runMain([]string{"connector", "run", "--id", "items", "--once"}, &out, &errOut); code != wantCode {
			t.Fatalf("exit %d, want %d: %s", code, wantCode, errOut.String())
		}
		var res connector.Result
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("stdout is not the result: %v\n%s", err, out.String())
		}
		return res
	}
	if res := run(0); res.Status != "needs_configuration" {
		t.Fatalf("first run: %+v", res)
	}
	u, _ := url.Parse(pgTestURL())
	values, _ := json.Marshal(map[string]any{"values": map[string]any{"host": u.Hostname(), "port": u.Port(),
		"username": u.User.Username(), "password": "unused", "database": strings.TrimPrefix(u.Path, "/"), "schema": schema, "tables": "items"}})
	api(esapi.ConnectorUpdateConfigurationRequest{ConnectorID: "items", Body: bytes.NewReader(values)})
	api(esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(`{"id":"items","job_type":"full"}`)})
	res := run(0)
	if len(res.Jobs) != 1 || res.Jobs[0].Status != "completed" || res.Jobs[0].Indexed != 2 || res.Status != "connected" {
		t.Fatalf("sync run: %+v", res)
	}
	// A job that fails makes the command fail.
	api(esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(`{"id":"items","job_type":"access_control"}`)})
	if res := run(1); len(res.Jobs) != 1 || res.Jobs[0].Status != "error" {
		t.Fatalf("failing run: %+v", res)
	}
}

func TestConnectorCommandUsage(t *testing.T) {
	t.Setenv("CONNECTOR_ID", "")
	for _, args := range [][]string{{"connector"}, {"connector", "run"}, {"connector", "run", "--id", "x", "extra"}} {
		var out, errOut bytes.Buffer
		if code := runMain(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := runMain([]string{"connector", "run", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Connector API") {
		t.Errorf("help: exit %d: %s", code, errOut.String())
	}
}
