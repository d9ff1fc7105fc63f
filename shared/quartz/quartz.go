// Package quartz parses the Quartz cron expressions Elastic's connectors
// write in a connector's scheduling ("0 0 0 * * ?") and computes when they
// next fire. The syntax is Quartz's, not Unix cron's: a seconds field comes
// first, days of the week run 1-7 from Sunday, one of day-of-month and
// day-of-week must be '?', and L, W and # select last, nearest-weekday and
// nth-weekday days. An optional seventh field restricts the year. Times are
// UTC, as Elasticsearch and the connectors service evaluate them.
//
// No well-kept Go library parses this dialect: robfig/cron reads '?' but
// numbers weekdays from 0 and knows neither L, W, # nor the year field, so
// "0 0 0 ? * 1" would fire on Mondays there and on Sundays in Quartz.
package quartz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid cron expression")

// Field bounds, as Quartz defines them.
const (
	minYear = 1970
	maxYear = 2199
)

// dayRule is a day-of-month or day-of-week field.
type dayRule struct {
	any  bool   // '?'
	set  uint64 // plain values
	last bool   // dom "L" / "L-n"; dow "nL"
	// offset is n of "L-n" (dom).
	offset int
	// weekday is the "nW" day (dom), 0 when unused; lastWeekday is "LW".
	weekday     int
	lastWeekday bool
	// nth is k of dow "n#k"; dowOf is the weekday of "n#k" and "nL".
	nth   int
	dowOf int
}

// Schedule is a parsed expression. The zero value is not usable.
type Schedule struct {
	expr             string
	seconds, minutes uint64
	hours            uint64
	months           uint64
	dom, dow         dayRule
	yearFrom, yearTo int
	years            map[int]bool // nil: every year in [yearFrom, yearTo]
}

// String returns the expression as given.
func (s *Schedule) String() string { return s.expr }

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// Parse reads an expression of six or seven space-separated fields.
func Parse(expr string) (*Schedule, error) {
	fields := strings.Fields(expr)
	if len(fields) != 6 && len(fields) != 7 {
		return nil, fmt.Errorf("%w %q: want 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), got %d",
			ErrInvalid, expr, len(fields))
	}
	s := &Schedule{expr: expr, yearFrom: minYear, yearTo: maxYear}
	var err error
	fail := func(name string, err error) (*Schedule, error) {
		return nil, fmt.Errorf("%w %q: %s: %w", ErrInvalid, expr, name, err)
	}
	if s.seconds, err = parseSet(fields[0], 0, 59, nil); err != nil {
		return fail("seconds", err)
	}
	if s.minutes, err = parseSet(fields[1], 0, 59, nil); err != nil {
		return fail("minutes", err)
	}
	if s.hours, err = parseSet(fields[2], 0, 23, nil); err != nil {
		return fail("hours", err)
	}
	if s.dom, err = parseDOM(fields[3]); err != nil {
		return fail("day-of-month", err)
	}
	if s.months, err = parseSet(fields[4], 1, 12, monthNames); err != nil {
		return fail("month", err)
	}
	if s.dow, err = parseDOW(fields[5]); err != nil {
		return fail("day-of-week", err)
	}
	if s.dom.any == s.dow.any {
		return nil, fmt.Errorf("%w %q: exactly one of day-of-month and day-of-week must be '?'", ErrInvalid, expr)
	}
	if len(fields) == 7 {
		if err := s.parseYears(fields[6]); err != nil {
			return fail("year", err)
		}
	}
	return s, nil
}

