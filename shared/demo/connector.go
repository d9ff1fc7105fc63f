package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// ConnectorID is the connector the demo creates on its node.
const ConnectorID = "esconnect-demo"

// Headings of the connector step's JSON documents: the sync job (its
// heading is this prefix and the job's id, then the filter) and the
// connector's status and last_sync_* fields.
const (
	HeadingConnectorJobPrefix = "GET _connector/_sync_job/"
	// connectorJobFilter leaves out the job's copy of the connector's
	// configuration, which Elasticsearch stores password included, and of
	// its sync rules (the default include-everything rule), which are long.
	connectorJobFilter       = "-connector.configuration,-connector.filtering"
	connectorLastSyncFilter  = "status,error,last_sync*,last_indexed_document_count,last_deleted_document_count"
	HeadingConnectorLastSync = "GET _connector/" + ConnectorID + "?filter_path=" + connectorLastSyncFilter
)

// demoPlaceholderPassword is configured when PG_URL has no password:
// Elastic's connector refuses an empty one, and a server that trusts local
// connections (as the default test server does) does not check it.
const demoPlaceholderPassword = "unused-by-trust-auth"

// ConnectorReport is what the connector step did.
type ConnectorReport struct {
	ID    string
	JobID string
	// Run is what `esconnect connector run --once` would have printed.
	Run connector.Result
	// Job is the sync job document and LastSync the connector's status and
	// last_sync_* fields, as Elasticsearch answered them (and the demo
	// printed them).
	Job, LastSync map[string]any
}

// connectorIndex is where the connector syncs: its own index, since the
// connector writes Elastic's field names and the plain sync does not.
func connectorIndex(schema string) string { return schema + "_connector" }

