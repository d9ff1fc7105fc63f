package msgdoc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/indexname"
)

// ErrIndexTemplate is wrapped by every problem New finds in ES_INDEX.
var ErrIndexTemplate = errors.New("invalid index template")

type segKind uint8

const (
	segLiteral segKind = iota
	segTopic
	segDate
)

type segment struct {
	kind segKind
	text string // literal text, or the date pattern
}

// span is the smallest calendar unit a template's date parts use: names
// stay the same for every timestamp within one span, which is what the
// name cache relies on.
type span uint8

const (
	spanNone span = iota
	spanYear
	spanMonth
	spanDay
	spanHour
)

// indexTemplate is a parsed ES_INDEX: literal text, {topic}, and {...}
// groups of date parts (yyyy, yy, MM, dd, HH) and separators (. - _).
type indexTemplate struct {
	segs []segment
	span span
	loc  *time.Location
	// allowDot permits names starting with '.', which Elasticsearch reserves
	// for system and hidden indices.
	allowDot bool
}

func parseIndexTemplate(tmpl string, loc *time.Location, allowDot bool) (*indexTemplate, error) {
	t := &indexTemplate{loc: loc, allowDot: allowDot}
	if strings.TrimSpace(tmpl) == "" {
		return nil, fmt.Errorf("%w: empty", ErrIndexTemplate)
	}
	rest := tmpl
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.segs = append(t.segs, segment{kind: segLiteral, text: rest})
			break
		}
		if rest[open] == '}' {
			return nil, fmt.Errorf("%w: %q: unmatched '}'", ErrIndexTemplate, tmpl)
		}
		if open > 0 {
			t.segs = append(t.segs, segment{kind: segLiteral, text: rest[:open]})
		}
		closing := strings.IndexAny(rest[open+1:], "{}")
		if closing < 0 || rest[open+1+closing] != '}' {
			return nil, fmt.Errorf("%w: %q: unmatched '{'", ErrIndexTemplate, tmpl)
		}
		inner := rest[open+1 : open+1+closing]
		rest = rest[open+2+closing:]
		if inner == "topic" {
			t.segs = append(t.segs, segment{kind: segTopic})
			continue
		}
		sp, err := parseDatePattern(inner)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrIndexTemplate, tmpl, err)
		}
		t.span = max(t.span, sp)
		t.segs = append(t.segs, segment{kind: segDate, text: inner})
	}
	for _, s := range t.segs {
		if s.kind != segLiteral {
			continue
		}
		if err := indexname.CheckChars(s.text); err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrIndexTemplate, tmpl, err)
		}
	}
	// A sample rendering catches what only the whole name shows: a leading
	// '-', '_' or '.', or a length over the limit even for a short topic.
	if _, err := t.render("topic", 0); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrIndexTemplate, tmpl, err)
	}
	return t, nil
}

var dateParts = []struct {
	token string
	span  span
}{{"yyyy", spanYear}, {"yy", spanYear}, {"MM", spanMonth}, {"dd", spanDay}, {"HH", spanHour}}

func parseDatePattern(p string) (span, error) {
	if p == "" {
		return 0, errors.New("empty placeholder {}")
	}
	var sp span
	hasPart := false
outer:
	for i := 0; i < len(p); {
		for _, dp := range dateParts {
			if strings.HasPrefix(p[i:], dp.token) {
				sp = max(sp, dp.span)
				hasPart = true
				i += len(dp.token)
				continue outer
			}
		}
		switch p[i] {
		case '.', '-', '_':
			i++
		default:
			return 0, fmt.Errorf("unknown placeholder {%s}: use {topic} or date parts yyyy, yy, MM, dd, HH with . - _ between them", p)
		}
	}
	if !hasPart {
		return 0, fmt.Errorf("placeholder {%s} has no date part", p)
	}
	return sp, nil
}

// checkIndexName applies the whole-name rules to a rendered name.
func (t *indexTemplate) checkIndexName(name string) error {
	if err := indexname.Check(name, t.allowDot); err != nil {
		if strings.HasPrefix(name, ".") && !t.allowDot {
			return fmt.Errorf("%w (set ES_INDEX_ALLOW_DOT=true to allow it)", err)
		}
		return err
	}
	return nil
}

