package esbulk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/esconnect/esconnect/shared/config"
)

// offlineClient is a client that is never used to send anything.
func offlineClient(t *testing.T) *elasticsearch.Client {
	t.Helper()
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:9"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewDefaults(t *testing.T) {
	w, err := New(Config{Client: offlineClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := w.cfg
	if c.MaxBytes != config.DefaultBulkMaxBytes || c.MaxDocs != config.DefaultBulkMaxDocs ||
		c.Concurrency != config.DefaultBulkConcurrency || c.RetryMax != config.DefaultRetryMax ||
		c.BackoffInitial != config.DefaultRetryBackoffInitial || c.BackoffMax != config.DefaultRetryBackoffMax ||
		c.DeadlineMargin != config.DefaultDeadlineMargin || c.Refresh != "false" || c.Logger == nil {
		t.Errorf("defaults not filled: %+v", c)
	}
	if strings.Contains(w.query, "refresh") {
		t.Errorf("query = %q, want no refresh parameter for refresh=false", w.query)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no client", Config{}, "no elasticsearch client"},
		{"negative bytes", Config{MaxBytes: -1}, "max bytes"},
		{"negative docs", Config{MaxDocs: -1}, "max docs"},
		{"negative concurrency", Config{Concurrency: -2}, "concurrency"},
		{"backoff inverted", Config{BackoffInitial: time.Second, BackoffMax: time.Millisecond}, "backoff"},
		{"refresh", Config{Refresh: "sometimes"}, "refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "no client" {
				tt.cfg.Client = offlineClient(t)
			}
			_, err := New(tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewFromSettings(t *testing.T) {
	tests := []struct {
		name      string
		bulk      config.Bulk
		retryMax  int
		margin    time.Duration
		wantQuery string
	}{
		{"zero retries and margin mean none", config.Bulk{MaxBytes: 10, MaxDocs: 2, Concurrency: 3, RetryMax: 0,
			BackoffInitial: time.Millisecond, BackoffMax: time.Second, DeadlineMargin: 0, Refresh: "wait_for"}, 0, 0, "refresh=wait_for"},
		{"explicit", config.Bulk{MaxBytes: 10, MaxDocs: 2, Concurrency: 3, RetryMax: 5,
			BackoffInitial: time.Millisecond, BackoffMax: time.Second, DeadlineMargin: time.Second, Refresh: "true"}, 5, time.Second, "refresh=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewFromSettings(offlineClient(t), tt.bulk, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := w.cfg
			if c.RetryMax != tt.retryMax || c.DeadlineMargin != tt.margin || c.MaxBytes != 10 || c.MaxDocs != 2 || c.Concurrency != 3 {
				t.Errorf("config = %+v", c)
			}
			if !strings.HasSuffix(w.query, "&"+tt.wantQuery) {
				t.Errorf("query = %q, want %q", w.query, tt.wantQuery)
			}
		})
	}
}

func TestReportUnresolved(t *testing.T) {
	r := Report{Outcomes: []Outcome{
		{Result: "created"},
		{Err: &ItemError{Type: "document_parsing_exception"}},
		{Err: &ItemError{Type: typeRejected, Retriable: true}},
		{Err: &ItemError{Type: typeTransport, Retriable: true}},
	}}
	got := r.Unresolved()
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("Unresolved = %v, want [2 3]", got)
	}
}
