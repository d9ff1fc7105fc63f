package query

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// defaultDateFormat is the format dynamic mapping gives date fields, plus
// epoch_millis which explicit date mappings accept by default; values in
// _source are read with it.
const defaultDateFormat = "strict_date_optional_time||yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"

// dateFormat parses one textual date form. roundUp fills the fields the text
// leaves out with their largest value (the end of the given day, month...),
// which is how Elasticsearch resolves the upper end of a range or term.
type dateFormat interface {
	parse(s string, loc *time.Location, roundUp bool) (time.Time, bool)
}

// dateFormats is a "||"-separated list of formats; the first that parses wins.
type dateFormats struct {
	spec string
	list []dateFormat
}

func compileDateFormats(spec string) (dateFormats, *Error) {
	out := dateFormats{spec: spec}
	for _, name := range strings.Split(spec, "||") {
		f, err := compileDateFormat(strings.TrimSpace(name))
		if err != nil {
			return dateFormats{}, err
		}
		out.list = append(out.list, f)
	}
	return out, nil
}

func compileDateFormat(name string) (dateFormat, *Error) {
	switch name {
	case "strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
		"strict_date_time", "date_time", "strict_date", "date", "strict_date_hour_minute_second",
		"date_hour_minute_second", "strict_date_time_no_millis", "date_time_no_millis":
		return isoFormat{}, nil
	case "epoch_millis":
		return epochFormat{scale: 1}, nil
	case "epoch_second":
		return epochFormat{scale: 1000}, nil
	case "basic_date":
		return compilePattern("yyyyMMdd")
	}
	return compilePattern(name)
}

func (fs dateFormats) parse(s string, loc *time.Location, roundUp bool) (time.Time, bool) {
	for _, f := range fs.list {
		if t, ok := f.parse(s, loc, roundUp); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// dateParts collects the fields a format read; -1 marks a missing field,
// noYear a missing year (ISO years may be negative: -4712 is 4713 BC).
type dateParts struct {
	year, month, day, hour, minute, second, nanos int
	loc                                           *time.Location
}

const noYear = math.MinInt

func newDateParts() dateParts {
	return dateParts{year: noYear, month: -1, day: -1, hour: -1, minute: -1, second: -1, nanos: -1}
}

// build turns the parts into an instant, defaulting missing fields to the
// start (or, with roundUp, the end) of the period the text names.
func (p dateParts) build(loc *time.Location, roundUp bool) (time.Time, bool) {
	if p.year == noYear {
		return time.Time{}, false
	}
	if p.loc != nil {
		loc = p.loc
	}
	fill := func(v, low, high int) int {
		if v >= 0 {
			return v
		}
		if roundUp {
			return high
		}
		return low
	}
	month := fill(p.month, 1, 12)
	if month < 1 || month > 12 {
		return time.Time{}, false
	}
	lastDay := time.Date(p.year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	day := fill(p.day, 1, lastDay)
	hour, minute, second := fill(p.hour, 0, 23), fill(p.minute, 0, 59), fill(p.second, 0, 59)
	nanos := fill(p.nanos, 0, 999_999_999)
	if day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	return time.Date(p.year, time.Month(month), day, hour, minute, second, nanos, loc), true
}

// isoFormat is strict_date_optional_time: yyyy[-MM[-dd[THH[:mm[:ss[.S+]]]]]]
// with an optional zone (Z, ±HH, ±HHmm, ±HH:mm) after the time.
type isoFormat struct{}

func (isoFormat) parse(s string, loc *time.Location, roundUp bool) (time.Time, bool) {
	p := newDateParts()
	r := reader{s: s}
	var ok bool
	neg := r.eat('-')
	if p.year, ok = r.digits(4, 4); !ok {
		return time.Time{}, false
	}
	if neg {
		p.year = -p.year
	}
	steps := []struct {
		sep byte
		dst *int
	}{{'-', &p.month}, {'-', &p.day}, {'T', &p.hour}, {':', &p.minute}, {':', &p.second}}
	for _, st := range steps {
		if !r.eat(st.sep) {
			break
		}
		if *st.dst, ok = r.digits(2, 2); !ok {
			return time.Time{}, false
		}
	}
	if p.second >= 0 && r.eat('.') {
		if p.nanos, ok = r.fraction(); !ok {
			return time.Time{}, false
		}
	}
	if p.hour >= 0 && !r.done() {
		if p.loc, ok = r.zone(); !ok {
			return time.Time{}, false
		}
	}
	if !r.done() {
		return time.Time{}, false
	}
	return p.build(loc, roundUp)
}

// epochFormat is epoch_millis (scale 1) or epoch_second (scale 1000).
type epochFormat struct{ scale float64 }

func (f epochFormat) parse(s string, _ *time.Location, _ bool) (time.Time, bool) {
	if s == "" || strings.ContainsAny(s, "eE") {
		return time.Time{}, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(v * f.scale)).UTC(), true
}

// patternFormat is a Java DateTimeFormatter-style pattern such as
// "yyyy/MM/dd HH:mm:ss" or "dd.MM.yyyy'T'HH". Supported letters: y/u (year),
// M, d, H, m, s, S (fraction), X/Z (zone).
type patternFormat struct{ items []patternItem }

type patternItem struct {
	letter byte // 0 for a literal
	width  int
	lit    string
}

func compilePattern(p string) (dateFormat, *Error) {
	var items []patternItem
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				return nil, illegalArg("Invalid format: [%s]: unterminated quote", p)
			}
			items = append(items, patternItem{lit: p[i+1 : i+1+end]})
			i += end + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if !strings.ContainsRune("yuMdHmsSXZ", rune(c)) {
				return nil, illegalArg("Invalid format: [%s]: Unknown pattern letter: %c", p, c)
			}
			items = append(items, patternItem{letter: c, width: j - i})
			i = j
		default:
			items = append(items, patternItem{lit: string(c)})
			i++
		}
	}
	return patternFormat{items: items}, nil
}

