package config

import (
	"strings"
	"testing"
	"time"
)

func TestEnvCollectsEveryProblem(t *testing.T) {
	e := FromMap(map[string]string{
		"N":    "x",
		"B":    "maybe",
		"D":    "-1s",
		"SIZE": "12 parsecs",
		"MODE": "sideways",
	})
	e.Int("N", 1, 0, 10)
	e.Bool("B", false)
	e.Duration("D", time.Second)
	e.Bytes("SIZE", 1, 0, 1<<30)
	e.Enum("MODE", "a", "a", "b")
	e.Required("MISSING")
	err := e.Err()
	if err == nil {
		t.Fatal("expected problems")
	}
	for _, want := range []string{"N:", "B:", "D:", "SIZE:", "MODE:", "MISSING: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestEnvValues(t *testing.T) {
	e := FromMap(map[string]string{
		"N": "7", "B": "yes", "D": "250ms", "SIZE": "5MiB", "MODE": "B", "L": " a, ,b ", "BLANK": "  ",
	})
	if got := e.Int("N", 1, 0, 10); got != 7 {
		t.Errorf("Int = %d", got)
	}
	if !e.Bool("B", false) {
		t.Error("Bool = false")
	}
	if got := e.Duration("D", 0); got != 250*time.Millisecond {
		t.Errorf("Duration = %v", got)
	}
	if got := e.Bytes("SIZE", 0, 0, 1<<30); got != 5<<20 {
		t.Errorf("Bytes = %d", got)
	}
	if got := e.Enum("MODE", "a", "a", "b"); got != "b" {
		t.Errorf("Enum = %q", got)
	}
	if got := e.List("L", nil); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("List = %q", got)
	}
	if got := e.String("BLANK", "def"); got != "def" {
		t.Errorf("blank value should fall back to the default, got %q", got)
	}
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"1024", 1024, false},
		{"1KiB", 1024, false},
		{"1kb", 1000, false},
		{"2 MiB", 2 << 20, false},
		{"5MB", 5_000_000, false},
		{"1GiB", 1 << 30, false},
		{"10B", 10, false},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"x", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v", tt.in, got, err)
		}
	}
}
