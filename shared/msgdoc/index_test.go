package msgdoc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/indexname"
)

func TestIndexTemplate(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	// 2024-03-05T23:30:00.123Z: already the 6th in Shanghai (+8) and 05:00 in
	// Kolkata (+5:30).
	const ts = 1709681400123
	tests := []struct {
		tmpl  string
		loc   *time.Location
		topic string
		want  string
	}{
		{"kafka-{topic}-{yyyy.MM.dd}", time.UTC, "orders", "kafka-orders-2024.03.05"},
		{"kafka-{topic}-{yyyy.MM.dd}", shanghai, "orders", "kafka-orders-2024.03.06"},
		{"logs-{yy}{MM}-{topic}-{HH}", kolkata, "orders", "logs-2403-orders-05"},
		{"{topic}", time.UTC, "Orders.EU", "orders.eu"},
		{"events", time.UTC, "orders", "events"},
		{"k-{yyyy-MM-dd_HH}", time.UTC, "x", "k-2024-03-05_23"},
	}
	for _, tc := range tests {
		it, err := parseIndexTemplate(tc.tmpl, tc.loc, false)
		if err != nil {
			t.Errorf("parse %q: %v", tc.tmpl, err)
			continue
		}
		c := indexCache{t: it}
		for range 2 { // the second call is served from the cache
			got, err := c.name(tc.topic, ts)
			if err != nil || got != tc.want {
				t.Errorf("%q in %v for %q = %q, %v; want %q", tc.tmpl, tc.loc, tc.topic, got, err, tc.want)
			}
		}
	}
}

func TestIndexTemplateRejects(t *testing.T) {
	for _, tmpl := range []string{
		"", "Kafka-{topic}", "kafka-{topic", "kafka-}", "kafka-{nope}", "kafka-{}", "kafka {topic}",
		"a/b", "a*", "a?", `a"`, "a<", "a>", "a|", "a,b", "a#", "a:b", "-{topic}", "_x", "+x",
		".hidden-{topic}", strings.Repeat("a", 256), "k-{yyyy.MM.ddd}", "k-{...}",
	} {
		if _, err := parseIndexTemplate(tmpl, time.UTC, false); !errors.Is(err, ErrIndexTemplate) {
			t.Errorf("template %q accepted (err %v)", tmpl, err)
		}
	}
	if _, err := parseIndexTemplate(".kafka-{topic}", time.UTC, true); err != nil {
		t.Errorf("dot index with AllowDotIndex: %v", err)
	}
}

// TestIndexCacheWindows checks that the cache never serves a name across a
// day boundary in the template's zone.
func TestIndexCacheWindows(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	it, err := parseIndexTemplate("k-{topic}-{yyyy.MM.dd}", shanghai, false)
	if err != nil {
		t.Fatal(err)
	}
	c := indexCache{t: it}
	midnight := time.Date(2024, 3, 6, 0, 0, 0, 0, shanghai).UnixMilli()
	for _, tc := range []struct {
		ts   int64
		want string
	}{
		{midnight - 1, "k-t-2024.03.05"},
		{midnight, "k-t-2024.03.06"},
		{midnight - 1, "k-t-2024.03.05"},
		{midnight + 86400000 - 1, "k-t-2024.03.06"},
		{midnight + 86400000, "k-t-2024.03.07"},
	} {
		if got, _ := c.name("t", tc.ts); got != tc.want {
			t.Errorf("name at %d = %q, want %q", tc.ts, got, tc.want)
		}
	}
}

func TestIndexNamePerRecordLimits(t *testing.T) {
	it, err := parseIndexTemplate("{topic}-x", time.UTC, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"_private", strings.Repeat("t", 254), "-x"} {
		if name, err := it.render(topic, 0); err == nil {
			t.Errorf("topic %.20q rendered to valid %.30q", topic, name)
		}
	}
}

func FuzzIndexTemplate(f *testing.F) {
	for _, s := range []string{"kafka-{topic}-{yyyy.MM.dd}", "{topic}", "a{HH}b{yy}", "{", "}{", ".x", "{topic}{topic}"} {
		f.Add(s, "orders", int64(1709681400123))
	}
	f.Fuzz(func(t *testing.T, tmpl, topic string, ts int64) {
		it, err := parseIndexTemplate(tmpl, time.UTC, false)
		if err != nil {
			if !errors.Is(err, ErrIndexTemplate) {
				t.Fatalf("error %v does not wrap ErrIndexTemplate", err)
			}
			return
		}
		name, err := it.render(topic, ts)
		if err != nil {
			return
		}
		if it.checkIndexName(name) != nil || strings.ToLower(name) != name || len(name) > indexname.MaxBytes || name[0] == '.' {
			t.Fatalf("template %q topic %q rendered invalid name %q", tmpl, topic, name)
		}
		start, end := it.window(ts)
		if ts < start || ts >= end {
			t.Fatalf("window [%d,%d) does not contain %d", start, end, ts)
		}
	})
}
