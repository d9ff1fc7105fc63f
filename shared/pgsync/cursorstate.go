package pgsync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/indexname"
)

// cursorDocType marks the cursor document among the job records.
const cursorDocType = "sync_cursor"

// cursorState is what an incremental run starts from: the cursor of every
// source at the end of the last successful run. It is one document in
// SYNC_JOBS_INDEX beside the job records (whose metadata.cursors show each
// run's from and to), read by id so that it needs no search or refresh.
type cursorState struct {
	Type      string `json:"type"`
	IndexName string `json:"index_name"`
	Database  string `json:"database"`
	Schema    string `json:"schema"`
	// JobID is the run that wrote this state.
	JobID     string    `json:"job_id"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastFullSyncAt is when the last full sync (the one that deletes)
	// started.
	LastFullSyncAt *time.Time              `json:"last_full_sync_at"`
	Sources        map[string]storedCursor `json:"sources"`
}

// storedCursor is one source's cursor.
type storedCursor struct {
	// Source is the table or rule, for people reading the document.
	Source string `json:"source"`
	Column string `json:"column"`
	// Value is the bound (a timestamp) for a column cursor, the snapshot
	// (xmin:xmax:xip) for xmin.
	Value string `json:"value"`
}

// cursorDocID is the cursor document's id: one per index, database and
// schema, like the advisory lock (which also serialises its writes).
func (h *Handler) cursorDocID() string {
	return "sync-cursor:" + h.cfg.Index + ":" + h.cfg.Database + ":" + h.cfg.Schema
}

// readCursorState returns the stored state, nil when there is none.
func (h *Handler) readCursorState(ctx context.Context) (*cursorState, error) {
	req := esapi.GetRequest{Index: indexname.Path(h.cfg.JobsIndex), DocumentID: indexname.Path(h.cursorDocID())}
	res, err := req.Do(ctx, h.es)
	if err != nil {
		return nil, fmt.Errorf("reading the stored cursor from %s: %w", h.cfg.JobsIndex, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the stored cursor from %s: %w", h.cfg.JobsIndex, err)
	}
	if res.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if res.StatusCode >= 300 {
		return nil, fmt.Errorf("reading the stored cursor from %s: %d %s", h.cfg.JobsIndex, res.StatusCode, body)
	}
	var doc struct {
		Found  bool        `json:"found"`
		Source cursorState `json:"_source"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding the stored cursor %s: %w", h.cursorDocID(), err)
	}
	if !doc.Found {
		return nil, nil
	}
	return &doc.Source, nil
}

// writeCursorState stores the state; the documents it covers were
// acknowledged by Elasticsearch before.
func (h *Handler) writeCursorState(ctx context.Context, st *cursorState) error {
	body, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding the cursor: %w", err)
	}
	rep, err := h.bulk.Write(ctx, []esbulk.Action{{Op: esbulk.OpIndex, Index: h.cfg.JobsIndex, ID: h.cursorDocID(), Body: body}})
	if err == nil && len(rep.Outcomes) == 1 && rep.Outcomes[0].Err != nil {
		err = rep.Outcomes[0].Err
	}
	if err != nil {
		return fmt.Errorf("storing the cursor in %s: %w", h.cfg.JobsIndex, err)
	}
	return nil
}
