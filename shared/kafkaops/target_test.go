package kafkaops

import (
	"errors"
	"testing"
	"time"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		bad  bool
	}{
		{in: "earliest", want: Target{Kind: ToEarliest}},
		{in: " LATEST ", want: Target{Kind: ToLatest}},
		{in: "0", want: Target{Kind: ToOffset, Offset: 0}},
		{in: "12345", want: Target{Kind: ToOffset, Offset: 12345}},
		{in: "2024-05-01T12:00:03Z", want: Target{Kind: ToTime, Time: time.Date(2024, 5, 1, 12, 0, 3, 0, time.UTC)}},
		{in: "2024-05-01T14:00:03.5+02:00", want: Target{Kind: ToTime, Time: time.Date(2024, 5, 1, 12, 0, 3, 5e8, time.UTC)}},
		{in: "", bad: true},
		{in: "-1", bad: true},
		{in: "yesterday", bad: true},
		{in: "2024-05-01", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrBadTarget) {
					t.Fatalf("ParseTarget(%q) err %v, want ErrBadTarget", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.want.Kind || got.Offset != tt.want.Offset || !got.Time.Equal(tt.want.Time) {
				t.Fatalf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			// String gives back something ParseTarget reads as the same target.
			again, err := ParseTarget(got.String())
			if err != nil || again.Kind != got.Kind || again.Offset != got.Offset || !again.Time.Equal(got.Time) {
				t.Fatalf("round trip of %q via %q = %+v, %v", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestResolveAndPosition(t *testing.T) {
	b := bounds{start: 10, end: 20}
	tests := []struct {
		name        string
		to          Target
		found       int64
		want        int64
		wantClamped bool
	}{
		{"earliest", Target{Kind: ToEarliest}, 0, 10, false},
		{"latest", Target{Kind: ToLatest}, 0, 20, false},
		{"offset inside", Target{Kind: ToOffset, Offset: 15}, 0, 15, false},
		{"offset at end", Target{Kind: ToOffset, Offset: 20}, 0, 20, false},
		{"offset below start", Target{Kind: ToOffset, Offset: 3}, 0, 10, true},
		{"offset past end", Target{Kind: ToOffset, Offset: 99}, 0, 20, true},
		{"time found", Target{Kind: ToTime}, 17, 17, false},
		{"time after newest record", Target{Kind: ToTime}, -1, 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, clamped := resolve(tt.to, b, tt.found)
			if got != tt.want || clamped != tt.wantClamped {
				t.Fatalf("resolve = %d, %v; want %d, %v", got, clamped, tt.want, tt.wantClamped)
			}
		})
	}

	positions := []struct {
		committed, want int64
	}{{noCommit, 10}, {4, 10}, {10, 10}, {15, 15}, {20, 20}, {25, 20}}
	for _, p := range positions {
		if got := position(p.committed, b); got != p.want {
			t.Errorf("position(%d) = %d, want %d", p.committed, got, p.want)
		}
	}
}
