package sink

import (
	"errors"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/msgdoc"
)

func TestParseTimezone(t *testing.T) {
	at := time.Date(2024, 3, 5, 22, 30, 0, 0, time.UTC)
	tests := []struct {
		in      string
		wantDay int // day of month of at in the zone
		wantOff int // offset of at in the zone, seconds
	}{
		{"UTC", 5, 0},
		{"Asia/Shanghai", 6, 8 * 3600},
		{"America/New_York", 5, -5 * 3600},
		{"+08:00", 6, 8 * 3600},
		{"+8", 6, 8 * 3600},
		{"-0530", 5, -(5*3600 + 30*60)},
		{"+14:00", 6, 14 * 3600},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			loc, err := parseTimezone(tc.in)
			if err != nil {
				t.Fatalf("parseTimezone: %v", err)
			}
			in := at.In(loc)
			if _, off := in.Zone(); off != tc.wantOff || in.Day() != tc.wantDay {
				t.Errorf("%s: day %d offset %d, want day %d offset %d", tc.in, in.Day(), off, tc.wantDay, tc.wantOff)
			}
		})
	}
	for _, bad := range []string{"Local", "local", "Mars/Olympus", "+25", "+08:60", "+0800x", "-", "+123:00"} {
		if _, err := parseTimezone(bad); !errors.Is(err, errTimezone) {
			t.Errorf("parseTimezone(%q) = %v, want errTimezone", bad, err)
		}
	}
}

func TestDocIDName(t *testing.T) {
	for _, s := range []string{"offset", "key", "none"} {
		id, err := msgdoc.ParseIDStrategy(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := docIDName(id); got != s {
			t.Errorf("docIDName(%v) = %q, want %q", id, got, s)
		}
	}
}
