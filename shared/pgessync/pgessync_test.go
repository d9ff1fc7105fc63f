package pgessync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/connector"
	"github.com/esconnect/esconnect/shared/esclient"
)

// TestFromEnvPicksTheMode: CONNECTOR_ID makes the function the connector
// service, otherwise it is the scheduled sync; both read every setting
// from the environment and hand the connection settings to prepareES
// before building anything.
func TestFromEnvPicksTheMode(t *testing.T) {
	errPrepared := errors.New("prepared")
	tests := []struct {
		name    string
		env     map[string]string
		wantURL string
	}{
		{"scheduled sync", map[string]string{
			"PG_URL": "postgres://u@127.0.0.1:5432/db", "ES_INDEX": "rows", esclient.EnvURL: "http://127.0.0.1:9201",
		}, "http://127.0.0.1:9201"},
		{"connector service", map[string]string{
			connector.EnvConnectorID: "c1", esclient.EnvURL: "http://127.0.0.1:9202",
		}, "http://127.0.0.1:9202"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var got []string
			open := FromEnv(func(_ context.Context, es *esclient.Config) error {
				got = es.URLs
				return errPrepared
			})
			_, _, err := open(t.Context(), nil)
			if !errors.Is(err, errPrepared) {
				t.Fatalf("open = %v, want prepareES's error", err)
			}
			if len(got) != 1 || got[0] != tt.wantURL {
				t.Errorf("prepareES saw URLs %q, want %q", got, tt.wantURL)
			}
		})
	}
}

// TestFromEnvReportsEveryProblem: a settings failure names the mode and
// every variable at fault.
func TestFromEnvReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		wants []string
	}{
		{"scheduled sync", map[string]string{"ES_URL": "ftp://x"}, []string{"pg-es-sync configuration", "ES_INDEX", "PG_HOST", "ES_URL"}},
		{"connector service", map[string]string{connector.EnvConnectorID: "c1", "ES_URL": "ftp://x"},
			[]string{"pg-es-sync connector configuration", "ES_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"ES_INDEX", "PG_URL", "PG_HOST", connector.EnvConnectorID} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, _, err := FromEnv(nil)(t.Context(), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
