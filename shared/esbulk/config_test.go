package esbulk

import (
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr []string
	}{
		{"defaults", nil, Config{
			MaxBytes: DefaultMaxBytes, MaxDocs: DefaultMaxDocs, Concurrency: DefaultConcurrency,
			RetryMax: DefaultRetryMax, BackoffInitial: DefaultBackoffInitial, BackoffMax: DefaultBackoffMax,
			DeadlineMargin: DefaultDeadlineMargin, Refresh: "false",
		}, nil},
		{"explicit", map[string]string{
			EnvMaxBytes: "1MiB", EnvMaxDocs: "10", EnvConcurrency: "4", EnvRetryMax: "0",
			EnvRetryBackoffInitial: "1ms", EnvRetryBackoffMax: "5ms", EnvDeadlineMargin: "0s", EnvRefresh: "WAIT_FOR",
		}, Config{
			MaxBytes: 1 << 20, MaxDocs: 10, Concurrency: 4, RetryMax: 0,
			BackoffInitial: time.Millisecond, BackoffMax: 5 * time.Millisecond, DeadlineMargin: 0, Refresh: "wait_for",
		}, nil},
		{"rejects", map[string]string{
			EnvMaxBytes: "0", EnvMaxDocs: "-1", EnvConcurrency: "1000", EnvRetryMax: "x",
			EnvRetryBackoffInitial: "2s", EnvRetryBackoffMax: "1s", EnvRefresh: "sometimes",
		}, Config{}, []string{EnvMaxBytes, EnvMaxDocs, EnvConcurrency, EnvRetryMax, EnvRetryBackoffMax, EnvRefresh}},
		{"zero backoff", map[string]string{EnvRetryBackoffInitial: "0s"}, Config{}, []string{EnvRetryBackoffInitial}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.FromMap(tt.env)
			got := LoadConfig(e)
			err := e.Err()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("LoadConfig = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w+":") {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
