package query

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// number is a numeric field value. Integers stay int64 so that long values
// beyond 2^53 compare exactly; everything else is float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func intNum(i int64) number     { return number{i: i, f: float64(i), isInt: true} }
func floatNum(f float64) number { return number{f: f} }

func (n number) cmp(o number) int {
	if n.isInt && o.isInt {
		switch {
		case n.i < o.i:
			return -1
		case n.i > o.i:
			return 1
		}
		return 0
	}
	switch {
	case n.f < o.f:
		return -1
	case n.f > o.f:
		return 1
	}
	return 0
}

// parseNumber reads a decimal string the way Elasticsearch coerces numeric
// strings: integers exactly, anything else as a double.
func parseNumber(s string) (number, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return number{}, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return intNum(i), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return number{}, false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return intNum(int64(f)), true
	}
	return floatNum(f), true
}

// rawNumber converts a source or query value to a number, coercing numeric
// strings.
func rawNumber(v any) (number, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseNumber(string(x))
	case string:
		return parseNumber(x)
	case float64:
		return parseNumber(strconv.FormatFloat(x, 'g', -1, 64))
	case int:
		return intNum(int64(x)), true
	case int64:
		return intNum(x), true
	}
	return number{}, false
}

// fieldNumber converts a source value to what a numeric field of kind k
// indexed: integer fields truncate fractions (coerce), float fields keep
// float32 precision.
func fieldNumber(v any, k kind) (number, bool) {
	n, ok := rawNumber(v)
	if !ok {
		return n, false
	}
	switch k {
	case kindLong, kindInteger:
		if !n.isInt {
			t := math.Trunc(n.f)
			if math.Abs(t) >= 1<<63 {
				return number{}, false
			}
			return intNum(int64(t)), true
		}
	case kindFloat:
		return floatNum(float64(float32(n.f))), true
	case kindDouble:
		return floatNum(n.f), true
	}
	return n, true
}

// keywordOf is the string a keyword field indexes for a source value.
func keywordOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// boolOf is the value a boolean field indexes: JSON booleans, "true",
// "false", and "" (false) as Elasticsearch accepts them.
func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch x {
		case "true":
			return true, true
		case "false", "":
			return false, true
		}
	}
	return false, false
}

func boolNum(b bool) number {
	if b {
		return intNum(1)
	}
	return intNum(0)
}
