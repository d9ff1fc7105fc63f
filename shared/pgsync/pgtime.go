package pgsync

import (
	"bytes"
	"strconv"
	"time"
)

// pgStamp is a date, time or timestamp as PostgreSQL writes it with
// DateStyle=ISO. year is the proleptic ISO year: 1 BC is 0, 4713 BC is -4712,
// as in ISO 8601 and Elasticsearch's parser.
type pgStamp struct {
	year, month, day     int
	hour, minute, second int
	usec                 int
	hasZone              bool
	// offset is the zone offset in seconds east of UTC.
	offset int
}

// parsePGTimestamp reads "2024-01-02 03:04:05.25+00", "300000-01-01
// 00:00:00" or "4713-01-01 00:00:00+00 BC".
func parsePGTimestamp(text []byte) (pgStamp, bool) {
	sp := bytes.IndexByte(text, ' ')
	if sp < 0 {
		return pgStamp{}, false
	}
	bc := bytes.HasSuffix(text, []byte(" BC"))
	if bc {
		text = text[:len(text)-3]
	}
	s, ok := parseDatePart(text[:sp], bc)
	if !ok {
		return pgStamp{}, false
	}
	if !s.parseClock(text[sp+1:]) {
		return pgStamp{}, false
	}
	return s, true
}

// parsePGDate reads "2024-01-02", "5874897-12-31" or "4713-01-01 BC".
func parsePGDate(text []byte) (pgStamp, bool) {
	bc := bytes.HasSuffix(text, []byte(" BC"))
	if bc {
		text = text[:len(text)-3]
	}
	return parseDatePart(text, bc)
}

// parsePGTime reads "13:14:15", "13:14:15.5" or "13:14:15.5+05:30".
func parsePGTime(text []byte) (pgStamp, bool) {
	var s pgStamp
	return s, s.parseClock(text)
}

func parseDatePart(text []byte, bc bool) (pgStamp, bool) {
	// The year has four or more digits; month and day two each.
	if len(text) < 10 || text[len(text)-3] != '-' || text[len(text)-6] != '-' {
		return pgStamp{}, false
	}
	y, ok1 := atoi(text[:len(text)-6])
	m, ok2 := atoi(text[len(text)-5 : len(text)-3])
	d, ok3 := atoi(text[len(text)-2:])
	if !ok1 || !ok2 || !ok3 {
		return pgStamp{}, false
	}
	if bc {
		y = 1 - y
	}
	return pgStamp{year: y, month: m, day: d}, true
}

// parseClock reads "HH:MM:SS[.ffffff][±HH[:MM[:SS]]]" into s.
func (s *pgStamp) parseClock(text []byte) bool {
	if len(text) < 8 || text[2] != ':' || text[5] != ':' {
		return false
	}
	var ok1, ok2, ok3 bool
	s.hour, ok1 = atoi(text[0:2])
	s.minute, ok2 = atoi(text[3:5])
	s.second, ok3 = atoi(text[6:8])
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	rest := text[8:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		frac := rest[1:n]
		if len(frac) == 0 || len(frac) > 6 {
			return false
		}
		us, _ := atoi(frac)
		for i := len(frac); i < 6; i++ {
			us *= 10
		}
		s.usec = us
		rest = rest[n:]
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != '+' && rest[0] != '-' {
		return false
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	parts := bytes.Split(rest[1:], []byte{':'})
	if len(parts) > 3 {
		return false
	}
	off := 0
	for i, mul := range []int{3600, 60, 1} {
		if i >= len(parts) {
			break
		}
		v, ok := atoi(parts[i])
		if !ok || len(parts[i]) != 2 {
			return false
		}
		off += v * mul
	}
	s.hasZone, s.offset = true, sign*off
	return true
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 1<<40 {
			return 0, false
		}
	}
	return n, true
}

// goTime is the stamp as a time.Time in its own zone; time.Time covers every
// year PostgreSQL can store.
func (s pgStamp) goTime() time.Time {
	return time.Date(s.year, time.Month(s.month), s.day, s.hour, s.minute, s.second, s.usec*1000,
		time.FixedZone("", s.offset))
}

// utc converts a stamp with a zone to UTC.
func (s pgStamp) utc() pgStamp {
	t := s.goTime().UTC()
	return pgStamp{year: t.Year(), month: int(t.Month()), day: t.Day(), hour: t.Hour(), minute: t.Minute(),
		second: t.Second(), usec: t.Nanosecond() / 1000, hasZone: true}
}

// pythonYear reports whether Python's datetime can hold the year.
func (s pgStamp) pythonYear() bool { return s.year >= 1 && s.year <= 9999 }

// isoYear reports whether the year has an ISO 8601 form Elasticsearch's
// date parser takes: four digits, with a minus sign before year 0.
func (s pgStamp) isoYear() bool { return s.year >= -9999 && s.year <= 9999 }

// appendDate writes [-]YYYY-MM-DD.
func (s pgStamp) appendDate(dst []byte) []byte {
	y := s.year
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, s.month, 2)
	dst = append(dst, '-')
	return appendPadded(dst, s.day, 2)
}

// appendClock writes HH:MM:SS and .ffffff when there are microseconds, as
// Python's isoformat does.
func (s pgStamp) appendClock(dst []byte) []byte {
	dst = appendPadded(dst, s.hour, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, s.minute, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, s.second, 2)
	if s.usec != 0 {
		dst = append(dst, '.')
		dst = appendPadded(dst, s.usec, 6)
	}
	return dst
}

// appendOffset writes a zone offset as Python does: +HH:MM, and :SS when
// the offset has seconds.
func appendOffset(dst []byte, off int) []byte {
	if off < 0 {
		dst = append(dst, '-')
		off = -off
	} else {
		dst = append(dst, '+')
	}
	dst = appendPadded(dst, off/3600, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, off/60%60, 2)
	if off%60 != 0 {
		dst = append(dst, ':')
		dst = appendPadded(dst, off%60, 2)
	}
	return dst
}

// appendEpochMillis writes the instant as milliseconds since the epoch, with
// the microseconds left as three fraction digits when there are any: the
// form Elasticsearch's default date format (strict_date_optional_time||
// epoch_millis) takes for years its ISO parser refuses.
func (s pgStamp) appendEpochMillis(dst []byte) []byte {
	t := s.goTime()
	dst = strconv.AppendInt(dst, t.UnixMilli(), 10)
	if us := s.usec % 1000; us != 0 {
		dst = append(dst, '.')
		dst = appendPadded(dst, us, 3)
	}
	return dst
}

func appendPadded(dst []byte, v, width int) []byte {
	var b [20]byte
	n := strconv.AppendInt(b[:0], int64(v), 10)
	for i := len(n); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, n...)
}
