package esnode

import (
	"strings"
	"testing"
	"time"
)

func TestValidateIndexName(t *testing.T) {
	tests := []struct {
		name, want string // want: part of the reason, "" = valid
	}{
		{"logs-2024.05", ""}, {"a_b+c", ""}, {"Logs", "must be lowercase"}, {"a b", "must not contain the following"},
		{"a#b", "must not contain '#'"}, {"a:b", "must not contain ':'"}, {"_x", "must not start with"},
		{"..", "must not be '.' or '..'"}, {strings.Repeat("a", 256), "too long, (256 > 255)"}, {"", "must not be empty"},
	}
	for _, tc := range tests {
		err := validateIndexName(tc.name)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Reason, tc.want) {
			t.Errorf("validateIndexName(%.20q) = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestIDGenerator(t *testing.T) {
	g := newIDGenerator()
	seen := map[string]bool{}
	for range 10000 {
		id := g.next()
		if len(id) != 20 || strings.ContainsAny(id, "+/=") || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestParseTimeValue(t *testing.T) {
	for in, want := range map[string]time.Duration{"1s": time.Second, "500ms": 500 * time.Millisecond, "-1": -1, "2m": 2 * time.Minute, "1d": 24 * time.Hour, "0": 0} {
		if got, err := parseTimeValue(in); err != nil || got != want {
			t.Errorf("parseTimeValue(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseTimeValue("soon"); err == nil {
		t.Error("parseTimeValue(soon) succeeded")
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{{"logs-*", "logs-a", true}, {"*-b", "logs-b", true}, {"l*s-*x", "logs-ax", true}, {"logs-*", "log", false}, {"a", "a", true}, {"a", "ab", false}} {
		if got := wildcardMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

// TestLazyPeriodicRefresh drives the refresh clock by hand.
func TestLazyPeriodicRefresh(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ix := newIndex("x", "u", t0, time.Second)
	ix.mu.Lock()
	if _, err := ix.apply(&writeOp{action: "index", id: "1", body: []byte(`{"a":1}`)}, t0); err != nil {
		t.Fatal(err)
	}
	ix.mu.Unlock()
	ix.refreshIfDue(t0.Add(999 * time.Millisecond))
	if len(ix.searchable) != 0 {
		t.Fatal("refreshed before the interval elapsed")
	}
	if at, ok := ix.nextRefresh(t0.Add(1500 * time.Millisecond)); !ok || !at.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("nextRefresh = %v %v", at, ok)
	}
	ix.refreshIfDue(t0.Add(time.Second))
	if len(ix.searchable) != 1 || ix.searchBytes != int64(len(`{"a":1}`)) {
		t.Fatalf("searchable %d docs, %d bytes after the interval", len(ix.searchable), ix.searchBytes)
	}
}

func TestMergeInto(t *testing.T) {
	dst := map[string]any{"a": map[string]any{"x": 1, "y": 2}, "b": 1}
	if mergeInto(dst, map[string]any{"a": map[string]any{"x": 1}, "b": 1}) {
		t.Fatal("identical patch reported a change")
	}
	if !mergeInto(dst, map[string]any{"a": map[string]any{"z": 3}}) || dst["a"].(map[string]any)["y"] != 2 || dst["a"].(map[string]any)["z"] != 3 {
		t.Fatalf("merge = %v", dst)
	}
}