// parseSet reads a field of comma-separated values, ranges and steps into a
// bit set over [lo, hi].
func parseSet(f string, lo, hi int, names map[string]int) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(f, ",") {
		from, to, step, err := parseRange(part, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := from; v <= to; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

// parseRange reads one element: *, v, a-b, with an optional /step.
func parseRange(part string, lo, hi int, names map[string]int) (from, to, step int, err error) {
	if part == "" {
		return 0, 0, 0, errors.New("empty element")
	}
	base, stepText, hasStep := strings.Cut(part, "/")
	step = 1
	if hasStep {
		if step, err = strconv.Atoi(stepText); err != nil || step < 1 || step > hi-lo+1 {
			return 0, 0, 0, fmt.Errorf("step %q is not a number in 1-%d", stepText, hi-lo+1)
		}
	}
	switch {
	case base == "*" || (base == "" && hasStep):
		return lo, hi, step, nil
	case strings.Contains(base, "-"):
		a, b, _ := strings.Cut(base, "-")
		if from, err = value(a, lo, hi, names); err != nil {
			return 0, 0, 0, err
		}
		if to, err = value(b, lo, hi, names); err != nil {
			return 0, 0, 0, err
		}
		if from > to {
			return 0, 0, 0, fmt.Errorf("range %q runs backwards", base)
		}
		return from, to, step, nil
	}
	if from, err = value(base, lo, hi, names); err != nil {
		return 0, 0, 0, err
	}
	to = from
	if hasStep {
		// "5/15" means from 5, every 15, to the end of the range.
		to = hi
	}
	return from, to, step, nil
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value in %d-%d", s, lo, hi)
	}
	return v, nil
}

// parseDOM reads day-of-month: ?, L, L-n, LW, nW or a plain set.
func parseDOM(f string) (dayRule, error) {
	up := strings.ToUpper(f)
	switch {
	case up == "?":
		return dayRule{any: true}, nil
	case up == "L":
		return dayRule{last: true}, nil
	case up == "LW":
		return dayRule{lastWeekday: true}, nil
	case strings.HasPrefix(up, "L-"):
		n, err := strconv.Atoi(up[2:])
		if err != nil || n < 0 || n > 30 {
			return dayRule{}, fmt.Errorf("offset in %q is not a number in 0-30", f)
		}
		return dayRule{last: true, offset: n}, nil
	case strings.HasSuffix(up, "W"):
		n, err := strconv.Atoi(up[:len(up)-1])
		if err != nil || n < 1 || n > 31 {
			return dayRule{}, fmt.Errorf("%q: W needs a single day in 1-31", f)
		}
		return dayRule{weekday: n}, nil
	}
	set, err := parseSet(f, 1, 31, nil)
	return dayRule{set: set}, err
}

// parseDOW reads day-of-week: ?, nL, n#k or a plain set.
func parseDOW(f string) (dayRule, error) {
	up := strings.ToUpper(f)
	switch {
	case up == "?":
		return dayRule{any: true}, nil
	case up == "L":
		// Alone, L in day-of-week is Saturday, the last day of the week.
		return dayRule{set: 1 << 7}, nil
	case strings.HasSuffix(up, "L"):
		d, err := value(up[:len(up)-1], 1, 7, dayNames)
		if err != nil {
			return dayRule{}, err
		}
		return dayRule{last: true, dowOf: d}, nil
	case strings.Contains(up, "#"):
		a, b, _ := strings.Cut(up, "#")
		d, err := value(a, 1, 7, dayNames)
		if err != nil {
			return dayRule{}, err
		}
		k, err := strconv.Atoi(b)
		if err != nil || k < 1 || k > 5 {
			return dayRule{}, fmt.Errorf("%q: the number after # must be in 1-5", f)
		}
		return dayRule{nth: k, dowOf: d}, nil
	}
	set, err := parseSet(f, 1, 7, dayNames)
	return dayRule{set: set}, err
}

func (s *Schedule) parseYears(f string) error {
	if f == "*" {
		return nil
	}
	s.years = map[int]bool{}
	for _, part := range strings.Split(f, ",") {
		from, to, step, err := parseRange(part, minYear, maxYear, nil)
		if err != nil {
			return err
		}
		for v := from; v <= to; v += step {
			s.years[v] = true
		}
	}
	return nil
}

func (s *Schedule) yearMatches(y int) bool {
	if y < s.yearFrom || y > s.yearTo {
		return false
	}
	return s.years == nil || s.years[y]
}

// dayMatches reports whether the date (UTC midnight) is a firing day.
func (s *Schedule) dayMatches(d time.Time) bool {
	if s.months&(1<<uint(d.Month())) == 0 {
		return false
	}
	if !s.dom.any {
		return s.dom.matchesDOM(d)
	}
	return s.dow.matchesDOW(d)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (r dayRule) matchesDOM(d time.Time) bool {
	day, last := d.Day(), daysIn(d.Year(), d.Month())
	switch {
	case r.lastWeekday:
		return day == nearestWeekday(d, last)
	case r.last:
		return day == last-r.offset
	case r.weekday > 0:
		if r.weekday > last {
			return false
		}
		return day == nearestWeekday(d, r.weekday)
	}
	return r.set&(1<<uint(day)) != 0
}

// nearestWeekday is the weekday closest to day n of d's month without
// leaving the month, as Quartz's W does.
func nearestWeekday(d time.Time, n int) int {
	t := time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, time.UTC)
	last := daysIn(d.Year(), d.Month())
	switch t.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday
		}
		return n + 1
	}
	return n
}

func (r dayRule) matchesDOW(d time.Time) bool {
	q := int(d.Weekday()) + 1 // Quartz: 1 = Sunday
	switch {
	case r.last:
		return q == r.dowOf && d.Day()+7 > daysIn(d.Year(), d.Month())
	case r.nth > 0:
		return q == r.dowOf && (d.Day()-1)/7+1 == r.nth
	}
	return r.set&(1<<uint(q)) != 0
}

// Next returns the first firing time strictly after t, in UTC, and false
// when the expression never fires again (its years are over).
func (s *Schedule) Next(t time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(time.Second).Add(time.Second)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	first := true
	// Each pass moves at least one day; the year bound ends the loop.
	for day.Year() <= s.yearTo {
		switch {
		case !s.yearMatches(day.Year()):
			day = time.Date(day.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case s.months&(1<<uint(day.Month())) == 0:
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case s.dayMatches(day):
			from := 0
			if first {
				from = t.Hour()*3600 + t.Minute()*60 + t.Second()
			}
			if sec, ok := s.firstTime(from); ok {
				return day.Add(time.Duration(sec) * time.Second), true
			}
			day = day.AddDate(0, 0, 1)
		default:
			day = day.AddDate(0, 0, 1)
		}
		first = false
	}
	return time.Time{}, false
}

// firstTime is the first second of the day at or after from (seconds since
// midnight) that the time fields allow.
func (s *Schedule) firstTime(from int) (int, bool) {
	for h := from / 3600; h < 24; h++ {
		if s.hours&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if s.minutes&(1<<uint(m)) == 0 {
				continue
			}
			for sec := 0; sec < 60; sec++ {
				if s.seconds&(1<<uint(sec)) == 0 {
					continue
				}
				if v := h*3600 + m*60 + sec; v >= from {
					return v, true
				}
			}
		}
	}
	return 0, false
}
