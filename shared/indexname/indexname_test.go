package indexname

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		allowDot bool
		ok       bool
	}{
		{"orders", false, true},
		{"orders-2026.12.07", false, true},
		{"a%2fb", false, true}, // a literal '%' is allowed; Path escapes it
		{"a..b", false, true},
		{".hidden", true, true},
		{".hidden", false, false},
		{"victim/_doc/2", false, false},
		{"a?b", false, false},
		{"a#b", false, false},
		{"..", true, false},
		{".", true, false},
		{"a%2Fb", false, false}, // upper case
		{"a,b", false, false},
		{"logs-*", false, false},
		{"Orders", false, false},
		{"_all", false, false},
		{"-x", false, false},
		{"+x", false, false},
		{"a b", false, false},
		{"a:b", false, false},
		{"a\x00b", false, false},
		{"\xff", false, false},
		{"", false, false},
		{strings.Repeat("a", MaxBytes), false, true},
		{strings.Repeat("a", MaxBytes+1), false, false},
	}
	for _, tt := range tests {
		err := Check(tt.name, tt.allowDot)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%q, %t) = %v, want ok=%t", tt.name, tt.allowDot, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Check(%q) = %v, not ErrInvalid", tt.name, err)
		}
	}
}

// TestPathKeepsOneSegment: whatever the name, the escaped form is one path
// segment that decodes back to the name.
func TestPathKeepsOneSegment(t *testing.T) {
	for _, name := range []string{"victim/_doc/2", "a?b", "a#b", "..", ".", "a%2fb", "a,b", "x y"} {
		req, err := http.NewRequest(http.MethodPut, "/"+Path(name)+"/_doc/1", nil)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		parts := strings.Split(req.URL.EscapedPath(), "/")
		if len(parts) != 4 || req.URL.RawQuery != "" || req.URL.Fragment != "" {
			t.Fatalf("%q made the path %q (query %q)", name, req.URL.EscapedPath(), req.URL.RawQuery)
		}
		if got := strings.TrimSuffix(req.URL.Path, "/_doc/1")[1:]; got != name {
			t.Errorf("%q decodes as %q", name, got)
		}
	}
}
