package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esclient"
)

// Index names of the connector protocol, for the document reads and
// conditional writes the Connector API has no endpoint for.
const (
	connectorsIndex = ".elastic-connectors"
	syncJobsIndex   = ".elastic-connectors-sync-jobs"
)

// ErrNotFound reports a connector or sync job that does not exist.
var ErrNotFound = errors.New("not found")

// errConflict is a conditional write that lost to another writer.
var errConflict = errors.New("version conflict")

// client talks to Elasticsearch: the Connector API where it has an
// endpoint, the document API of the protocol's indices for what it lacks
// (conditional claims, terminal job states, fields the API cannot reset to
// null), as Elastic's connectors service does.
type client struct {
	es esapi.Transport
}

// apiError is an answer Elasticsearch refused.
type apiError struct {
	what    string
	status  int
	summary string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: %d %s", e.what, e.status, e.summary) }

func (e *apiError) Is(target error) bool {
	return (target == ErrNotFound && e.status == http.StatusNotFound) || (target == errConflict && e.status == http.StatusConflict)
}

// productOrigin is sent on direct reads and writes of the protocol's
// indices: Elasticsearch 8.18 and later make them system indices that
// answer only requests from the connectors origin.
// Each request gets a header of its own: the transport writes into it.
func productOrigin() http.Header {
	return http.Header{"X-Elastic-Product-Origin": []string{"connectors"}}
}

func (c *client) do(ctx context.Context, what string, req esapi.Request, out any) error {
	res, err := req.Do(ctx, c.es)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	if res.StatusCode >= 300 {
		return &apiError{what: what, status: res.StatusCode, summary: esclient.ErrorSummary(body)}
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s: decoding the answer: %w", what, err)
	}
	return nil
}

func jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of plain values are encoded here.
		panic(err)
	}
	return bytes.NewReader(b)
}

func (c *client) getConnector(ctx context.Context, id string) (map[string]any, error) {
	var doc map[string]any
	err := c.do(ctx, "reading connector "+id, esapi.ConnectorGetRequest{ConnectorID: id}, &doc)
	return doc, err
}

func (c *client) checkIn(ctx context.Context, id string) error {
	return c.do(ctx, "checking in connector "+id, esapi.ConnectorCheckInRequest{ConnectorID: id}, nil)
}

func (c *client) setServiceType(ctx context.Context, id, st string) error {
	return c.do(ctx, "setting the service type of "+id, esapi.ConnectorUpdateServiceDocumentTypeRequest{ConnectorID: id,
		Body: jsonBody(map[string]any{"service_type": st})}, nil)
}

func (c *client) setConfiguration(ctx context.Context, id string, schema map[string]any) error {
	return c.do(ctx, "publishing the configuration schema of "+id, esapi.ConnectorUpdateConfigurationRequest{ConnectorID: id,
		Body: jsonBody(map[string]any{"configuration": schema})}, nil)
}

func (c *client) setStatus(ctx context.Context, id, status string) error {
	return c.do(ctx, "setting the status of "+id, esapi.ConnectorUpdateStatusRequest{ConnectorID: id,
		Body: jsonBody(map[string]any{"status": status})}, nil)
}

// setError sets the connector's error (status error), or clears it with
// nil (status connected).
func (c *client) setError(ctx context.Context, id string, msg *string) error {
	return c.do(ctx, "setting the error of "+id, esapi.ConnectorUpdateErrorRequest{ConnectorID: id,
		Body: jsonBody(map[string]any{"error": msg})}, nil)
}

func (c *client) setDraftValidation(ctx context.Context, id string, validation map[string]any) error {
	return c.do(ctx, "validating the sync rules of "+id, esapi.ConnectorUpdateFilteringValidationRequest{ConnectorID: id,
		Body: jsonBody(map[string]any{"validation": validation})}, nil)
}

