package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/jackc/pgx/v5"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/indexname"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// sampleSchema is the demo's tables; %[1]s is the quoted schema name. Two
// tables with primary keys become documents; page_views has none, so the
// sync skips it and says so in the job, as Elastic's connector does. The keys
// are not named id: that name is a metadata field of the documents, so such
// a column would be left out of them.
const sampleSchema = `
DROP SCHEMA IF EXISTS %[1]s CASCADE;
CREATE SCHEMA %[1]s;
CREATE TABLE %[1]s.customers (
    customer_id integer PRIMARY KEY,
    name        text NOT NULL,
    email       text,
    tags        text[] NOT NULL DEFAULT '{}',
    signed_up   timestamptz NOT NULL
);
CREATE TABLE %[1]s.orders (
    order_id    bigint PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES %[1]s.customers,
    total       numeric(10,2) NOT NULL,
    items       jsonb NOT NULL,
    shipped     boolean NOT NULL DEFAULT false
);
CREATE TABLE %[1]s.page_views (
    viewed_at timestamptz NOT NULL,
    path      text NOT NULL
);
INSERT INTO %[1]s.customers VALUES
    (1, 'Ada Lovelace', 'ada@example.com', '{vip}', '2024-03-01 09:00:00+00'),
    (2, 'Grace Hopper', NULL, '{}', '2024-03-02 10:30:00+00'),
    (3, 'Alan Turing', 'alan@example.com', '{beta,vip}', '2024-03-03 11:45:00+00');
INSERT INTO %[1]s.orders VALUES
    (1001, 1, 19.90, '[{"sku":"coffee-beans","qty":2}]', true),
    (1002, 2, 42.00, '[{"sku":"espresso-cups","qty":6}]', false),
    (1003, 1, 7.50, '[{"sku":"filter-papers","qty":1}]', false),
    (1004, 3, 120.00, '[{"sku":"grinder","qty":1}]', true);
INSERT INTO %[1]s.page_views VALUES
    ('2024-03-04 08:00:00+00', '/'),
    ('2024-03-04 08:00:05+00', '/pricing');
`

// syncDeadlineMargin replaces pg-es-sync's 15 s margin, which is sized for
// function timeouts of minutes, not for the demo's short bound.
const syncDeadlineMargin = 2 * time.Second

// syncPostgres loads the sample schema and runs pg-es-sync into an index
// named like the schema. When PostgreSQL cannot be reached it returns why
// in skipped instead (or an error wrapping ErrPGUnreachable under
// RequirePG).
func syncPostgres(ctx context.Context, opts Options, esURL string, es esapi.Transport, p *printer) (job *pgsync.Job, skipped string, err error) {
	p.section("pg-es-sync: PostgreSQL -> Elasticsearch")
	cc, err := pgx.ParseConfig(opts.PGURL)
	if err != nil {
		// pgx's parse errors leave the password out.
		return nil, "", fmt.Errorf("PG_URL: %w", err)
	}
	where := describe(cc)
	cc.ConnectTimeout = opts.PGConnectTimeout
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if opts.RequirePG {
			return nil, "", fmt.Errorf("%w at %s: %w", ErrPGUnreachable, where, err)
		}
		p.line("PostgreSQL not reachable at %s: skipping pg-es-sync.", where)
		p.line("  Why:      %v", err)
		p.line("  Start it: pg_ctlcluster --skip-systemctl-redirect <version> main start   (./scripts/ensure-postgres.sh does this)")
		p.line("  Or use another server: PG_URL=postgres://user@host:5432/db make demo")
		return nil, fmt.Sprintf("pg-es-sync, because PostgreSQL is not reachable at %s (see section %d)", where, p.n), nil
	}
	defer conn.Close(context.WithoutCancel(ctx))

	schema := pgx.Identifier{opts.PGSchema}.Sanitize()
	if _, err := conn.Exec(ctx, fmt.Sprintf(sampleSchema, schema)); err != nil {
		return nil, "", fmt.Errorf("load sample schema %s at %s: %w", opts.PGSchema, where, err)
	}
	p.line("PostgreSQL at %s: recreated schema %s with customers (3 rows), orders (4 rows)", where, opts.PGSchema)
	p.line("and page_views (2 rows, no primary key, so the sync skips it).")

	index := opts.PGSchema
	cfg, err := pgsync.LoadConfig(config.FromMap(map[string]string{
		pgsync.EnvPGURL:              opts.PGURL,
		pgsync.EnvPGSchema:           opts.PGSchema,
		esclient.EnvURL:              esURL,
		"ES_INDEX":                   index,
		pgsync.EnvSyncDeadlineMargin: syncDeadlineMargin.String(),
	}))
	if err != nil {
		return nil, "", fmt.Errorf("pg-es-sync settings: %w", err)
	}
	p.line("Same as: PG_URL=... PG_SCHEMA=%s ES_URL=%s ES_INDEX=%s esconnect sync", opts.PGSchema, esURL, index)
	h, closeSync, err := pgsync.Open(ctx, cfg, opts.Log)
	if err != nil {
		return nil, "", fmt.Errorf("open pg-es-sync: %w", err)
	}
	defer func() { _ = closeSync() }()

	syncCtx, cancel := context.WithTimeout(ctx, opts.SyncTimeout)
	defer cancel()
	j, syncErr := h.Sync(syncCtx, pgsync.TriggerOnDemand, nil)
	out, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, "", fmt.Errorf("encode sync job: %w", err)
	}
	p.jsonHeading(HeadingJob)
	p.raw(out)
	if syncErr != nil {
		return &j, "", fmt.Errorf("pg-es-sync: %w", syncErr)
	}

	// One document, to show what a row becomes.
	id := strings.Join([]string{cfg.Database, opts.PGSchema, "customers", "1"}, "_")
	what := "GET " + index + "/_doc/" + id
	body, err := do(ctx, es, what, esapi.GetRequest{Index: indexname.Path(index), DocumentID: indexname.Path(id), Pretty: true})
	if err != nil {
		return &j, "", err
	}
	p.line("")
	p.jsonHeading(what)
	p.raw(body)
	return &j, "", nil
}

// describe names the server without the password.
func describe(cc *pgx.ConnConfig) string {
	return cc.User + "@" + cc.Host + ":" + strconv.Itoa(int(cc.Port)) + "/" + cc.Database
}
