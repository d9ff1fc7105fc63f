// Package demo is the one-command tour behind `make demo` (`esconnect demo`):
// it starts the embedded dev stack, produces sample messages to Kafka,
// runs the self-hosted kafka-es-sink consumer until they are indexed, prints
// the search response, and, when PostgreSQL is reachable, loads a sample
// schema, runs pg-es-sync, and runs it again as the connector service of a
// connector created through the Connector API. Everything it starts it
// stops before Run returns.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// Names the demo uses, the ones of the Alibaba Cloud Kafka Elasticsearch sink
// connector's walkthrough, so its output reads like that documentation.
const (
	Topic = "elasticsearch-test-input"
	Index = "elastic_test"
	// DefaultPGSchema is recreated on every run, so the demo never touches
	// tables it did not create. pg-es-sync writes into an index of the same
	// name; since its lock is keyed on the index, runs with different
	// schemas never skip each other.
	DefaultPGSchema = "esconnect_demo"
	// DefaultPGURL is the local PostgreSQL the project's tests use.
	DefaultPGURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// Section headings that carry JSON; the JSON document starts on the line
// after the heading. Tests find the output by them.
const (
	HeadingSearch = "GET " + Index + "/_search"
	HeadingJob    = "pg-es-sync job"
)

// Options configures Run. Zero fields take the defaults in withDefaults.
type Options struct {
	// KafkaAddr and ESAddr are the preferred listen addresses; a taken port
	// falls back to a free one.
	KafkaAddr, ESAddr string
	// Ephemeral skips the preferred ports and always takes free ones, as
	// tests need.
	Ephemeral bool
	// PGURL is the PostgreSQL connection URL; PGSchema the schema the demo
	// recreates.
	PGURL    string
	PGSchema string
	// PGConnectTimeout bounds the reachability check, so a machine without
	// PostgreSQL is not kept waiting.
	PGConnectTimeout time.Duration
	// RequirePG turns an unreachable PostgreSQL into an error instead of a
	// skipped step.
	RequirePG bool
	// IndexTimeout bounds the wait for the consumer to index the samples.
	IndexTimeout time.Duration
	// SyncTimeout bounds the pg-es-sync step.
	SyncTimeout time.Duration
	// Log receives the consumer's and handlers' log lines; nil discards them.
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.KafkaAddr == "" {
		o.KafkaAddr = devstack.DefaultKafkaAddr
	}
	if o.ESAddr == "" {
		o.ESAddr = devstack.DefaultESAddr
	}
	if o.PGURL == "" {
		o.PGURL = DefaultPGURL
	}
	if o.PGSchema == "" {
		o.PGSchema = DefaultPGSchema
	}
	if o.PGConnectTimeout <= 0 {
		// Long enough for a local server under load, short enough that a
		// missing one costs the demo little.
		o.PGConnectTimeout = 3 * time.Second
	}
	if o.IndexTimeout <= 0 {
		// A consumer group join plus one batch take about a second; the
		// margin covers a loaded machine while keeping the demo under a
		// minute when something is wrong.
		o.IndexTimeout = 30 * time.Second
	}
	if o.SyncTimeout <= 0 {
		// The sample tables hold a handful of rows.
		o.SyncTimeout = 20 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Report is what a run did, for callers that want more than the output.
type Report struct {
	KafkaAddr string
	ESURL     string
	// Produced and Indexed count the sample messages and the documents found
	// in Index afterwards.
	Produced int
	Indexed  int64
	// Job is the pg-es-sync job record; nil when that step was skipped.
	Job *pgsync.Job
	// Connector is what the connector step did; nil when it was skipped.
	Connector *ConnectorReport
	// Skipped says what was skipped and why, one line per step.
	Skipped []string
}

// ErrPGUnreachable is wrapped when PostgreSQL cannot be reached and
// Options.RequirePG is set.
var ErrPGUnreachable = errors.New("postgresql not reachable")

// Run runs the demo, printing its sections to out. It returns an error when
// a step failed; a cancelled ctx (Ctrl-C) stops it and everything it started.
func Run(ctx context.Context, opts Options, out io.Writer) (rep Report, err error) {
	opts = opts.withDefaults()
	p := &printer{w: out}
	// A step cut short by Ctrl-C fails with whatever its client makes of a
	// cancelled context; the caller needs to know it was the interruption.
	defer func() {
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("interrupted: %w (%v)", ctx.Err(), err)
		}
	}()

	p.title("esconnect demo")
	stack, err := startStack(ctx, opts, p)
	if err != nil {
		return rep, err
	}
	// The stack outlives every step; closing it last lets each step's clients
	// disconnect first.
	defer func() {
		if cerr := stack.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	rep.KafkaAddr, rep.ESURL = stack.KafkaAddrs[0], stack.ESURL

	es, closeES, err := newESClient(stack.ESURL)
	if err != nil {
		return rep, err
	}
	defer closeES()

	if rep.Produced, err = produceSamples(ctx, rep.KafkaAddr, p); err != nil {
		return rep, err
	}
	if err = consumeUntilIndexed(ctx, opts, rep.KafkaAddr, stack.ESURL, rep.Produced, p); err != nil {
		return rep, err
	}
	if rep.Indexed, err = printSearch(ctx, es, p); err != nil {
		return rep, err
	}
	job, skipped, err := syncPostgres(ctx, opts, stack.ESURL, es, p)
	if err != nil {
		return rep, err
	}
	rep.Job = job
	if skipped != "" {
		rep.Skipped = append(rep.Skipped, skipped)
	}
	conn, connSkipped, err := runConnector(ctx, opts, stack.ESURL, es, skipped, p)
	rep.Connector = conn
	if err != nil {
		return rep, err
	}
	if connSkipped != "" {
		rep.Skipped = append(rep.Skipped, connSkipped)
	}

	p.section("Done")
	if len(rep.Skipped) == 0 {
		p.line("Every step ran. The dev stack stops now; its data lives in memory only.")
	} else {
		for _, s := range rep.Skipped {
			p.line("Skipped: %s", s)
		}
	}
	p.line("Next: docs/demo.md, docs/devstack.md (keep the stack running), docs/kafka-es-sink.md, docs/pg-es-sync.md,")
	p.line("docs/connector.md.")
	return rep, p.err
}

// printer writes the headed sections and remembers the first write error,
// so the steps need not check every line.
type printer struct {
	w   io.Writer
	n   int
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

func (p *printer) title(s string) {
	p.printf("%s\n%s\n", s, strings.Repeat("=", len(s)))
}

// section starts a numbered heading, followed by a blank line's worth of air.
func (p *printer) section(s string) {
	p.n++
	h := fmt.Sprintf("%d. %s", p.n, s)
	p.printf("\n%s\n%s\n", h, strings.Repeat("-", len(h)))
}

// jsonHeading is a line naming the JSON document printed right after it.
func (p *printer) jsonHeading(s string) { p.printf("%s\n", s) }

func (p *printer) line(format string, args ...any) { p.printf(format+"\n", args...) }

func (p *printer) raw(b []byte) {
	p.printf("%s", b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		p.printf("\n")
	}
}
