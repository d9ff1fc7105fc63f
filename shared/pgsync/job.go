package pgsync

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Job statuses, as Elastic's sync job records name them.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusError      = "error"
	StatusSkipped    = "skipped"
)

// Job types, as Elastic's sync job records name them.
const (
	JobFull        = "full"
	JobIncremental = "incremental"
)

// Trigger methods, as Elastic's sync job records name them.
const (
	TriggerScheduled = "scheduled"
	TriggerOnDemand  = "on_demand"
)

// Job is the sync job record, written to SYNC_JOBS_INDEX when the sync
// starts and when it ends, and returned as the function's response. Field
// names and meanings follow Elastic's connector sync jobs.
type Job struct {
	ID            string `json:"id"`
	JobType       string `json:"job_type"`
	TriggerMethod string `json:"trigger_method"`
	Status        string `json:"status"`
	// IndexedDocumentCount counts the documents Elasticsearch stored.
	IndexedDocumentCount int64 `json:"indexed_document_count"`
	// IndexedDocumentVolume is the size of those documents in MiB, rounded,
	// as Elastic reports it; Metadata.IndexedBytes has the exact figure.
	IndexedDocumentVolume int64 `json:"indexed_document_volume"`
	DeletedDocumentCount  int64 `json:"deleted_document_count"`
	// TotalDocumentCount is the number of documents in the index after the
	// sync.
	TotalDocumentCount int64      `json:"total_document_count"`
	Error              *string    `json:"error"`
	CreatedAt          time.Time  `json:"created_at"`
	StartedAt          time.Time  `json:"started_at"`
	CompletedAt        *time.Time `json:"completed_at"`
	LastSeen           time.Time  `json:"last_seen"`
	WorkerHostname     string     `json:"worker_hostname"`
	Connector          Connector  `json:"connector"`
	Metadata           Metadata   `json:"metadata"`
}

// Connector describes what was synced where.
type Connector struct {
	IndexName   string   `json:"index_name"`
	ServiceType string   `json:"service_type"`
	Database    string   `json:"database"`
	Schema      string   `json:"schema"`
	Tables      []string `json:"tables"`
}

// Metadata carries what Elastic's record has no field for.
type Metadata struct {
	// RowsRead counts the rows read from PostgreSQL.
	RowsRead int64 `json:"rows_read"`
	// IndexedBytes is the exact size of the indexed document sources.
	IndexedBytes int64 `json:"indexed_bytes"`
	// RejectedDocumentCount counts documents Elasticsearch refused for good
	// (mapping conflicts, for instance).
	RejectedDocumentCount int64          `json:"rejected_document_count"`
	SkippedTables         []SkippedTable `json:"skipped_tables"`
	DurationSeconds       float64        `json:"duration_seconds"`
	RowsPerSecond         float64        `json:"rows_per_second"`
	// FullSyncReason says why a run configured as incremental read
	// everything (no stored cursor yet, SYNC_FULL_EVERY, ...).
	FullSyncReason string `json:"full_sync_reason,omitempty"`
	// Cursors are the sources' cursors: from where this run read (for an
	// incremental run) and where the next one starts.
	Cursors map[string]JobCursor `json:"cursors,omitempty"`
	// CursorWarning says when the cursor bound could not take every open
	// transaction into account.
	CursorWarning string `json:"cursor_warning,omitempty"`
}

// newJobID returns a random id in the shape Elasticsearch ids usually take.
func newJobID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// mib rounds bytes to MiB, the unit of indexed_document_volume.
func mib(bytes int64) int64 { return (bytes + 1<<19) >> 20 }

// finish stamps the end of the job.
func (j *Job) finish(status string, err error, now time.Time) {
	j.Status = status
	if err != nil {
		msg := err.Error()
		j.Error = &msg
	}
	j.CompletedAt = &now
	j.LastSeen = now
	j.IndexedDocumentVolume = mib(j.Metadata.IndexedBytes)
	d := now.Sub(j.StartedAt).Seconds()
	j.Metadata.DurationSeconds = d
	if d > 0 {
		j.Metadata.RowsPerSecond = float64(j.Metadata.RowsRead) / d
	}
}
