package connector

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// ErrConfiguration is wrapped by every problem with a connector's
// configuration or sync rules; the message names the fields.
var ErrConfiguration = errors.New("connector configuration")

// requiredFields are the fields a sync cannot run without, as Elastic's
// connector refuses them empty.
var requiredFields = []string{FieldHost, FieldPort, FieldUsername, FieldPassword, FieldDatabase, FieldSchema, FieldTables}

// fromConnector holds what the configuration says, before it becomes
// pgsync settings.
type fromConnector struct {
	env map[string]string
	// caPEM is the SSL certificate to write to a file for the driver.
	caPEM string
}

// envFromConnector turns a connector's configuration and active filtering
// into the pg-es-sync settings they stand for, reporting every problem at
// once. Settings of the process environment that the connector owns
// (PG_*, SYNC_QUERIES, ES_INDEX, SYNC_JOBS_INDEX) are dropped: the connector
// document is the only source of what is synced where.
func envFromConnector(environ []string, indexName string, cfg map[string]any, filtering map[string]any) (fromConnector, error) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG_") || k == pgsync.EnvSyncQueries || k == pgsync.EnvIndex || k == pgsync.EnvSyncJobsIndex {
			continue
		}
		env[k] = v
	}
	var problems []string
	value := func(name string) (any, bool) {
		f, ok := cfg[name].(map[string]any)
		if !ok {
			return nil, false
		}
		v := f["value"]
		if v == nil || v == "" {
			return nil, false
		}
		return v, true
	}
	text := func(name string) string {
		v, ok := value(name)
		if !ok {
			return ""
		}
		switch t := v.(type) {
		case string:
			return strings.TrimSpace(t)
		case json.Number:
			return t.String()
		case float64:
			return strconv.FormatFloat(t, 'f', -1, 64)
		case []any:
			parts := make([]string, 0, len(t))
			for _, p := range t {
				parts = append(parts, fmt.Sprint(p))
			}
			return strings.Join(parts, ",")
		}
		return fmt.Sprint(v)
	}
	if len(cfg) == 0 {
		return fromConnector{}, fmt.Errorf("%w: the connector has no configuration", ErrConfiguration)
	}
	var empty []string
	for _, name := range requiredFields {
		if text(name) == "" {
			empty = append(empty, name)
		}
	}
	if len(empty) > 0 {
		problems = append(problems, fmt.Sprintf("configured keys %v can't be empty", empty))
	}
	if p := text(FieldPort); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			problems = append(problems, "port: "+strconv.Quote(p)+" is not a port number")
		}
	}
	env[pgsync.EnvPGHost] = text(FieldHost)
	env[pgsync.EnvPGPort] = text(FieldPort)
	env[pgsync.EnvPGUser] = text(FieldUsername)
	env[pgsync.EnvPGPassword] = text(FieldPassword)
	env[pgsync.EnvPGDatabase] = text(FieldDatabase)
	env[pgsync.EnvPGSchema] = text(FieldSchema)
	env[pgsync.EnvPGTables] = text(FieldTables)
	env[pgsync.EnvIndex] = indexName
	if fs := text(FieldFetchSize); fs != "" {
		env[pgsync.EnvFetchSize] = fs
	}
	if _, set := env[pgsync.EnvFieldNames]; !set {
		// Elastic's connector names fields {schema}_{table}_{column}.
		env[pgsync.EnvFieldNames] = pgsync.FieldNamesElastic
	}
	out := fromConnector{env: env}
	if v, _ := value(FieldSSLEnabled); v == true || v == "true" {
		out.caPEM = text(FieldSSLCA)
		if out.caPEM == "" {
			problems = append(problems, "ssl_ca: SSL certificate must be configured when ssl_enabled is on")
		}
		env[pgsync.EnvPGSSLMode] = "verify-full"
	}
	rules, err := advancedRules(filtering)
	if err != nil {
		problems = append(problems, err.Error())
	} else if rules != "" {
		env[pgsync.EnvSyncQueries] = rules
	}
	if len(problems) > 0 {
		return fromConnector{}, fmt.Errorf("%w: %s", ErrConfiguration, strings.Join(problems, "; "))
	}
	return out, nil
}

