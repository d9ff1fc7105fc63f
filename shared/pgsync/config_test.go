package pgsync

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
)

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(config.FromMap(map[string]string{
		"PG_HOST": "127.0.0.1", "PG_USER": "postgres", "PG_DATABASE": "test", "ES_INDEX": "rows",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != "public" || c.Tables != nil || c.JobsIndex != "esconnect-sync-jobs" ||
		c.FetchSize != DefaultFetchSize || c.FieldNames != FieldNamesColumn ||
		c.DeadlineMargin != DefaultSyncDeadlineMargin || c.Database != "test" || c.Index != "rows" {
		t.Fatalf("defaults: %+v", c)
	}
	if got := c.Postgres.String(); got != "host=127.0.0.1 port=5432 user=postgres dbname=test" {
		t.Fatalf("String() = %q", got)
	}
}

func TestLoadConfigSettings(t *testing.T) {
	ca := writeTestCA(t)
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "url with tls settings",
			env: map[string]string{
				"PG_URL": "postgres://u:pw@db.example:6543/shop", "PG_SSLMODE": "verify-full",
				"PG_SSLROOTCERT": ca, "ES_INDEX": "i", "PG_TABLES": "a, b",
				"FIELD_NAMES": "ELASTIC", "FETCH_SIZE": "10", "SYNC_DEADLINE_MARGIN": "3s",
			},
			check: func(t *testing.T, c Config) {
				t.Helper()
				want := "postgres://u:pw@db.example:6543/shop?sslmode=verify-full&sslrootcert=" + url.QueryEscape(ca)
				if c.Postgres.ConnString() != want {
					t.Errorf("dsn %q, want %q", c.Postgres.ConnString(), want)
				}
				if strings.Contains(c.Postgres.String(), "pw") {
					t.Errorf("String() shows the password: %q", c.Postgres.String())
				}
				if strings.Join(c.Tables, "|") != "a|b" || c.FieldNames != "elastic" || c.FetchSize != 10 ||
					c.DeadlineMargin != 3*time.Second || c.Database != "shop" {
					t.Errorf("settings: %+v", c)
				}
			},
		},
		{
			name: "host form quotes values",
			env: map[string]string{
				"PG_HOST": "127.0.0.1", "PG_PORT": "5433", "PG_USER": "o'neil", "PG_PASSWORD": `s3 cr'et\`,
				"PG_DATABASE": "my db", "PG_SSLMODE": "require", "ES_INDEX": "i", "PG_TABLES": "*",
			},
			check: func(t *testing.T, c Config) {
				t.Helper()
				want := `host='127.0.0.1' port=5433 user='o\'neil' dbname='my db' sslmode='require' password='s3 cr\'et\\'`
				if c.Postgres.ConnString() != want {
					t.Errorf("dsn %q, want %q", c.Postgres.ConnString(), want)
				}
				if c.Tables != nil || c.Database != "my db" {
					t.Errorf("tables %v database %q", c.Tables, c.Database)
				}
			},
		},
		{
			name: "advanced rules",
			env: map[string]string{
				"PG_HOST": "h", "PG_DATABASE": "d", "ES_INDEX": "i",
				"SYNC_QUERIES": `[{"tables":["a","b"],"query":"SELECT 1 AS x","id_columns":["x"]}]`,
			},
			check: func(t *testing.T, c Config) {
				t.Helper()
				if len(c.Queries) != 1 || c.Queries[0].Query != "SELECT 1 AS x" ||
					strings.Join(c.Queries[0].Tables, ",") != "a,b" || c.Queries[0].IDColumns[0] != "x" {
					t.Errorf("queries %+v", c.Queries)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(config.FromMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(config.FromMap(map[string]string{
		"PG_HOST": "h", "PG_PORT": "70000", "PG_PASSWORD": "hunter2-secret",
		"PG_SSLMODE": "sometimes", "FETCH_SIZE": "0", "FIELD_NAMES": "camel",
		"PG_SCHEMA":    strings.Repeat("s", 64),
		"SYNC_QUERIES": `[{"tables":[],"query":" "}]`,
	}))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"ES_INDEX", "PG_PORT", "PG_SSLMODE", "FETCH_SIZE", "FIELD_NAMES", "PG_SCHEMA",
		"SYNC_QUERIES[0]: query is empty", "SYNC_QUERIES[0]: tables is empty", "PG_DATABASE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error shows the password:\n%s", msg)
	}
}

func TestLoadConfigNeverEchoesPassword(t *testing.T) {
	tests := []map[string]string{
		{"PG_URL": "postgres://u:hunter2-secret@h:notaport/d", "ES_INDEX": "i"},
		{"PG_URL": "host=h port=x dbname=d", "PG_PASSWORD": "hunter2-secret", "ES_INDEX": "i"},
		{"PG_HOST": "h", "PG_DATABASE": "d", "PG_PASSWORD": "hunter2-secret", "PG_SSLROOTCERT": "/nonexistent/ca.pem", "PG_SSLMODE": "verify-ca", "ES_INDEX": "i"},
	}
	for _, env := range tests {
		_, err := LoadConfig(config.FromMap(env))
		if err == nil {
			t.Fatalf("%v: no error", env)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
