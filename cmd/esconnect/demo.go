package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/demo"
	"github.com/esconnect/esconnect/shared/devstack"
)

func init() {
	register("demo", "run the whole pipeline on the embedded dev stack and exit (make demo)", runDemo)
}

// exitInterrupted is the shell's status for a process stopped by SIGINT.
const exitInterrupted = 130

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts demo.Options
	pgURL, ok := os.LookupEnv(config.EnvPGURL)
	if !ok {
		pgURL = demo.DefaultPGURL
	}
	fs.StringVar(&opts.KafkaAddr, "kafka", devstack.DefaultKafkaAddr, "preferred Kafka listen address; a taken port falls back to a free one")
	fs.StringVar(&opts.ESAddr, "es", devstack.DefaultESAddr, "preferred Elasticsearch-API listen address; a taken port falls back to a free one")
	fs.BoolVar(&opts.Ephemeral, "ephemeral", false, "always listen on free ports")
	fs.StringVar(&opts.PGURL, "pg-url", pgURL, "PostgreSQL URL for the pg-es-sync step (default: PG_URL, else the local test server)")
	fs.StringVar(&opts.PGSchema, "pg-schema", demo.DefaultPGSchema, "schema the demo drops and recreates; pg-es-sync writes to an index of the same name")
	fs.BoolVar(&opts.RequirePG, "require-pg", false, "fail instead of skipping pg-es-sync when PostgreSQL is not reachable")
	fs.DurationVar(&opts.IndexTimeout, "timeout", 0, "longest wait for the consumer to index the samples (default 30s)")
	verbose := fs.Bool("v", false, "log the consumer's and handlers' steps to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect demo [flags]")
		fmt.Fprintln(stderr, "\nStarts the dev stack, produces sample messages, indexes them with kafka-es-sink,")
		fmt.Fprintln(stderr, "prints the search response, runs pg-es-sync when PostgreSQL is reachable, and exits.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitCodeError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	// The demo's own output is on stdout; logs would bury it, so only
	// errors reach stderr unless asked for.
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	opts.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	_, err := demo.Run(ctx, opts, stdout)
	if err != nil && ctx.Err() != nil {
		return &exitCodeError{exitInterrupted, errors.New("interrupted; everything the demo started is stopped")}
	}
	return err
}
