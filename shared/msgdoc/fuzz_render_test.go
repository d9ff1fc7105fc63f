package msgdoc

import (
	"strings"
	"testing"
	"time"
)

// FuzzIndexRender renders arbitrary topics into "{topic}" with and without
// ES_INDEX_ALLOW_DOT. A topic that lowercases to a hidden/system index name
// (leading '.') must be refused unless dots are allowed, and that must be the
// only difference the setting makes; every refusal must say why.
func FuzzIndexRender(f *testing.F) {
	for _, s := range []string{"orders", ".security", ".kibana_7", "..", ".", "Orders", "_x", "a b", "a\x00", "\xff",
		strings.Repeat("t", 256), "." + strings.Repeat("t", 254)} {
		f.Add(s)
	}
	strict, err := parseIndexTemplate("{topic}", time.UTC, false)
	if err != nil {
		f.Fatal(err)
	}
	lenient, err := parseIndexTemplate("{topic}", time.UTC, true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		n1, err1 := strict.render(topic, 0)
		n2, err2 := lenient.render(topic, 0)
		for _, err := range []error{err1, err2} {
			if err != nil && len(err.Error()) < len("index name") {
				t.Fatalf("refusal %q does not say why", err)
			}
		}
		dot := strings.HasPrefix(strings.ToLower(topic), ".")
		switch {
		case dot && err1 == nil:
			t.Fatalf("topic %q rendered to hidden index %q without ES_INDEX_ALLOW_DOT", topic, n1)
		case dot && err2 == nil && !strings.Contains(n2, "."):
			t.Fatalf("rendered %q from %q lost the dot", n2, topic)
		case !dot && (err1 == nil) != (err2 == nil):
			t.Fatalf("ES_INDEX_ALLOW_DOT changed the verdict on %q: %v vs %v", topic, err1, err2)
		case err1 == nil && n1 != n2:
			t.Fatalf("names differ: %q vs %q", n1, n2)
		}
	})
}