// render builds the index name for a topic and an epoch-millisecond
// timestamp. Topics are lowercased: Kafka allows uppercase topic names,
// Elasticsearch does not allow uppercase index names, and lowercasing keeps
// every record indexable (at the price of Orders and orders sharing an index).
func (t *indexTemplate) render(topic string, ts int64) (string, error) {
	var b strings.Builder
	var tm time.Time
	if t.span != spanNone {
		tm = time.UnixMilli(ts).In(t.loc)
	}
	for _, s := range t.segs {
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segTopic:
			b.WriteString(strings.ToLower(topic))
		case segDate:
			appendDate(&b, s.text, tm)
		}
	}
	name := b.String()
	if err := t.checkIndexName(name); err != nil {
		return "", err
	}
	return name, nil
}

func appendDate(b *strings.Builder, p string, tm time.Time) {
	pad := func(n, width int) {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	for i := 0; i < len(p); {
		switch {
		case strings.HasPrefix(p[i:], "yyyy"):
			pad(tm.Year(), 4)
			i += 4
		case strings.HasPrefix(p[i:], "yy"):
			pad(tm.Year()%100, 2)
			i += 2
		case strings.HasPrefix(p[i:], "MM"):
			pad(int(tm.Month()), 2)
			i += 2
		case strings.HasPrefix(p[i:], "dd"):
			pad(tm.Day(), 2)
			i += 2
		case strings.HasPrefix(p[i:], "HH"):
			pad(tm.Hour(), 2)
			i += 2
		default:
			b.WriteByte(p[i])
			i++
		}
	}
}

// window returns the [start, end) epoch-millisecond range around ts in
// which the template renders the same date parts.
func (t *indexTemplate) window(ts int64) (int64, int64) {
	if t.span == spanNone {
		return -1 << 63, 1<<63 - 1
	}
	tm := time.UnixMilli(ts).In(t.loc)
	y, m, d := tm.Date()
	var start, end time.Time
	switch t.span {
	case spanYear:
		start = time.Date(y, 1, 1, 0, 0, 0, 0, t.loc)
		end = start.AddDate(1, 0, 0)
	case spanMonth:
		start = time.Date(y, m, 1, 0, 0, 0, 0, t.loc)
		end = start.AddDate(0, 1, 0)
	case spanDay:
		start = time.Date(y, m, d, 0, 0, 0, 0, t.loc)
		end = start.AddDate(0, 0, 1)
	default:
		// The local hour, not Truncate(time.Hour): Truncate works on absolute
		// time, which is wrong in zones with a half-hour offset.
		start = time.Date(y, m, d, tm.Hour(), 0, 0, 0, t.loc)
		end = start.Add(time.Hour)
	}
	s, e := start.UnixMilli(), end.UnixMilli()
	if ts < s || ts >= e {
		// Around DST changes a calendar unit can fail to contain ts; an
		// empty-width window makes the cache render every such record.
		return ts, ts + 1
	}
	return s, e
}

// indexCache remembers the last name per topic with the time window it is
// valid for, so that a batch renders each (topic, day) once. The entry of
// the last topic asked for is kept aside as well: a batch's records are
// mostly of one topic, and comparing with it spares a map lookup (hashing
// the topic) per record.
type indexCache struct {
	t         *indexTemplate
	entries   map[string]indexEntry
	lastTopic string
	last      indexEntry
	hasLast   bool
}

type indexEntry struct {
	name       string
	start, end int64
	err        error
}

func (c *indexCache) name(topic string, ts int64) (string, error) {
	if c.hasLast && topic == c.lastTopic && ts >= c.last.start && ts < c.last.end {
		return c.last.name, c.last.err
	}
	e, ok := c.entries[topic]
	if !ok || ts < e.start || ts >= e.end {
		name, err := c.t.render(topic, ts)
		start, end := c.t.window(ts)
		e = indexEntry{name: name, start: start, end: end, err: err}
		if c.entries == nil {
			c.entries = make(map[string]indexEntry)
		}
		c.entries[topic] = e
	}
	c.lastTopic, c.last, c.hasLast = topic, e, true
	return e.name, e.err
}
