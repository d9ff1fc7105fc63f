package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/esconnect/esconnect/shared/indexname"
)

// Environment variables of the pg-es-sync function.
const (
	EnvPGURL              = "PG_URL"
	EnvPGHost             = "PG_HOST"
	EnvPGPort             = "PG_PORT"
	EnvPGUser             = "PG_USER"
	EnvPGPassword         = "PG_PASSWORD"
	EnvPGDatabase         = "PG_DATABASE"
	EnvPGSchema           = "PG_SCHEMA"
	EnvPGTables           = "PG_TABLES"
	EnvPGSSLMode          = "PG_SSLMODE"
	EnvPGSSLRootCert      = "PG_SSLROOTCERT"
	EnvSyncQueries        = "SYNC_QUERIES"
	EnvSyncJobsIndex      = "SYNC_JOBS_INDEX"
	EnvFetchSize          = "FETCH_SIZE"
	EnvFieldNames         = "FIELD_NAMES"
	EnvSyncDeadlineMargin = "SYNC_DEADLINE_MARGIN"
	// pgsyncIndexEnv names the target index, as it does for the sink.
	pgsyncIndexEnv = "ES_INDEX"
	// EnvIndexAllowDot permits ES_INDEX and SYNC_JOBS_INDEX names starting
	// with '.', as it does for kafka-es-sink's ES_INDEX.
	EnvIndexAllowDot = "ES_INDEX_ALLOW_DOT"
)

// Field naming styles for FIELD_NAMES.
const (
	// FieldNamesColumn names document fields as the columns are named.
	FieldNamesColumn = "column"
	// FieldNamesElastic names them {schema}_{table}_{column}, lowercased, as
	// Elastic's PostgreSQL connector does.
	FieldNamesElastic = "elastic"
)

// PGSync defaults, in one place.
const (
	// DefaultPGSchema is PostgreSQL's default schema.
	DefaultPGSchema = "public"
	// DefaultPGPort is PostgreSQL's standard port.
	DefaultPGPort = 5432
	// DefaultSyncJobsIndex keeps job records apart from the synced documents.
	DefaultSyncJobsIndex = "esconnect-sync-jobs"
	// DefaultFetchSize rows make one bulk batch: large enough that a bulk
	// request is worth its round trip, small enough that a batch of wide rows
	// stays a few MiB.
	DefaultFetchSize = 1000
	// MaxFetchSize bounds the memory one batch may take.
	MaxFetchSize = 100000
	// DefaultSyncDeadlineMargin is the time kept back before the invocation
	// deadline to stop reading and still write the job record saying so:
	// closing the snapshot, one bulk request and one index request.
	DefaultSyncDeadlineMargin = 15 * time.Second
	// maxIdentifier is PostgreSQL's NAMEDATALEN-1: longer names are truncated
	// by the server, so a longer configured name can never match.
	maxIdentifier = 63
)

// SyncQuery is one advanced sync rule: a query whose rows become documents.
type SyncQuery struct {
	// Tables the query reads; they name the documents' table field and, for
	// FIELD_NAMES=elastic, prefix the field names.
	Tables []string `json:"tables"`
	// Query is a SELECT run in the sync's read-only snapshot.
	Query string `json:"query"`
	// IDColumns are the result columns that make the document id; empty means
	// the primary key columns of Tables.
	IDColumns []string `json:"id_columns,omitempty"`
	// Cursor is the result column an incremental sync reads the rule's
	// changes by; empty means SYNC_CURSOR's default.
	Cursor string `json:"cursor,omitempty"`
}

// PGConn is the PostgreSQL connection string. It carries the password, so
// its fields are unexported (JSON shows nothing) and String leaves it out.
type PGConn struct {
	dsn      string
	display  string
	setting  string
	password string
}

// ConnString returns the full connection string, password included; pass it
// only to the driver.
func (c PGConn) ConnString() string { return c.dsn }

// String describes the connection without the password.
func (c PGConn) String() string { return c.display }

// Setting names the variable the connection string came from (PG_URL, or
// PG_HOST for the separate settings), for error messages.
func (c PGConn) Setting() string { return c.setting }

// Described returns c with the description String gives, made from what
// the driver's parser read from the connection string.
func (c PGConn) Described(display string) PGConn {
	c.display = display
	return c
}

// Scrub removes the password from a driver message; the driver redacts
// what it recognises, this catches the rest.
func (c PGConn) Scrub(msg string) string { return scrub(msg, c.password) }