// runConnector creates a postgresql connector for the sample schema
// through Connector API calls only, starts a sync job, runs the connector
// service once (what `esconnect connector run --once` runs) and prints the
// job and the connector as Elasticsearch returns them. pgSkipped is the
// pg-es-sync step's reason for skipping PostgreSQL, which skips this step
// too.
func runConnector(ctx context.Context, opts Options, esURL string, es esapi.Transport, pgSkipped string, p *printer) (*ConnectorReport, string, error) {
	p.section("pg-es-sync as an Elastic connector: the Connector API")
	if pgSkipped != "" {
		p.line("Skipped: it syncs the same PostgreSQL tables, and PostgreSQL is not reachable (see section %d).", p.n-1)
		return nil, "the connector step, because PostgreSQL is not reachable", nil
	}
	cc, err := pgx.ParseConfig(opts.PGURL)
	if err != nil {
		return nil, "", fmt.Errorf("PG_URL: %w", err)
	}
	index := connectorIndex(opts.PGSchema)
	password, note := cc.Password, "(password: PG_URL's, not shown)"
	if password == "" {
		password = demoPlaceholderPassword
		note = "(password: PG_URL has none and Elastic's connector refuses an empty one: a placeholder, not shown)"
	}
	p.line("The steps of Elastic's Connector API tutorial (docs/connector.md), on the demo's node:")
	p.line("")

	call := func(show, what string, req esapi.Request) ([]byte, error) {
		p.line("%s", what)
		if show != "" {
			p.line("%s", show)
		}
		return do(ctx, es, what, req)
	}
	answer := func(b []byte) { p.line("  -> %s", strings.TrimSpace(string(b))) }

	create := fmt.Sprintf(`{"name":"Demo shop","index_name":%q,"service_type":%q}`, index, connector.ServiceTypePostgreSQL)
	b, err := call(create, "PUT _connector/"+ConnectorID, esapi.ConnectorPutRequest{ConnectorID: ConnectorID, Body: strings.NewReader(create)})
	if err != nil {
		return nil, "", err
	}
	answer(b)
	schemaBody, err := json.Marshal(map[string]any{"configuration": connector.PostgreSQLSchema()})
	if err != nil {
		return nil, "", fmt.Errorf("encode the configuration schema: %w", err)
	}
	if b, err = call(`{"configuration": {the fields of Elastic's PostgreSQL connector: host, port, username, password (sensitive), database, schema, tables, ...}}`,
		"PUT _connector/"+ConnectorID+"/_configuration",
		esapi.ConnectorUpdateConfigurationRequest{ConnectorID: ConnectorID, Body: strings.NewReader(string(schemaBody))}); err != nil {
		return nil, "", err
	}
	answer(b)
	values := map[string]any{
		connector.FieldHost: cc.Host, connector.FieldPort: cc.Port, connector.FieldUsername: cc.User,
		connector.FieldPassword: password, connector.FieldDatabase: cc.Database, connector.FieldSchema: opts.PGSchema,
		connector.FieldTables: "*",
	}
	valuesBody, err := json.Marshal(map[string]any{"values": values})
	if err != nil {
		return nil, "", fmt.Errorf("encode the configuration values: %w", err)
	}
	values[connector.FieldPassword] = "********"
	printed, _ := json.Marshal(map[string]any{"values": values})
	if b, err = call(string(printed)+"\n"+note, "PUT _connector/"+ConnectorID+"/_configuration",
		esapi.ConnectorUpdateConfigurationRequest{ConnectorID: ConnectorID, Body: strings.NewReader(string(valuesBody))}); err != nil {
		return nil, "", err
	}
	answer(b)
	const scheduleOff = `{"scheduling":{"full":{"enabled":false,"interval":"0 0 0 * * ?"}}}`
	if b, err = call(scheduleOff, "PUT _connector/"+ConnectorID+"/_scheduling",
		esapi.ConnectorUpdateSchedulingRequest{ConnectorID: ConnectorID, Body: strings.NewReader(scheduleOff)}); err != nil {
		return nil, "", err
	}
	answer(b)
	startJob := fmt.Sprintf(`{"id":%q,"job_type":"full","trigger_method":"on_demand"}`, ConnectorID)
	if b, err = call(startJob, "POST _connector/_sync_job", esapi.ConnectorSyncJobPostRequest{Body: strings.NewReader(startJob)}); err != nil {
		return nil, "", err
	}
	answer(b)
	var posted struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &posted); err != nil || posted.ID == "" {
		return nil, "", fmt.Errorf("POST _connector/_sync_job answered %s: no job id", b)
	}
	rep := &ConnectorReport{ID: ConnectorID, JobID: posted.ID}

	p.line("")
	p.line("Same as: ES_URL=%s esconnect connector run --id %s --once", esURL, ConnectorID)
	svc, closeSvc, err := connector.New(connector.Config{
		ConnectorID:   ConnectorID,
		Elasticsearch: esclient.LoadConfig(config.FromMap(map[string]string{esclient.EnvURL: esURL})),
		// Only the deadline margin: the connector document says what is
		// synced where.
		Environ: []string{pgsync.EnvSyncDeadlineMargin + "=" + syncDeadlineMargin.String()},
		Log:     opts.Log,
	})
	if err != nil {
		return nil, "", fmt.Errorf("connector service: %w", err)
	}
	defer func() { _ = closeSvc() }()
	runCtx, cancel := context.WithTimeout(ctx, opts.SyncTimeout)
	defer cancel()
	rep.Run, err = svc.RunOnce(runCtx)
	runErr := err
	for _, j := range rep.Run.Jobs {
		p.line("It claimed job %s and ran it: %s, %d indexed, %d deleted.", j.ID, j.Status, j.Indexed, j.Deleted)
	}

	// The documents, as Kibana's console would show them, even after a
	// failed run: they say why.
	p.line("")
	what := HeadingConnectorJobPrefix + rep.JobID + "?filter_path=" + connectorJobFilter
	if b, err = do(ctx, es, what, esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: rep.JobID,
		FilterPath: []string{connectorJobFilter}, Pretty: true}); err != nil {
		return rep, "", err
	}
	p.jsonHeading(what)
	p.raw(b)
	if err := json.Unmarshal(b, &rep.Job); err != nil {
		return rep, "", fmt.Errorf("%s: decode: %w", what, err)
	}
	p.line("")
	if b, err = do(ctx, es, HeadingConnectorLastSync, esapi.ConnectorGetRequest{ConnectorID: ConnectorID,
		FilterPath: strings.Split(connectorLastSyncFilter, ","), Pretty: true}); err != nil {
		return rep, "", err
	}
	p.jsonHeading(HeadingConnectorLastSync)
	p.raw(b)
	if err := json.Unmarshal(b, &rep.LastSync); err != nil {
		return rep, "", fmt.Errorf("%s: decode: %w", HeadingConnectorLastSync, err)
	}
	if runErr != nil {
		return rep, "", fmt.Errorf("connector run: %w", runErr)
	}
	p.line("")
	explainConnector(rep, index, p)
	return rep, "", nil
}

// explainConnector says what the two documents show, from their values.
func explainConnector(rep *ConnectorReport, index string, p *printer) {
	j, c := rep.Job, rep.LastSync
	skipped := "no table"
	if meta, _ := j["metadata"].(map[string]any); meta != nil {
		list, _ := meta["skipped_tables"].([]any)
		var names []string
		for _, s := range list {
			if m, _ := s.(map[string]any); m != nil {
				names = append(names, fmt.Sprint(m["table"]))
			}
		}
		if len(names) > 0 {
			skipped = strings.Join(names, ", ")
		}
	}
	p.line("What it shows: the job ran to %v, with indexed_document_count %v, deleted_document_count %v and",
		j["status"], j["indexed_document_count"], j["deleted_document_count"])
	p.line("total_document_count %v (the documents in %s), worker_hostname, started_at and completed_at:",
		j["total_document_count"], index)
	p.line("the fields Kibana's Connectors page reads. metadata.skipped_tables names %s (no primary key).", skipped)
	p.line("The connector's last sync says the same: last_sync_status %v, last_indexed_document_count %v,",
		c["last_sync_status"], c["last_indexed_document_count"])
	p.line("last_deleted_document_count %v; its status is %v.", c["last_deleted_document_count"], c["status"])
}
