package main

import (
	"math"
	"testing"
)

func TestSpread(t *testing.T) {
	tests := []struct {
		in       spread
		median   float64
		min, max float64
	}{
		{spread{3, 1, 2}, 2, 1, 3},
		{spread{4, 1, 3, 2}, 2.5, 1, 4},
		{spread{5}, 5, 5, 5},
	}
	for _, tt := range tests {
		if got := tt.in.median(); got != tt.median {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.median)
		}
		if tt.in.min() != tt.min || tt.in.max() != tt.max {
			t.Errorf("range of %v = %v-%v, want %v-%v", tt.in, tt.in.min(), tt.in.max(), tt.min, tt.max)
		}
	}
	if (spread{}).median() != 0 || (spread{}).ratio() != "-" {
		t.Error("an empty spread has no median")
	}
	if got := (spread{2, 1, 3}).ratio(); got != "2.00x (1.00-3.00)" {
		t.Errorf("ratio() = %q", got)
	}
}

// Each ratio divides the two measurements of one pair, whatever the order
// of the pairs' sizes.
func TestPairRatios(t *testing.T) {
	got := pairRatios(spread{10, 40, 9}, spread{5, 10, 3, 99})
	want := spread{2, 4, 3}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if r := pairRatios(spread{1}, spread{0}); len(r) != 0 {
		t.Errorf("a zero denominator gave %v", r)
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int]string{1: "1", 999: "999", 1000: "1,000", 20000: "20,000", 9830562: "9,830,562"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for s, want := range map[float64]string{0.0012345: "1.23 ms", 0.0456: "45.6 ms", 1.5: "1.50 s"} {
		if got := ms(s); got != want {
			t.Errorf("ms(%v) = %q, want %q", s, got, want)
		}
	}
	if got := (eventSpec{20000, 1024}).String(); got != "20,000 x 1 KiB" {
		t.Errorf("event name %q", got)
	}
}
