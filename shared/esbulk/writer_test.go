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
	cfg := DefaultConfig()
	cfg.Client = offlineClient(t)
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := w.cfg
	if c.MaxBytes != 5<<20 || c.MaxDocs != 1000 || c.Concurrency != 2 || c.RetryMax != 8 ||
		c.BackoffInitial != 100*time.Millisecond || c.BackoffMax != 10*time.Second ||
		c.DeadlineMargin != 2*time.Second || c.Refresh != "false" || c.Logger == nil {
		t.Errorf("defaults: %+v", c)
	}
	if strings.Contains(w.query, "refresh") {
		t.Errorf("query = %q, want no refresh parameter for refresh=false", w.query)
	}
}

// TestNewRejects: New uses the fields as they are, so a zero size, count
// or backoff is refused rather than read as a default.
func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		set  func(c *Config)
		want string
	}{
		{"no client", func(c *Config) { c.Client = nil }, "no elasticsearch client"},
		{"zero value", func(c *Config) { *c = Config{Client: c.Client} }, "max bytes 0 is not positive"},
		{"negative bytes", func(c *Config) { c.MaxBytes = -1 }, "max bytes"},
		{"zero docs", func(c *Config) { c.MaxDocs = 0 }, "max docs"},
		{"negative concurrency", func(c *Config) { c.Concurrency = -2 }, "concurrency"},
		{"negative retries", func(c *Config) { c.RetryMax = -1 }, "retry max"},
		{"zero backoff", func(c *Config) { c.BackoffInitial = 0 }, "backoff"},
		{"backoff inverted", func(c *Config) { c.BackoffInitial, c.BackoffMax = time.Second, time.Millisecond }, "backoff"},
		{"negative margin", func(c *Config) { c.DeadlineMargin = -time.Second }, "deadline margin"},
		{"refresh", func(c *Config) { c.Refresh = "sometimes" }, "refresh"},
		{"empty refresh", func(c *Config) { c.Refresh = "" }, "refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Client = offlineClient(t)
			tt.set(&cfg)
			_, err := New(cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}

// TestNewFromLoadConfig: what LoadConfig read reaches the Writer as it is;
// in particular RETRY_MAX=0 and DEADLINE_MARGIN=0 mean none.
func TestNewFromLoadConfig(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		retryMax  int
		margin    time.Duration
		wantQuery string
	}{
		{"zero retries and margin mean none", map[string]string{EnvMaxBytes: "10", EnvMaxDocs: "2", EnvConcurrency: "3",
			EnvRetryMax: "0", EnvRetryBackoffInitial: "1ms", EnvRetryBackoffMax: "1s", EnvDeadlineMargin: "0s", EnvRefresh: "wait_for"},
			0, 0, "refresh=wait_for"},
		{"explicit", map[string]string{EnvMaxBytes: "10", EnvMaxDocs: "2", EnvConcurrency: "3",
			EnvRetryMax: "5", EnvRetryBackoffInitial: "1ms", EnvRetryBackoffMax: "1s", EnvDeadlineMargin: "1s", EnvRefresh: "true"},
			5, time.Second, "refresh=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.FromMap(tt.env)
			cfg := LoadConfig(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			cfg.Client = offlineClient(t)
			w, err := New(cfg)
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
