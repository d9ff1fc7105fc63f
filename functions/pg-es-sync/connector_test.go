package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

// The connector-mode tests run on the esnode only: the real Elasticsearch
// of the test stack has no Connector API (no ent-search module).

const (
	connectorID = "fn-connector"
	// connectorPassword is configured on the connector; the test server
	// trusts local connections, so it is never checked, but it must never
	// show up in the function's output.
	connectorPassword = "fn-Pa55-never-logged"
)

// operator drives the connector through the Connector API, as Kibana or
// an operator's Dev Tools would.
type operator struct {
	t  *testing.T
	es *elasticsearch.Client
}

func (o operator) do(req esapi.Request) map[string]any {
	o.t.Helper()
	res, err := req.Do(o.t.Context(), o.es)
	if err != nil {
		o.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.IsError() {
		o.t.Fatalf("%T: %s %s", req, res.Status(), b)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// create makes the connector; configure fills the values of the schema the
// function published.
func (o operator) create() {
	o.t.Helper()
	o.do(esapi.ConnectorPutRequest{ConnectorID: connectorID,
		Body: strings.NewReader(`{"index_name":"` + index + `","name":"Customers","service_type":"postgresql"}`)})
}

func (o operator) configure(schema string) {
	o.t.Helper()
	pg, err := pgx.ParseConfig(pgURL())
	if err != nil {
		o.t.Fatal(err)
	}
	o.do(esapi.ConnectorUpdateConfigurationRequest{ConnectorID: connectorID, Body: strings.NewReader(fmt.Sprintf(
		`{"values":{"host":%q,"port":%d,"username":%q,"password":%q,"database":%q,"schema":%q,"tables":"customers"}}`,
		pg.Host, pg.Port, pg.User, connectorPassword, pg.Database, schema))})
}

func (o operator) startSync() string {
	o.t.Helper()
	return o.do(esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(`{"id":"` + connectorID + `","job_type":"full"}`)})["id"].(string)
}

func (o operator) job(id string) map[string]any {
	o.t.Helper()
	return o.do(esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: id})
}

func connectorEnv(node *esnode.Server, extra map[string]string) map[string]string {
	// Only the Elasticsearch connection: what is synced where comes from
	// the connector document. PG_URL and ES_INDEX point elsewhere to show
	// they are ignored.
	env := map[string]string{"ES_URL": node.URL, "CONNECTOR_ID": connectorID,
		"PG_URL": "postgres://nobody@127.0.0.1:1/none", "ES_INDEX": "not-this-index"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func decodeResult(t *testing.T, b []byte) connector.Result {
	t.Helper()
	var r connector.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s is not a connector run's result: %v", b, err)
	}
	return r
}

func noPassword(t *testing.T, p *platformtest.Process) {
	t.Helper()
	if out := p.Stdout.String() + p.Stderr.String(); strings.Contains(out, connectorPassword) {
		t.Fatalf("the function's output shows the connector's password:\n%s", out)
	}
}

// TestLambdaConnectorModeOnEsnode runs the deployed bootstrap on the
// Lambda runtime with CONNECTOR_ID set, for a connector created through
// the Connector API. Each scheduled invocation (the EventBridge fixture) is
// one look at the connector: the first publishes the configuration
// schema; once configured, one runs the pending job an operator started;
// once the schedule is due, one creates a scheduled job and runs it; the
// next finds nothing due.
func TestLambdaConnectorModeOnEsnode(t *testing.T) {
	bin := platformtest.Build(t, pkg)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	node := esnodetest.Start(t, esnode.Options{})
	op := operator{t, esnodetest.Client(t, node)}
	op.create()
	schema := testTable(t)

	api := platformtest.NewRuntimeAPI(t)
	p := platformtest.Start(t, bin, connectorEnv(node, map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr()}))
	invoke := func(what string) connector.Result {
		t.Helper()
		_, o, err := api.Invoke(ctx, fixture(t, "aws-eventbridge-schedule.json"), 50*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if o.Error != nil {
			t.Fatalf("%s failed: %+v\nstderr:\n%s", what, o.Error, p.Stderr.String())
		}
		return decodeResult(t, o.Response)
	}

	if r := invoke("first look"); r.Status != "needs_configuration" || len(r.Jobs) != 0 {
		t.Fatalf("first look: %+v", r)
	}
	if c := op.do(esapi.ConnectorGetRequest{ConnectorID: connectorID}); c["status"] != "needs_configuration" {
		t.Fatalf("connector after the first look: %v", c["status"])
	}
	op.configure(schema)

	// A pending job, started by the operator.
	pending := op.startSync()
	r := invoke("pending job")
	if r.Status != "connected" || r.ScheduledJob != "" || len(r.Jobs) != 1 || r.Jobs[0].ID != pending ||
		r.Jobs[0].Status != "completed" || r.Jobs[0].Indexed != 2 {
		t.Fatalf("pending job run: %+v", r)
	}
	j := op.job(pending)
	if j["status"] != "completed" || j["trigger_method"] != "on_demand" || j["worker_hostname"] == nil {
		t.Fatalf("pending job: %v", j)
	}
	c := esnodetest.Client(t, node)
	esnodetest.Refresh(t, c, index)
	if n := esnodetest.Count(t, c, index); n != 2 {
		t.Fatalf("%s holds %d documents, want the table's 2 rows", index, n)
	}

	// A schedule that came due: yearly, last scheduled long ago.
	op.do(esapi.ConnectorUpdateSchedulingRequest{ConnectorID: connectorID,
		Body: strings.NewReader(`{"scheduling":{"full":{"enabled":true,"interval":"0 0 0 1 1 ?"}}}`)})
	op.do(esapi.ConnectorLastSyncRequest{ConnectorID: connectorID, Body: strings.NewReader(`{"last_sync_scheduled_at":"2024-01-01T00:00:00Z"}`)})
	r = invoke("due schedule")
	if r.ScheduledJob == "" || len(r.Jobs) != 1 || r.Jobs[0].ID != r.ScheduledJob || r.Jobs[0].Status != "completed" {
		t.Fatalf("due schedule run: %+v", r)
	}
	if j := op.job(r.ScheduledJob); j["trigger_method"] != "scheduled" || j["status"] != "completed" || j["job_type"] != "full" {
		t.Fatalf("scheduled job: %v", j)
	}
	conn := op.do(esapi.ConnectorGetRequest{ConnectorID: connectorID})
	if at, _ := conn["last_sync_scheduled_at"].(string); at == "" || at == "2024-01-01T00:00:00Z" || conn["last_sync_status"] != "completed" {
		t.Fatalf("connector after the scheduled sync: last_sync_scheduled_at %v, last_sync_status %v", conn["last_sync_scheduled_at"], conn["last_sync_status"])
	}

	// The schedule fired for this year: nothing is due, nothing runs.
	if r := invoke("nothing due"); r.ScheduledJob != "" || len(r.Jobs) != 0 || r.Status != "connected" {
		t.Fatalf("run with nothing due: %+v", r)
	}
	noPassword(t, p)
}

// TestFCConnectorModeOnEsnode: on Function Compute's custom runtime, a
// timer invocation runs the connector's pending job; a job that fails
// (its table is gone) fails the invocation with the job's error.
func TestFCConnectorModeOnEsnode(t *testing.T) {
	bin := platformtest.Build(t, pkg)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	node := esnodetest.Start(t, esnode.Options{})
	op := operator{t, esnodetest.Client(t, node)}
	op.create()
	schema := testTable(t)
	p, base := platformtest.StartFC(ctx, t, bin, connectorEnv(node, nil))
	if r, err := platformtest.InvokeFC(ctx, base, "timer-1", fixture(t, "fc-timer.json"), 50); err != nil || r.Status != 200 {
		t.Fatalf("first look: %+v %v", r, err)
	}
	op.configure(schema)
	pending := op.startSync()
	r, err := platformtest.InvokeFC(ctx, base, "timer-2", fixture(t, "fc-timer.json"), 50)
	if err != nil || r.Status != 200 || r.FCStatus != "200" {
		t.Fatalf("timer invocation: %+v %v", r, err)
	}
	res := decodeResult(t, r.Body)
	if len(res.Jobs) != 1 || res.Jobs[0].ID != pending || res.Jobs[0].Status != "completed" || res.Jobs[0].Indexed != 2 {
		t.Fatalf("timer run: %+v", res)
	}
	if j := op.job(pending); j["status"] != "completed" {
		t.Fatalf("job: %v", j)
	}

	// A job whose table is gone ends in error, and so does the invocation.
	op.do(esapi.ConnectorUpdateConfigurationRequest{ConnectorID: connectorID, Body: strings.NewReader(`{"values":{"tables":"no_such_table"}}`)})
	failing := op.startSync()
	r, err = platformtest.InvokeFC(ctx, base, "timer-3", fixture(t, "fc-timer.json"), 50)
	if err != nil || r.Status != 404 || r.FCStatus != "404" || !strings.Contains(string(r.Body), "no_such_table") {
		t.Fatalf("failing invocation: %+v %v", r, err)
	}
	if j := op.job(failing); j["status"] != "error" || !strings.Contains(fmt.Sprint(j["error"]), "no_such_table") {
		t.Fatalf("failed job: %v", j)
	}
	noPassword(t, p)
}
