package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/pgsync"
)

// Exit statuses beyond 0 (success, or usage asked for) and 1 (failure).
const (
	// ExitUsage is for flags or arguments the demo does not take.
	ExitUsage = 2
	// ExitInterrupted is the shell's status for a process stopped by SIGINT.
	ExitInterrupted = 130
)

var (
	// ErrUsage is wrapped by Command's error for flags or arguments it does
	// not take.
	ErrUsage = errors.New("usage")
	// ErrInterrupted is Command's error when ctx ends the demo early.
	ErrInterrupted = errors.New("interrupted; everything the demo started is stopped")
)

// ExitCode is the process exit status for an error returned by Command.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		return ExitUsage
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	}
	return 1
}

// Command is the demo's command line, shared by `esconnect demo` and the
// esconnect-demo program behind `make demo`. name is the command as the
// usage text shows it. Errors are for the caller to print; ExitCode maps
// them to an exit status.
func Command(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	pgURL, ok := os.LookupEnv(pgsync.EnvPGURL)
	if !ok {
		pgURL = DefaultPGURL
	}
	fs.StringVar(&opts.KafkaAddr, "kafka", devstack.DefaultKafkaAddr, "preferred Kafka listen address; a taken port falls back to a free one")
	fs.StringVar(&opts.ESAddr, "es", devstack.DefaultESAddr, "preferred Elasticsearch-API listen address; a taken port falls back to a free one")
	fs.BoolVar(&opts.Ephemeral, "ephemeral", false, "always listen on free ports")
	fs.StringVar(&opts.PGURL, "pg-url", pgURL, "PostgreSQL URL for the pg-es-sync step (default: PG_URL, else the local test server)")
	fs.StringVar(&opts.PGSchema, "pg-schema", DefaultPGSchema, "schema the demo drops and recreates; pg-es-sync writes to an index of the same name")
	fs.BoolVar(&opts.RequirePG, "require-pg", false, "fail instead of skipping pg-es-sync when PostgreSQL is not reachable")
	fs.DurationVar(&opts.IndexTimeout, "timeout", 0, "longest wait for the consumer to index the samples (default 30s)")
	verbose := fs.Bool("v", false, "log the consumer's and handlers' steps to stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [flags]\n", name)
		fmt.Fprintln(stderr, "\nStarts the dev stack, produces sample messages, indexes them with kafka-es-sink,")
		fmt.Fprintln(stderr, "prints the search response, runs pg-es-sync when PostgreSQL is reachable, then runs it as the")
		fmt.Fprintln(stderr, "connector service of a connector made through the Connector API, and exits.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package has printed the problem and the usage.
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	// The demo's own output is on stdout; logs would bury it, so only
	// errors reach stderr unless asked for.
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	opts.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	_, err := Run(ctx, opts, stdout)
	if err != nil && ctx.Err() != nil {
		return ErrInterrupted
	}
	return err
}
