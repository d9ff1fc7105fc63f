package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/connector"
)

func init() {
	register("connector", "run pg-es-sync as the connector service of an Elastic connector (connector run --id ID)", runConnector)
}

// runConnector serves `esconnect connector run --id ID [--once]`.
func runConnector(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: esconnect connector run --id ID [--once] [--interval 30s] [-v]")
		return &exitCodeError{code: 2, err: fmt.Errorf("connector: want the subcommand run")}
	}
	fs := flag.NewFlagSet("connector run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "the connector's id (CONNECTOR_ID when not given)")
	once := fs.Bool("once", false, "look at the connector once, run its pending jobs, print the result and exit")
	interval := fs.Duration("interval", connector.DefaultRunInterval, "how often a long-running service looks at the connector")
	verbose := fs.Bool("v", false, "log each step to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect connector run --id ID [--once] [--interval 30s] [-v]")
		fmt.Fprintln(stderr, "\nActs as the connector service of the postgresql connector ID, driven through")
		fmt.Fprintln(stderr, "Elasticsearch's Connector API (see docs/connector.md). The connector document holds the")
		fmt.Fprintln(stderr, "index, the PostgreSQL configuration and the sync rules; the environment holds only the")
		fmt.Fprintln(stderr, "Elasticsearch connection (ES_URL, ES_API_KEY, ...) and bulk and retry settings.")
		fmt.Fprintln(stderr, "With --once it prints the run's result and exits 1 when a job or the connector ended in error;")
		fmt.Fprintln(stderr, "without it, it runs until interrupted and honours scheduling.full.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitCodeError{code: 2, err: fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	cfg, err := connector.LoadConfig(config.FromOS(), *id)
	if err != nil {
		return &exitCodeError{code: 2, err: fmt.Errorf("settings:\n%w", err)}
	}
	if err := useAWSChain(ctx, &cfg.Elasticsearch); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose || !*once {
		level = slog.LevelInfo
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	svc, closeFn, err := connector.New(cfg)
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()
	if !*once {
		return svc.Run(ctx, *interval)
	}
	res, runErr := svc.RunOnce(ctx)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	return runErr
}
