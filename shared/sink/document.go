package sink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// Lambda's provided.al2023 and FC's custom runtime images do not promise
	// a zoneinfo database; embedding it (about 450 KB) makes TIMEZONE mean
	// the same everywhere instead of failing at start-up on some platforms.
	_ "time/tzdata"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

// loadDocument reads the document settings into the builder's options and
// records every problem in e, under the variable that caused it.
func loadDocument(e *config.Env) msgdoc.Options {
	o := msgdoc.Options{
		Index:          e.Required(EnvSinkIndex),
		AllowDotIndex:  e.Bool(EnvIndexAllowDot, false),
		Pipeline:       e.String(EnvPipeline, ""),
		MaxValueBytes:  int(e.Bytes(EnvMaxValueBytes, DefaultMaxValueBytes, 0, maxMaxValueBytes)),
		IncludeHeaders: e.Bool(EnvIncludeHeaders, false),
	}
	var err error
	if o.DocID, err = msgdoc.ParseIDStrategy(e.String(EnvDocID, DefaultDocID)); err != nil {
		e.Fail(EnvDocID, "%v", err)
	}
	if o.ValueFormat, err = msgdoc.ParseValueFormat(e.String(EnvValueFormat, "")); err != nil {
		e.Fail(EnvValueFormat, "%v", err)
	}
	if o.NullValue, err = msgdoc.ParseNullValue(e.String(EnvNullValue, "")); err != nil {
		e.Fail(EnvNullValue, "%v", err)
	}
	if o.Routing, err = msgdoc.ParseRouting(e.String(EnvRouting, "")); err != nil {
		e.Fail(EnvRouting, "%v", err)
	}
	if tz, ok := e.Lookup(EnvTimezone); ok {
		if o.Location, err = parseTimezone(tz); err != nil {
			e.Fail(EnvTimezone, "%v", err)
		}
	}
	if v, ok := e.Lookup(EnvNullValue); ok && o.DocID != msgdoc.IDKey {
		// Only DOC_ID=key turns a null value into a delete; elsewhere the
		// setting would silently do nothing.
		e.Fail(EnvNullValue, "%q applies to %s=key only", v, EnvDocID)
	}
	// The template can only be checked once the time zone is known, and
	// only when it was given at all (Required already reported it missing).
	// Other problems New finds depend on the field options read later by
	// loadFieldOptions, which reports them under their own variables.
	if o.Index != "" {
		if _, err := msgdoc.New(o); errors.Is(err, msgdoc.ErrIndexTemplate) {
			e.Fail(EnvSinkIndex, "%v", err)
		}
	}
	return o
}

// errTimezone is wrapped by parseTimezone's errors.
var errTimezone = errors.New("unknown time zone")

// parseTimezone accepts an IANA name (Asia/Shanghai), UTC, or a fixed
// offset (+08:00, -0530, +8). "Local" is refused: the zone of a function's
// host differs between platforms and would make index names depend on where
// the function happens to run.
func parseTimezone(s string) (*time.Location, error) {
	if strings.EqualFold(s, "local") {
		return nil, fmt.Errorf("%w: %q depends on the host; name the zone", errTimezone, s)
	}
	if s[0] == '+' || s[0] == '-' {
		off, ok := parseOffset(s[1:])
		if !ok {
			return nil, fmt.Errorf("%w: offset %q is not +hh:mm", errTimezone, s)
		}
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone("UTC"+s, off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", errTimezone, s)
	}
	return loc, nil
}

// parseOffset reads h, hh, hhmm or hh:mm into seconds, at most 14 hours
// (the largest offset in use, Pacific/Kiritimati).
func parseOffset(s string) (int, bool) {
	h, m := s, "0"
	switch {
	case strings.Contains(s, ":"):
		h, m, _ = strings.Cut(s, ":")
	case len(s) == 4:
		h, m = s[:2], s[2:]
	}
	hours, err1 := strconv.Atoi(h)
	mins, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(h) > 2 || len(m) > 2 || hours < 0 || mins < 0 || mins > 59 || hours*60+mins > 14*60 {
		return 0, false
	}
	return hours*3600 + mins*60, true
}

// docIDName is the DOC_ID value of an id strategy, for logs.
func docIDName(s msgdoc.IDStrategy) string {
	switch s {
	case msgdoc.IDOffset:
		return "offset"
	case msgdoc.IDKey:
		return "key"
	case msgdoc.IDNone:
		return "none"
	case msgdoc.IDField:
		return "field"
	}
	return "unknown"
}
