package pgsync

import (
	"bytes"
	"math/big"
	"strconv"
)

// Python's timedelta holds at most this many days either way.
const maxTimedeltaDays = 999_999_999

const usecPerDay = 86_400_000_000

// keyInterval writes str() of the timedelta asyncpg decodes an interval to:
// asyncpg counts a month as 30 days and a year (twelve months) as 365, then
// Python normalises to days, seconds and microseconds and prints
// "428 days, 4:05:06" or "-1 day, 23:00:00.500000". An interval beyond
// timedelta's range keeps its text.
func keyInterval(dst, text []byte) []byte {
	months, days, usec, ok := parseISOInterval(text)
	if !ok {
		return append(dst, text...)
	}
	var years int64
	if months < 0 {
		years, months = -(-months / 12), -(-months % 12)
	} else {
		years, months = months/12, months%12
	}
	total := new(big.Int).SetInt64(days + months*30 + years*365)
	total.Mul(total, big.NewInt(usecPerDay))
	total.Add(total, big.NewInt(usec))
	d, rem := new(big.Int).DivMod(total, big.NewInt(usecPerDay), new(big.Int))
	if !d.IsInt64() || d.Int64() > maxTimedeltaDays || d.Int64() < -maxTimedeltaDays {
		return append(dst, text...)
	}
	nd, r := d.Int64(), rem.Int64()
	if nd != 0 {
		dst = strconv.AppendInt(dst, nd, 10)
		dst = append(dst, " day"...)
		if nd != 1 && nd != -1 {
			dst = append(dst, 's')
		}
		dst = append(dst, ", "...)
	}
	secs := r / 1_000_000
	dst = strconv.AppendInt(dst, secs/3600, 10)
	dst = append(dst, ':')
	dst = appendPadded(dst, int(secs/60%60), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int(secs%60), 2)
	if us := r % 1_000_000; us != 0 {
		dst = append(dst, '.')
		dst = appendPadded(dst, int(us), 6)
	}
	return dst
}

// parseISOInterval reads the iso_8601 IntervalStyle output ("P1Y2M3DT4H5M6S",
// "PT-1.5S", "PT0S") into months, days and microseconds, the three fields
// PostgreSQL stores.
func parseISOInterval(text []byte) (months, days, usec int64, ok bool) {
	if len(text) < 3 || text[0] != 'P' {
		return 0, 0, 0, false
	}
	s := text[1:]
	inTime := false
	for len(s) > 0 {
		if s[0] == 'T' {
			inTime = true
			s = s[1:]
			continue
		}
		n := 0
		for n < len(s) && (s[n] == '-' || s[n] == '+' || s[n] == '.' || (s[n] >= '0' && s[n] <= '9')) {
			n++
		}
		if n == 0 || n >= len(s) {
			return 0, 0, 0, false
		}
		num, unit := s[:n], s[n]
		s = s[n+1:]
		if unit == 'S' && inTime {
			us, good := parseSeconds(num)
			if !good {
				return 0, 0, 0, false
			}
			usec += us
			continue
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		switch {
		case !inTime && unit == 'Y':
			months += v * 12
		case !inTime && unit == 'M':
			months += v
		case !inTime && unit == 'W':
			days += v * 7
		case !inTime && unit == 'D':
			days += v
		case inTime && unit == 'H':
			usec += v * 3_600_000_000
		case inTime && unit == 'M':
			usec += v * 60_000_000
		default:
			return 0, 0, 0, false
		}
	}
	return months, days, usec, true
}

// parseSeconds reads "-6.5" as -6500000 microseconds.
func parseSeconds(num []byte) (int64, bool) {
	neg := len(num) > 0 && num[0] == '-'
	if neg || (len(num) > 0 && num[0] == '+') {
		num = num[1:]
	}
	whole, frac := num, []byte(nil)
	if dot := bytes.IndexByte(num, '.'); dot >= 0 {
		whole, frac = num[:dot], num[dot+1:]
	}
	if len(frac) > 6 {
		return 0, false
	}
	w, err := strconv.ParseInt(string(whole), 10, 64)
	if err != nil {
		return 0, false
	}
	us := w * 1_000_000
	if len(frac) > 0 {
		f, err := strconv.ParseInt(string(frac), 10, 64)
		if err != nil {
			return 0, false
		}
		for i := len(frac); i < 6; i++ {
			f *= 10
		}
		us += f
	}
	if neg {
		us = -us
	}
	return us, true
}