// PGSync is the configuration of the pg-es-sync function.
type PGSync struct {
	Postgres PGConn
	// Database is the database name, part of every document id, as the
	// driver reads it from the connection string (pgsync.LoadConfig).
	Database string
	Schema   string
	// Tables lists the tables to sync; nil means every table of Schema.
	Tables []string
	// Queries are the advanced rules; when set, Tables is ignored.
	Queries []SyncQuery
	// Index receives the documents.
	Index string
	// JobsIndex receives the sync job records; empty writes none (the
	// caller records the job, as the connector service does).
	JobsIndex  string
	FetchSize  int
	FieldNames string
	// DeadlineMargin is how long before the invocation deadline reading
	// stops.
	DeadlineMargin time.Duration
	// Incremental holds SYNC_MODE and the cursors.
	Incremental   Incremental
	Elasticsearch Elasticsearch
	Bulk          Bulk
}

// ReadPGSync reads the pg-es-sync settings from env and records every
// problem in env (see Env.Err). The connection string is built and its
// parts checked here, but its syntax is checked by pgsync.LoadConfig with
// the driver's own parser, which also sets Database and the connection's
// description: linking the driver here would put it into kafka-es-sink,
// which reads its settings through this package.
func ReadPGSync(env *Env) PGSync {
	c := PGSync{
		Schema:         env.String(EnvPGSchema, DefaultPGSchema),
		Index:          env.Required(pgsyncIndexEnv),
		JobsIndex:      env.String(EnvSyncJobsIndex, DefaultSyncJobsIndex),
		FetchSize:      env.Int(EnvFetchSize, DefaultFetchSize, 1, MaxFetchSize),
		FieldNames:     env.Enum(EnvFieldNames, FieldNamesColumn, FieldNamesColumn, FieldNamesElastic),
		DeadlineMargin: env.Duration(EnvSyncDeadlineMargin, DefaultSyncDeadlineMargin),
		Elasticsearch:  LoadElasticsearch(env),
		Bulk:           LoadBulk(env),
	}
	if c.Elasticsearch.AWSService == AWSServiceAOSS {
		// Deletes of vanished rows are found by scrolling the index's ids.
		env.Fail(EnvESAWSService, "pg-es-sync finds the documents of deleted rows with the scroll API, which OpenSearch Serverless does not offer; use an OpenSearch Service domain (%s=%s)",
			EnvESAWSService, AWSServiceES)
	}
	allowDot := env.Bool(EnvIndexAllowDot, false)
	if c.Index != "" {
		checkIndexName(env, pgsyncIndexEnv, c.Index, allowDot)
	}
	checkIndexName(env, EnvSyncJobsIndex, c.JobsIndex, allowDot)
	checkIdentifier(env, EnvPGSchema, c.Schema)
	if tables := env.List(EnvPGTables, nil); !(len(tables) == 1 && tables[0] == "*") {
		for _, t := range tables {
			checkIdentifier(env, EnvPGTables, t)
		}
		c.Tables = tables
	}
	c.Queries = loadQueries(env)
	c.Incremental = loadIncremental(env, c.Queries)
	c.Postgres = loadPGConn(env)
	return c
}

func loadQueries(env *Env) []SyncQuery {
	raw, ok := env.Lookup(EnvSyncQueries)
	if !ok {
		return nil
	}
	var qs []SyncQuery
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&qs); err != nil {
		env.Fail(EnvSyncQueries, `not a JSON array of {"tables": [...], "query": "SELECT ...", "id_columns": [...]}: %v`, err)
		return nil
	}
	if len(qs) == 0 {
		env.Fail(EnvSyncQueries, "the array is empty; unset it to sync tables")
	}
	for i, q := range qs {
		name := fmt.Sprintf("%s[%d]", EnvSyncQueries, i)
		if strings.TrimSpace(q.Query) == "" {
			env.Fail(name, "query is empty")
		}
		if len(q.Tables) == 0 {
			env.Fail(name, "tables is empty")
		}
		for _, t := range q.Tables {
			checkIdentifier(env, name+".tables", t)
		}
		for _, col := range q.IDColumns {
			checkIdentifier(env, name+".id_columns", col)
		}
		if q.Cursor != "" {
			checkIdentifier(env, name+".cursor", q.Cursor)
		}
	}
	return qs
}

