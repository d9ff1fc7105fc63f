package pgsync

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
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
	// EnvIndex names the target index, as it does for the sink.
	EnvIndex = "ES_INDEX"
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

// Config is the configuration of the pg-es-sync function.
type Config struct {
	Postgres PGConn
	// Database is the database name, part of every document id, as the
	// driver reads it from the connection string.
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
	Elasticsearch esclient.Config
	Bulk          esbulk.Config
}

// LoadConfig reads the pg-es-sync settings from env and reports every
// problem at once (all of them joined, each naming its variable), the
// connection string's as the driver's own parser sees it among them. The
// database the connection string names becomes Config.Database, part of
// every document id.
func LoadConfig(env *config.Env) (Config, error) {
	c := readConfig(env)
	if dsn := c.Postgres.ConnString(); dsn != "" {
		pc, err := pgconn.ParseConfig(dsn)
		switch {
		case err != nil:
			env.Fail(c.Postgres.Setting(), "not a usable connection: %s", c.Postgres.Scrub(err.Error()))
		case pc.Database == "":
			env.Fail(EnvPGDatabase, "no database named (PG_DATABASE, or the path of PG_URL)")
		default:
			c.Database = pc.Database
			c.Postgres = c.Postgres.described(fmt.Sprintf("host=%s port=%d user=%s dbname=%s", pc.Host, pc.Port, pc.User, pc.Database))
		}
	}
	return c, env.Err()
}

// readConfig reads every setting and checks what can be checked without
// the driver; LoadConfig adds the driver's view of the connection string.
func readConfig(env *config.Env) Config {
	c := Config{
		Schema:         env.String(EnvPGSchema, DefaultPGSchema),
		Index:          env.Required(EnvIndex),
		JobsIndex:      env.String(EnvSyncJobsIndex, DefaultSyncJobsIndex),
		FetchSize:      env.Int(EnvFetchSize, DefaultFetchSize, 1, MaxFetchSize),
		FieldNames:     env.Enum(EnvFieldNames, FieldNamesColumn, FieldNamesColumn, FieldNamesElastic),
		DeadlineMargin: env.Duration(EnvSyncDeadlineMargin, DefaultSyncDeadlineMargin),
		Elasticsearch:  esclient.LoadConfig(env),
		Bulk:           esbulk.LoadConfig(env),
	}
	if c.Elasticsearch.AWSService == esclient.AWSServiceAOSS {
		// Deletes of vanished rows are found by scrolling the index's ids.
		env.Fail(esclient.EnvAWSService, "pg-es-sync finds the documents of deleted rows with the scroll API, which OpenSearch Serverless does not offer; use an OpenSearch Service domain (%s=%s)",
			esclient.EnvAWSService, esclient.AWSServiceES)
	}
	allowDot := env.Bool(EnvIndexAllowDot, false)
	if c.Index != "" {
		checkIndexName(env, EnvIndex, c.Index, allowDot)
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

func loadQueries(env *config.Env) []SyncQuery {
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
func checkIndexName(env *config.Env, setting, name string, allowDot bool) {
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
func checkIdentifier(env *config.Env, setting, name string) {
	switch {
	case name == "":
		env.Fail(setting, "empty name")
	case len(name) > maxIdentifier:
		env.Fail(setting, "%q is longer than PostgreSQL's %d-byte limit for names", name, maxIdentifier)
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		env.Fail(setting, "%q is not a valid name", name)
	}
}
