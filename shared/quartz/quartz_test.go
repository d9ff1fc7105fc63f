package quartz

import (
	"errors"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		expr, after, want string
	}{
		// Elastic's default schedule: midnight every day.
		{"0 0 0 * * ?", "2024-05-10T13:00:00Z", "2024-05-11T00:00:00Z"},
		{"0 0 0 * * ?", "2024-05-10T23:59:59Z", "2024-05-11T00:00:00Z"},
		// Strictly after: a time that fires is not its own next.
		{"0 0 0 * * ?", "2024-05-11T00:00:00Z", "2024-05-12T00:00:00Z"},
		{"0/5 * * * * ?", "2024-05-10T13:00:03Z", "2024-05-10T13:00:05Z"},
		{"*/20 * * * * ?", "2024-05-10T13:00:40Z", "2024-05-10T13:01:00Z"},
		{"15 10 * * * ?", "2024-05-10T13:10:15Z", "2024-05-10T14:10:15Z"},
		{"0 30 2 ? * MON-FRI", "2024-05-10T03:00:00Z", "2024-05-13T02:30:00Z"}, // Friday -> Monday
		// Quartz numbers weekdays from Sunday = 1.
		{"0 0 12 ? * 1", "2024-05-10T00:00:00Z", "2024-05-12T12:00:00Z"},
		{"0 0 12 ? * 7", "2024-05-10T00:00:00Z", "2024-05-11T12:00:00Z"},
		{"0 0 12 ? * L", "2024-05-10T00:00:00Z", "2024-05-11T12:00:00Z"},
		{"0 0 0 1,15 * ?", "2024-05-02T00:00:00Z", "2024-05-15T00:00:00Z"},
		{"0 0 0 L * ?", "2024-02-01T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"0 0 0 L-2 * ?", "2024-04-01T00:00:00Z", "2024-04-28T00:00:00Z"},
		// June 1st 2024 is a Saturday: 1W moves forward to Monday the 3rd.
		{"0 0 0 1W * ?", "2024-05-31T00:00:00Z", "2024-06-03T00:00:00Z"},
		// June 15th 2024 is a Saturday: 15W is Friday the 14th.
		{"0 0 0 15W * ?", "2024-06-04T00:00:00Z", "2024-06-14T00:00:00Z"},
		// The last weekday of June 2024 is Friday the 28th.
		{"0 0 0 LW * ?", "2024-06-04T00:00:00Z", "2024-06-28T00:00:00Z"},
		{"0 0 0 ? * 6#3", "2024-05-01T00:00:00Z", "2024-05-17T00:00:00Z"},  // third Friday
		{"0 0 0 ? * FRIL", "2024-05-01T00:00:00Z", "2024-05-31T00:00:00Z"}, // last Friday
		{"0 0 0 ? * 6L", "2024-05-01T00:00:00Z", "2024-05-31T00:00:00Z"},
		{"0 0 0 1 JAN ?", "2024-05-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"0 0 0 29 2 ?", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"0 0 0 1 1 ? 2030", "2024-03-01T00:00:00Z", "2030-01-01T00:00:00Z"},
		{"0 0 0 1 1 ? 2026-2030/2", "2027-03-01T00:00:00Z", "2028-01-01T00:00:00Z"},
		// Non-UTC input is read as the instant it is.
		{"0 0 0 * * ?", "2024-05-10T23:30:00-02:00", "2024-05-12T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"@"+tt.after, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.Next(at(tt.after))
			if !ok || !got.Equal(at(tt.want)) {
				t.Fatalf("Next(%s) = %s, %v; want %s", tt.after, got, ok, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("location %v, want UTC", got.Location())
			}
		})
	}
}

func TestNextEndsWithTheYears(t *testing.T) {
	s, err := Parse("0 0 0 1 1 ? 2020")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Next(at("2024-01-01T00:00:00Z")); ok {
		t.Fatalf("Next = %s, want none", got)
	}
}

func TestParseRejects(t *testing.T) {
	for _, expr := range []string{
		"",
		"0 0 0 * *",          // five fields
		"0 0 0 * * ? 2024 x", // eight
		"61 0 0 * * ?",       // Elasticsearch's own REST test: seconds out of range
		"0 60 0 * * ?",       // minutes
		"0 0 24 * * ?",       // hours
		"0 0 0 32 * ?",       // day of month
		"0 0 0 * 13 ?",       // month
		"0 0 0 ? * 8",        // weekday
		"0 0 0 ? * 0",        // Quartz has no weekday 0
		"0 0 0 * * *",        // both days given
		"0 0 0 ? * ?",        // neither
		"0 0 0 5 * MON",      // both days given
		"0 0 0 ? * MON#6",    // no sixth Monday
		"0 0 0 40W * ?",      // W day out of range
		"0 0 0 1-5W * ?",     // W needs a single day
		"0 0/0 0 * * ?",      // step 0
		"0 5-1 0 * * ?",      // backwards range
		"0 0 0 ,1 * ?",       // empty element
		"a 0 0 * * ?",        // not a number
		"0 0 0 1 1 ? 1969",   // year out of range
	} {
		if _, err := Parse(expr); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", expr, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"0 0 0 * * ?", "1 0 0 * * ?", "0/5 * * * * ?", "0 0 12 ? * MON,WED,FRI", "0 0 12 ? jan-mar sun",
		"0 15 10 ? * 6L 2024-2030", "0 0 0 ? * *", "0 0 0 * * ? *", "/10 * * * * ?",
	} {
		s, err := Parse(expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
			continue
		}
		if s.String() != expr {
			t.Errorf("String() = %q", s.String())
		}
	}
}
