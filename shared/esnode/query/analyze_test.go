package query

import (
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, World!", []string{"hello", "world"}},
		{"The QUICK brown-fox", []string{"the", "quick", "brown", "fox"}},
		{"user@example.com", []string{"user", "example.com"}},
		{"pi is 3.14, not 3", []string{"pi", "is", "3.14", "not", "3"}},
		{"don't stop", []string{"don't", "stop"}},
		{"1,000 items", []string{"1,000", "items"}},
		{"end. Next", []string{"end", "next"}},
		{"snake_case value", []string{"snake_case", "value"}},
		{"a:b 1:2", []string{"a:b", "1", "2"}},
		{"Ünïcode ÉTÉ", []string{"ünïcode", "été"}},
		{"日本語text", []string{"日", "本", "語", "text"}},
		{"  ", nil},
		{"trailing.", []string{"trailing"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tokens(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokensMaxLength(t *testing.T) {
	long := strings.Repeat("a", maxTokenLength+10)
	got := tokens(long)
	if len(got) != 2 || len(got[0]) != maxTokenLength || len(got[1]) != 10 {
		t.Fatalf("token lengths = %d pieces, want 255 then 10", len(got))
	}
}

func TestEachTokenStopsEarly(t *testing.T) {
	var seen []string
	found := eachToken("a b c d", func(tok string) bool {
		seen = append(seen, tok)
		return tok == "b"
	})
	if !found || !slices.Equal(seen, []string{"a", "b"}) {
		t.Fatalf("found=%v seen=%q, want true [a b]", found, seen)
	}
}
