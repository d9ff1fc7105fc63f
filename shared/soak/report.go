package soak

import (
	"fmt"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

// Report is the outcome of a run.
type Report struct {
	// DocID is the id mode the run used.
	DocID string
	// Sent is the number of records on the data topic; Valid, Conflicts and
	// NotJSON split it by kind.
	Sent, Valid, Conflicts, NotJSON int
	// ExpectedDocs is the number of documents the index must hold: one per
	// valid record under DocIDOffset, one per key with a valid record under
	// DocIDKey.
	ExpectedDocs int
	// Indexed is the number of distinct document ids found; Hits the number
	// of hits the scroll returned (more than Indexed means an id twice).
	Indexed, Hits int
	// DeadLettersRaw is the number of messages on the dead-letter topic;
	// DeadLettered the distinct original records among them (a letter may be
	// written twice when the consumer is killed between publishing it and
	// committing the batch).
	DeadLettersRaw, DeadLettered int
	// DeadLetterTypes counts distinct dead letters by error type.
	DeadLetterTypes map[string]int
	// Lost counts valid records without their document (under DocIDKey:
	// keys whose document is missing or holds an older offset than the
	// key's last valid record) plus poison records without a dead letter.
	Lost int
	// Duplicated counts document ids seen more than once.
	Duplicated int
	// Unexpected counts documents and dead letters that no record explains:
	// an unknown id, a document holding the wrong record, a valid record
	// dead-lettered.
	Unexpected int
	// Kills are the SIGKILLs, in order.
	Kills []Kill
	// Elapsed is the time from the first consumer start until the group had
	// committed every record.
	Elapsed time.Duration
	// Stats are the node's counters at the end of consumption; zero on a
	// Target, which has no such counters.
	Stats esnode.Stats
	// Problems describe the first mismatches found.
	Problems []string
}

// Kill is one SIGKILL of the consumer.
type Kill struct {
	// BulkItems is the node's count of bulk items answered when the kill
	// was sent; 0 on a Target.
	BulkItems int64
	// Committed is the number of records behind the group's committed
	// offsets right after the process was gone; less than Sent means the
	// kill landed mid-stream.
	Committed int64
}

// maxProblems bounds the mismatches described in a report.
const maxProblems = 20

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// OK reports whether the run lost, duplicated and misplaced nothing.
func (r Report) OK() bool {
	return r.Lost == 0 && r.Duplicated == 0 && r.Unexpected == 0 &&
		r.Indexed == r.ExpectedDocs && r.DeadLettered == r.Conflicts+r.NotJSON && len(r.Problems) == 0
}

// RecordsPerSecond is Sent over Elapsed.
func (r Report) RecordsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// Line is the one-line summary `make soak` prints, followed by the details
// that tell runs apart.
func (r Report) Line() string {
	var kills []string
	for _, k := range r.Kills {
		kills = append(kills, fmt.Sprintf("%d/%d", k.Committed, r.Sent))
	}
	s := r.Stats
	return fmt.Sprintf("soak: %d sent, %d indexed, %d dead-lettered, %d lost, %d duplicated, %.0f records/s"+
		" (DOC_ID=%s, %d expected documents, %d unexpected, dead letters %d raw/%d distinct, %d kills at committed %s,"+
		" %.1fs, faults: %d item 429, %d 503, %d 502, %d 504, %d resets, %d delayed of %d requests)",
		r.Sent, r.Indexed, r.DeadLettered, r.Lost, r.Duplicated, r.RecordsPerSecond(),
		r.DocID, r.ExpectedDocs, r.Unexpected, r.DeadLettersRaw, r.DeadLettered, len(r.Kills), strings.Join(kills, ","),
		r.Elapsed.Seconds(), s.Items429, s.Request503, s.Request502, s.Request504, s.Resets, s.Delayed, s.Requests)
}