// checkIndexName applies Elasticsearch's rules for index names, so that a
// name with '/', '?' or '#' can never reach a URL path and address another
// index or API. Names starting with '.' are reserved for hidden and system
// indices (.security, .kibana): a typo must not send documents or job
// records there, so they take ES_INDEX_ALLOW_DOT.
func checkIndexName(env *Env, setting, name string, allowDot bool) {
	if err := indexname.Check(name, allowDot); err != nil {
		if strings.HasPrefix(name, ".") && !allowDot {
			env.Fail(setting, "%v (set %s=true to allow it)", err, EnvIndexAllowDot)
			return
		}
		env.Fail(setting, "%v", err)
	}
}

// checkIdentifier rejects names PostgreSQL could never have created. Names
// are not otherwise restricted: they are matched against the catalog and
// quoted, never pasted into SQL.
func checkIdentifier(env *Env, setting, name string) {
	switch {
	case name == "":
		env.Fail(setting, "empty name")
	case len(name) > maxIdentifier:
		env.Fail(setting, "%q is longer than PostgreSQL's %d-byte limit for names", name, maxIdentifier)
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		env.Fail(setting, "%q is not a valid name", name)
	}
}

// loadPGConn builds the connection string from PG_URL, or from PG_HOST and
// its companions.
func loadPGConn(env *Env) PGConn {
	password := env.Secret(EnvPGPassword, "")
	sslmode, hasMode := env.Lookup(EnvPGSSLMode)
	rootcert, hasRoot := env.Lookup(EnvPGSSLRootCert)
	if hasMode {
		switch sslmode {
		case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
		default:
			env.Fail(EnvPGSSLMode, "%q is not one of disable, allow, prefer, require, verify-ca, verify-full", sslmode)
			hasMode = false
		}
	}

	var dsn string
	if u, ok := env.Lookup(EnvPGURL); ok {
		for _, n := range []string{EnvPGHost, EnvPGPort, EnvPGUser, EnvPGDatabase} {
			if _, set := env.Lookup(n); set {
				env.Fail(n, "set together with %s; use one or the other", EnvPGURL)
			}
		}
		dsn = u
		// Settings given separately are appended as keyword/value pairs or
		// query parameters, where they override what the URL says.
		if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			if hasMode {
				dsn += sep + "sslmode=" + url.QueryEscape(sslmode)
				sep = "&"
			}
			if hasRoot {
				dsn += sep + "sslrootcert=" + url.QueryEscape(rootcert)
			}
			if password != "" {
				env.Fail(EnvPGPassword, "set together with a %s URL; put the password in the URL or use PG_HOST", EnvPGURL)
			}
		} else {
			if hasMode {
				dsn += " sslmode=" + kvQuote(sslmode)
			}
			if hasRoot {
				dsn += " sslrootcert=" + kvQuote(rootcert)
			}
			if password != "" {
				dsn += " password=" + kvQuote(password)
			}
		}
	} else {
		host, ok := env.Lookup(EnvPGHost)
		if !ok {
			env.Fail(EnvPGHost, "required when %s is not set", EnvPGURL)
			return PGConn{}
		}
		port := env.Int(EnvPGPort, DefaultPGPort, 1, 65535)
		parts := []string{"host=" + kvQuote(host), "port=" + strconv.Itoa(port)}
		if user, ok := env.Lookup(EnvPGUser); ok {
			parts = append(parts, "user="+kvQuote(user))
		}
		if db, ok := env.Lookup(EnvPGDatabase); ok {
			parts = append(parts, "dbname="+kvQuote(db))
		}
		if hasMode {
			parts = append(parts, "sslmode="+kvQuote(sslmode))
		}
		if hasRoot {
			parts = append(parts, "sslrootcert="+kvQuote(rootcert))
		}
		if password != "" {
			parts = append(parts, "password="+kvQuote(password))
		}
		dsn = strings.Join(parts, " ")
	}

	return PGConn{dsn: dsn, setting: connSetting(env), password: password}
}

func connSetting(env *Env) string {
	if _, ok := env.Lookup(EnvPGURL); ok {
		return EnvPGURL
	}
	return EnvPGHost
}

// kvQuote quotes a value for a keyword/value connection string.
func kvQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s + "'"
}

// scrub removes a password from a driver message; the driver redacts what it
// recognises, this catches the rest.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	for _, p := range []string{password, url.QueryEscape(password), url.PathEscape(password), kvQuote(password)} {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}
