package query

import (
	"testing"
	"time"
)

func TestDateResolve(t *testing.T) {
	tests := []struct {
		expr    string
		format  string
		zone    string
		roundUp bool
		want    string
	}{
		{expr: "2024-01-02", want: "2024-01-02T00:00:00Z"},
		{expr: "2024-01-02", roundUp: true, want: "2024-01-02T23:59:59.999Z"},
		{expr: "2024", roundUp: true, want: "2024-12-31T23:59:59.999Z"},
		{expr: "2024-02", roundUp: true, want: "2024-02-29T23:59:59.999Z"},
		{expr: "2024-01-02T03:04:05.678Z", want: "2024-01-02T03:04:05.678Z"},
		{expr: "2024-01-02T03:04:05.678912Z", want: "2024-01-02T03:04:05.678Z"},
		{expr: "2024-01-02T03:04:05+02:00", want: "2024-01-02T01:04:05Z"},
		{expr: "2024-01-02T03:04:05+0200", want: "2024-01-02T01:04:05Z"},
		{expr: "2024-01-02T03:04", roundUp: true, want: "2024-01-02T03:04:59.999Z"},
		{expr: "2024/01/02 03:04:05", want: "2024-01-02T03:04:05Z"},
		{expr: "2024/01/02", want: "2024-01-02T00:00:00Z"},
		{expr: "1704067200000", want: "2024-01-01T00:00:00Z"},
		{expr: "1704067200", format: "epoch_second", want: "2024-01-01T00:00:00Z"},
		{expr: "02.01.2024", format: "dd.MM.yyyy", want: "2024-01-02T00:00:00Z"},
		{expr: "2024-01-02", zone: "+01:00", want: "2024-01-01T23:00:00Z"},
		{expr: "now", want: "2024-03-15T10:30:45.123Z"},
		{expr: "now-1d", want: "2024-03-14T10:30:45.123Z"},
		{expr: "now+2h", want: "2024-03-15T12:30:45.123Z"},
		{expr: "now/d", want: "2024-03-15T00:00:00Z"},
		{expr: "now/d", roundUp: true, want: "2024-03-15T23:59:59.999Z"},
		{expr: "now-1M/M", want: "2024-02-01T00:00:00Z"},
		{expr: "now/w", want: "2024-03-11T00:00:00Z"},
		{expr: "now/y", roundUp: true, want: "2024-12-31T23:59:59.999Z"},
		{expr: "now/d", zone: "+02:00", want: "2024-03-14T22:00:00Z"},
		{expr: "2024-01-01||+1M", want: "2024-02-01T00:00:00Z"},
		{expr: "2024-01-31||+1M/M", roundUp: true, want: "2024-03-31T23:59:59.999Z"},
		{expr: "2024-01-01||+1M", roundUp: true, want: "2024-02-01T00:00:00Z"},
		{expr: "now-90m", want: "2024-03-15T09:00:45.123Z"},
		{expr: "now-30s", want: "2024-03-15T10:30:15.123Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"/"+tt.format+"/"+tt.zone, func(t *testing.T) {
			spec := tt.format
			if spec == "" {
				spec = defaultDateFormat
			}
			fs, err := compileDateFormats(spec)
			if err != nil {
				t.Fatal(err)
			}
			loc := time.UTC
			if tt.zone != "" {
				var ok bool
				if loc, ok = parseTimeZone(tt.zone); !ok {
					t.Fatalf("zone %q", tt.zone)
				}
			}
			c := dateContext{formats: fs, loc: loc, now: testNow}
			got, perr := c.resolve(tt.expr, tt.roundUp)
			if perr != nil {
				t.Fatal(perr)
			}
			if want := mustMillis(t, tt.want); got != want {
				t.Errorf("resolve(%q) = %s, want %s", tt.expr, time.UnixMilli(got).UTC().Format(time.RFC3339Nano), tt.want)
			}
		})
	}
}

func TestDateResolveErrors(t *testing.T) {
	fs, err := compileDateFormats(defaultDateFormat)
	if err != nil {
		t.Fatal(err)
	}
	c := dateContext{formats: fs, loc: time.UTC, now: testNow}
	for _, expr := range []string{"yesterday", "2024-13-01", "2024-02-30", "2024-01-01T25:00", "now*2d", "now+1x", "now+", "2024-01-01||+1q", "bad||+1d", "2024-01-01T10:00:00+25:00", ""} {
		t.Run(expr, func(t *testing.T) {
			if _, perr := c.resolve(expr, false); perr == nil || perr.Type != TypeParse || perr.Status != 400 {
				t.Errorf("resolve(%q) error = %v, want 400 parse_exception", expr, perr)
			}
		})
	}
}
