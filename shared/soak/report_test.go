package soak

import (
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

func goodReport() Report {
	return Report{
		DocID: DocIDOffset, Sent: 1000, Valid: 980, Conflicts: 15, NotJSON: 5,
		ExpectedDocs: 980, Indexed: 980, Hits: 980, DeadLettersRaw: 21, DeadLettered: 20,
		Kills:   []Kill{{BulkItems: 300, Committed: 200}, {BulkItems: 700, Committed: 600}},
		Elapsed: 2 * time.Second, Stats: esnode.Stats{Items429: 7, Resets: 1, Requests: 90},
	}
}

func TestReportOK(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Report)
		ok     bool
	}{
		{"clean", func(*Report) {}, true},
		{"lost", func(r *Report) { r.Lost = 1 }, false},
		{"duplicated", func(r *Report) { r.Duplicated = 1 }, false},
		{"unexpected", func(r *Report) { r.Unexpected = 1 }, false},
		{"a document short", func(r *Report) { r.Indexed-- }, false},
		{"a dead letter short", func(r *Report) { r.DeadLettered-- }, false},
		{"a problem", func(r *Report) { r.problem("x %d", 1) }, false},
	}
	for _, tt := range tests {
		r := goodReport()
		tt.change(&r)
		if r.OK() != tt.ok {
			t.Errorf("%s: OK = %t, want %t", tt.name, r.OK(), tt.ok)
		}
	}
}

func TestReportLine(t *testing.T) {
	line := goodReport().Line()
	want := "soak: 1000 sent, 980 indexed, 20 dead-lettered, 0 lost, 0 duplicated, 500 records/s ("
	if !strings.HasPrefix(line, want) {
		t.Errorf("line = %q\nwant prefix %q", line, want)
	}
	for _, part := range []string{"DOC_ID=offset", "dead letters 21 raw/20 distinct", "2 kills at committed 200/1000,600/1000", "7 item 429", "1 resets"} {
		if !strings.Contains(line, part) {
			t.Errorf("line %q lacks %q", line, part)
		}
	}
	if strings.Contains(line, "\n") {
		t.Error("line has a newline")
	}
}

func TestReportProblemsAreBounded(t *testing.T) {
	var r Report
	for i := range 3 * maxProblems {
		r.problem("problem %d", i)
	}
	if len(r.Problems) != maxProblems {
		t.Errorf("%d problems kept, want %d", len(r.Problems), maxProblems)
	}
}