// advancedRules turns the active sync rules into SYNC_QUERIES: the
// advanced snippet's value, an array of {"tables", "query", "id_columns"}
// as Elastic's PostgreSQL connector takes it. Basic rules other than the
// default include-everything rule filter documents after reading in
// Elastic's connector; pg-es-sync does not do that and refuses them.
func advancedRules(filtering map[string]any) (string, error) {
	if filtering == nil {
		return "", nil
	}
	if rules, _ := filtering["rules"].([]any); len(rules) > 0 {
		for _, r := range rules {
			rule, _ := r.(map[string]any)
			if !(rule["policy"] == "include" && rule["rule"] == "regex" && rule["value"] == ".*") {
				return "", fmt.Errorf("sync rules: basic rule %v is not supported; use advanced sync rules (queries)", rule["id"])
			}
		}
	}
	snippet, _ := filtering["advanced_snippet"].(map[string]any)
	v := snippet["value"]
	switch t := v.(type) {
	case nil:
		return "", nil
	case map[string]any:
		if len(t) == 0 {
			return "", nil
		}
		return "", errors.New("sync rules: the advanced snippet must be an array of {\"tables\", \"query\", \"id_columns\"}")
	case []any:
		if len(t) == 0 {
			return "", nil
		}
		b, err := json.Marshal(t)
		if err != nil {
			return "", fmt.Errorf("sync rules: %w", err)
		}
		return string(b), nil
	}
	return "", errors.New("sync rules: the advanced snippet must be an array of {\"tables\", \"query\", \"id_columns\"}")
}

// pgsyncSettings loads the settings, writing the SSL certificate to a file
// of its own; cleanup removes it. The service's own Elasticsearch
// connection is the one the sync writes through.
func (fc fromConnector) pgsyncSettings(es esclient.Config) (pgsync.Config, func(), error) {
	cleanup := func() {}
	if fc.caPEM != "" {
		dir, err := os.MkdirTemp("", "esconnect-connector-ca")
		if err != nil {
			return pgsync.Config{}, cleanup, fmt.Errorf("writing the SSL certificate: %w", err)
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		path := filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(path, []byte(fc.caPEM), 0o600); err != nil {
			cleanup()
			return pgsync.Config{}, func() {}, fmt.Errorf("writing the SSL certificate: %w", err)
		}
		fc.env[pgsync.EnvPGSSLRootCert] = path
	}
	cfg, err := pgsync.LoadConfig(config.FromMap(fc.env))
	if err != nil {
		cleanup()
		return pgsync.Config{}, func() {}, fmt.Errorf("%w: %s", ErrConfiguration, connectorNames(err.Error()))
	}
	cfg.JobsIndex = ""
	cfg.Elasticsearch = es
	return cfg, cleanup, nil
}

// connectorNames rewrites the environment variable names in a settings
// error into the configuration field names the operator set.
func connectorNames(msg string) string {
	names := map[string]string{
		pgsync.EnvPGHost: FieldHost, pgsync.EnvPGPort: FieldPort, pgsync.EnvPGUser: FieldUsername,
		pgsync.EnvPGPassword: FieldPassword, pgsync.EnvPGDatabase: FieldDatabase, pgsync.EnvPGSchema: FieldSchema,
		pgsync.EnvPGTables: FieldTables, pgsync.EnvFetchSize: FieldFetchSize, pgsync.EnvSyncQueries: "advanced sync rules",
		pgsync.EnvIndex: "index_name", pgsync.EnvPGSSLRootCert: FieldSSLCA,
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	// Longer names first, so PG_SSLROOTCERT is not read as PG_S...
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		msg = strings.ReplaceAll(msg, k, names[k])
	}
	return strings.ReplaceAll(msg, "\n", "; ")
}
