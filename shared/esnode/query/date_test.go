package query

import (
	"testing"
	"time"
)

func mustMillis(t *testing.T, s string) int64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return ts.UnixMilli()
}

var testNow = time.Date(2024, 3, 15, 10, 30, 45, 123_000_000, time.UTC)

func TestCompileDateFormatErrors(t *testing.T) {
	for _, spec := range []string{"yyyy-QQ", "yyyy'T"} {
		if _, err := compileDateFormats(spec); err == nil {
			t.Errorf("compileDateFormats(%q) succeeded, want error", spec)
		}
	}
}

// The hand-built default formats must behave exactly like the spec they name.
func TestDefaultDatesMatchSpec(t *testing.T) {
	compiled, err := compileDateFormats(defaultDateFormat)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2024-01-02", "2024/01/02", "2024/01/02 03:04:05", "1704067200000", "2024/1/2", "x", "2024/01/02 03:04"} {
		for _, up := range []bool{false, true} {
			a, aok := defaultDates.parse(s, time.UTC, up)
			b, bok := compiled.parse(s, time.UTC, up)
			if aok != bok || !a.Equal(b) {
				t.Errorf("parse(%q, roundUp=%v): default=%v,%v compiled=%v,%v", s, up, a, aok, b, bok)
			}
		}
	}
}