func (f patternFormat) parse(s string, loc *time.Location, roundUp bool) (time.Time, bool) {
	p := newDateParts()
	r := reader{s: s}
	var ok bool
	for _, it := range f.items {
		if it.letter == 0 {
			if !strings.HasPrefix(r.s[r.i:], it.lit) {
				return time.Time{}, false
			}
			r.i += len(it.lit)
			continue
		}
		lo, hi := it.width, it.width
		if it.width == 1 {
			lo, hi = 1, 2
		}
		var dst *int
		switch it.letter {
		case 'y', 'u':
			dst, lo, hi = &p.year, 4, 4
		case 'M':
			dst = &p.month
		case 'd':
			dst = &p.day
		case 'H':
			dst = &p.hour
		case 'm':
			dst = &p.minute
		case 's':
			dst = &p.second
		case 'S':
			if p.nanos, ok = r.fraction(); !ok {
				return time.Time{}, false
			}
			continue
		case 'X', 'Z':
			if p.loc, ok = r.zone(); !ok {
				return time.Time{}, false
			}
			continue
		}
		if *dst, ok = r.digits(lo, hi); !ok {
			return time.Time{}, false
		}
	}
	if !r.done() {
		return time.Time{}, false
	}
	return p.build(loc, roundUp)
}

// reader walks a date string.
type reader struct {
	s string
	i int
}

func (r *reader) done() bool { return r.i == len(r.s) }

func (r *reader) eat(c byte) bool {
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

// digits reads between lo and hi decimal digits.
func (r *reader) digits(lo, hi int) (int, bool) {
	n, v := 0, 0
	for n < hi && r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
		v = v*10 + int(r.s[r.i]-'0')
		r.i++
		n++
	}
	return v, n >= lo
}

// fraction reads 1-9 fraction digits as nanoseconds.
func (r *reader) fraction() (int, bool) {
	start := r.i
	v, ok := r.digits(1, 9)
	if !ok {
		return 0, false
	}
	for n := r.i - start; n < 9; n++ {
		v *= 10
	}
	return v, true
}

// zone reads Z, ±HH, ±HHmm or ±HH:mm.
func (r *reader) zone() (*time.Location, bool) {
	if r.eat('Z') {
		return time.UTC, true
	}
	sign := 1
	switch {
	case r.eat('+'):
	case r.eat('-'):
		sign = -1
	default:
		return nil, false
	}
	h, ok := r.digits(2, 2)
	if !ok {
		return nil, false
	}
	m := 0
	if r.eat(':') {
		if m, ok = r.digits(2, 2); !ok {
			return nil, false
		}
	} else if r.i < len(r.s) {
		if m, ok = r.digits(2, 2); !ok {
			return nil, false
		}
	}
	if h > 18 || m > 59 {
		return nil, false
	}
	return time.FixedZone("", sign*(h*3600+m*60)), true
}
