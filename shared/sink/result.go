package sink

import (
	"log/slog"
	"sort"
	"strconv"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// Result accounts for every record of one invocation. When Handle returns a
// nil error, Received == Indexed + DeadLettered + Skipped + Failed, and
// Failed is non-zero only when BatchItemFailures hands those records back to
// the platform.
type Result struct {
	Received int `json:"received"`
	// Indexed counts records Elasticsearch confirmed: the sum of Created,
	// Updated, Noop and Deleted.
	Indexed int `json:"indexed"`
	Created int `json:"created"`
	Updated int `json:"updated"`
	// Noop counts records already stored as they are, including DOC_ID=key
	// records older than the stored version.
	Noop         int `json:"noop"`
	Deleted      int `json:"deleted"`
	DeadLettered int `json:"dead_lettered"`
	// Skipped counts records left out by policy (a document builder rule, or
	// ON_FAILURE=log).
	Skipped int `json:"skipped"`
	// Failed counts records handed back in BatchItemFailures.
	Failed       int   `json:"failed"`
	Retries      int   `json:"retries"`
	BulkRequests int   `json:"bulk_requests"`
	TookMS       int64 `json:"took_ms"`
	// Failures details every record that was not indexed, skipped by a
	// builder rule excepted.
	Failures []Failure `json:"failures,omitempty"`
	// FailuresOmitted counts failures left out of Failures to keep the
	// response well under Lambda's 6 MB limit; the counts stay exact.
	FailuresOmitted int `json:"failures_omitted,omitempty"`
	// BatchItemFailures is the AWS Lambda partial batch response for Kafka
	// event sources; the Lambda adapter returns the Result as the function
	// response and Lambda reads this field. It is set only with
	// REPORT_BATCH_ITEM_FAILURES=true on AWS payloads.
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures,omitempty"`
}

// What became of a failed record.
const (
	OutcomeDeadLettered = "dead_lettered"
	OutcomeSkipped      = "skipped"
	OutcomeFailed       = "failed"
)

// Failure is one record that was not indexed.
type Failure struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	// Type is the Elasticsearch error type or the decode/build error kind.
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Status int    `json:"status,omitempty"`
	// Outcome is dead_lettered, skipped or failed.
	Outcome string `json:"outcome"`
}

// BatchItemFailure is one entry of Lambda's Kafka partial batch response:
// {"itemIdentifier": {"partition": "<topic>-<partition>", "offset": N}}.
// Lambda resumes each named topic-partition from the offset, so records
// after it are delivered again (harmless: ids are deterministic).
type BatchItemFailure struct {
	ItemIdentifier ItemIdentifier `json:"itemIdentifier"`
}

// ItemIdentifier names a topic-partition (the key of the AWS event's records
// map) and an offset.
type ItemIdentifier struct {
	Partition string `json:"partition"`
	Offset    int64  `json:"offset"`
}

// batchItemFailures returns one entry per topic-partition, at the lowest
// failed offset: reporting a later offset too would not make Lambda skip
// the records between them, and Lambda re-delivers from the lowest anyway.
func batchItemFailures(failed []Failure) []BatchItemFailure {
	lowest := map[string]int64{}
	for _, f := range failed {
		k := f.Topic + "-" + strconv.FormatInt(int64(f.Partition), 10)
		if o, ok := lowest[k]; !ok || f.Offset < o {
			lowest[k] = f.Offset
		}
	}
	out := make([]BatchItemFailure, 0, len(lowest))
	for k, o := range lowest {
		out = append(out, BatchItemFailure{ItemIdentifier{Partition: k, Offset: o}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ItemIdentifier.Partition < out[j].ItemIdentifier.Partition })
	return out
}

// LogValue logs the counts and at most a few failures, so that one bad batch
// does not produce a log line of megabytes.
func (r Result) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int("received", r.Received), slog.Int("indexed", r.Indexed),
		slog.Int("created", r.Created), slog.Int("updated", r.Updated), slog.Int("noop", r.Noop),
		slog.Int("deleted", r.Deleted), slog.Int("dead_lettered", r.DeadLettered),
		slog.Int("skipped", r.Skipped), slog.Int("failed", r.Failed), slog.Int("retries", r.Retries),
		slog.Int("bulk_requests", r.BulkRequests), slog.Int64("took_ms", r.TookMS),
	}
	if n := len(r.Failures); n > 0 {
		shown := r.Failures[:min(n, maxLoggedFailures)]
		attrs = append(attrs, slog.Any("failures", shown), slog.Int("failures_total", n))
	}
	if len(r.BatchItemFailures) > 0 {
		attrs = append(attrs, slog.Any("batch_item_failures", r.BatchItemFailures))
	}
	return slog.GroupValue(attrs...)
}

// maxResultFailures bounds Result.Failures: a batch of 10,000 rejected
// records would otherwise make a response larger than a platform accepts.
const maxResultFailures = 100

// trimFailures applies maxResultFailures.
func (r *Result) trimFailures() {
	if n := len(r.Failures); n > maxResultFailures {
		r.FailuresOmitted += n - maxResultFailures
		r.Failures = r.Failures[:maxResultFailures:maxResultFailures]
	}
}

// maxLoggedFailures bounds the failures in the summary log line; each one is
// also logged on its own where it is handled.
const maxLoggedFailures = 10

func failureOf(r kafkaevent.Record, typ, reason string, status int, outcome string) Failure {
	return Failure{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Type: typ, Reason: reason, Status: status, Outcome: outcome}
}
