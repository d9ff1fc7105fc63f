package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/pgsync"
)

func init() {
	register("sync", "run a full PostgreSQL -> Elasticsearch sync now (pg-es-sync settings from the environment)", runSync)
}

// runSync runs one on-demand sync with the deployed function's settings and
// prints the job record as JSON. On a terminal, stderr shows progress.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("quiet", false, "no progress display, even on a terminal")
	verbose := fs.Bool("v", false, "log the sync's steps to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect sync [-quiet] [-v]")
		fmt.Fprintln(stderr, "\nRuns a full sync with trigger_method on_demand. Settings come from the environment,")
		fmt.Fprintln(stderr, "as for the pg-es-sync function (PG_URL or PG_HOST..., ES_URL, ES_INDEX, ...; see docs/pg-es-sync.md).")
		fmt.Fprintln(stderr, "Prints the job record; exits 1 when the job ends in error, 0 when completed or skipped.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitCodeError{code: 2, err: fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	cfg, err := pgsync.LoadConfig(config.FromOS())
	if err != nil {
		return &exitCodeError{code: 2, err: fmt.Errorf("settings:\n%w", err)}
	}
	if err := useAWSChain(ctx, &cfg.Elasticsearch); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	h, closeFn, err := pgsync.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() { _ = closeFn() }()

	var progress func(pgsync.Progress)
	if !*quiet && isCharDevice(stderr) {
		progress = func(p pgsync.Progress) { fmt.Fprint(stderr, "\r\x1b[K"+formatProgress(p)) }
	}
	job, syncErr := h.Sync(ctx, pgsync.TriggerOnDemand, progress)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(job); err != nil {
		return err
	}
	return syncErr
}

// formatProgress is one status line: tables done, rows and rate.
func formatProgress(p pgsync.Progress) string {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Rows) / s
	}
	line := fmt.Sprintf("tables %d/%d  rows %d  %.0f rows/s  %s", p.TablesDone, p.TablesTotal, p.Rows, rate,
		p.Elapsed.Truncate(100*time.Millisecond))
	if p.Source != "" {
		line += "  reading " + p.Source
	}
	return line
}

// isCharDevice reports whether w is a character device such as a terminal;
// pipes, files and buffers get plain output.
func isCharDevice(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
