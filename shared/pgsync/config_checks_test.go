package pgsync

import (
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
)

func TestLoadConfigRejectsBadQueries(t *testing.T) {
	tests := []string{`{"tables":["a"]}`, `[{"tables":["a"],"query":"x","bogus":1}]`, `[]`, `not json`}
	for _, q := range tests {
		_, err := LoadConfig(config.FromMap(map[string]string{"PG_HOST": "h", "PG_DATABASE": "d", "ES_INDEX": "i", "SYNC_QUERIES": q}))
		if err == nil || !strings.Contains(err.Error(), "SYNC_QUERIES") {
			t.Errorf("%s: error %v", q, err)
		}
	}
}

// OpenSearch Serverless has no scroll API, which pg-es-sync needs to find
// the documents of deleted rows: the setting is refused at start-up, while
// a domain ("es") is accepted.
func TestLoadConfigRefusesServerless(t *testing.T) {
	for _, service := range []string{esclient.AWSServiceES, esclient.AWSServiceAOSS} {
		_, err := LoadConfig(config.FromMap(map[string]string{
			"PG_URL": "postgres://u@127.0.0.1:5432/db", "ES_INDEX": "rows",
			esclient.EnvAuth: esclient.AuthAWSSigV4, esclient.EnvAWSRegion: "eu-west-1", esclient.EnvAWSService: service,
		}))
		switch service {
		case esclient.AWSServiceAOSS:
			if err == nil || !strings.Contains(err.Error(), esclient.EnvAWSService) || !strings.Contains(err.Error(), "scroll") {
				t.Errorf("%s: err = %v, want a refusal naming %s and the scroll API", service, err, esclient.EnvAWSService)
			}
		default:
			if err != nil {
				t.Errorf("%s: %v", service, err)
			}
		}
	}
}

// ES_INDEX and SYNC_JOBS_INDEX follow Elasticsearch's rules for index names,
// checked at start-up: ES_INDEX=victim/_doc/2 would otherwise make the first
// request PUT /victim/_doc/2, a write into another index.
func TestLoadConfigIndexNames(t *testing.T) {
	for _, name := range []string{"victim/_doc/2", "a?b", "a#b", "..", "a%2Fb", "a,b", "logs-*", "Orders", "_all"} {
		for _, setting := range []string{"ES_INDEX", EnvSyncJobsIndex} {
			env := map[string]string{"PG_URL": "postgres://u@127.0.0.1:5432/db", "ES_INDEX": "rows"}
			env[setting] = name
			_, err := LoadConfig(config.FromMap(env))
			if err == nil || !strings.Contains(err.Error(), setting) {
				t.Errorf("%s=%q: err = %v, want a refusal naming %s", setting, name, err, setting)
			}
		}
	}
	if _, err := LoadConfig(config.FromMap(map[string]string{"PG_URL": "postgres://u@127.0.0.1:5432/db", "ES_INDEX": "a%2fb"})); err != nil {
		t.Errorf("a literal %% is a valid index name: %v", err)
	}
}