func (c *client) activateDraft(ctx context.Context, id string) error {
	return c.do(ctx, "activating the sync rules of "+id, esapi.ConnectorUpdateActiveFilteringRequest{ConnectorID: id}, nil)
}

// updateConnectorDoc writes fields of the connector document, null values
// included, which the _last_sync endpoint cannot.
func (c *client) updateConnectorDoc(ctx context.Context, id string, fields map[string]any, ifSeq *seqNo) error {
	return c.updateDoc(ctx, connectorsIndex, id, fields, ifSeq)
}

type seqNo struct{ seq, term int64 }

func (c *client) updateDoc(ctx context.Context, index, id string, fields map[string]any, ifSeq *seqNo) error {
	refresh := "true"
	req := esapi.UpdateRequest{Index: index, DocumentID: id, Body: jsonBody(map[string]any{"doc": fields}),
		Refresh: refresh, Header: productOrigin()}
	if ifSeq != nil {
		s, t := int(ifSeq.seq), int(ifSeq.term)
		req.IfSeqNo, req.IfPrimaryTerm = &s, &t
	}
	return c.do(ctx, "updating "+index+"/"+id, req, nil)
}

// getDoc reads a protocol document with its sequence number.
func (c *client) getDoc(ctx context.Context, index, id string) (map[string]any, seqNo, error) {
	var res struct {
		Source      map[string]any `json:"_source"`
		SeqNo       json.Number    `json:"_seq_no"`
		PrimaryTerm json.Number    `json:"_primary_term"`
	}
	if err := c.do(ctx, "reading "+index+"/"+id, esapi.GetRequest{Index: index, DocumentID: id, Header: productOrigin()}, &res); err != nil {
		return nil, seqNo{}, err
	}
	s, _ := res.SeqNo.Int64()
	t, _ := res.PrimaryTerm.Int64()
	return res.Source, seqNo{s, t}, nil
}

// listJobs lists a connector's sync jobs in one status, oldest first.
func (c *client) listJobs(ctx context.Context, connectorID, status string) ([]map[string]any, error) {
	const page = 100
	var out []map[string]any
	for from := 0; ; from += page {
		size, start := page, from
		var res struct {
			Count   int              `json:"count"`
			Results []map[string]any `json:"results"`
		}
		if err := c.do(ctx, "listing "+status+" sync jobs of "+connectorID, esapi.ConnectorSyncJobListRequest{
			ConnectorID: connectorID, Status: status, From: &start, Size: &size}, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Results...)
		if len(res.Results) < page || len(out) >= res.Count || from+page >= 10000 {
			break
		}
	}
	// The API lists newest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (c *client) getJob(ctx context.Context, id string) (map[string]any, error) {
	var job map[string]any
	err := c.do(ctx, "reading sync job "+id, esapi.ConnectorSyncJobGetRequest{ConnectorSyncJobID: id}, &job)
	return job, err
}

func (c *client) checkInJob(ctx context.Context, id string) error {
	return c.do(ctx, "checking in sync job "+id, esapi.ConnectorSyncJobCheckInRequest{ConnectorSyncJobID: id}, nil)
}

// reportJob writes a running job's counts so far with the _stats endpoint,
// which also moves the job's last_seen, as Elastic's service reports a
// running job's ingestion stats.
func (c *client) reportJob(ctx context.Context, id string, indexed, volume, deleted int64) error {
	return c.do(ctx, "reporting the counts of sync job "+id, esapi.ConnectorSyncJobUpdateStatsRequest{ConnectorSyncJobID: id,
		Body: jsonBody(map[string]any{"indexed_document_count": indexed, "indexed_document_volume": volume,
			"deleted_document_count": deleted})}, nil)
}

func (c *client) postJob(ctx context.Context, connectorID, jobType, trigger string) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, "creating a sync job for "+connectorID, esapi.ConnectorSyncJobPostRequest{
		Body: jsonBody(map[string]any{"id": connectorID, "job_type": jobType, "trigger_method": trigger})}, &res)
	return res.ID, err
}
