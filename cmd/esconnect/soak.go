package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/soak"
)

func init() {
	register("soak", "reliability soak: the consumer under Elasticsearch faults and SIGKILLs, checked for lost and duplicated records", runSoak)
}

// soakFlags are the flags of `esconnect soak`.
type soakFlags struct {
	cfg     soak.Config
	docIDs  string
	faults  esnode.Faults
	binary  string
	keepLog string
	waitSes bool
}

func parseSoakFlags(args []string, stderr io.Writer) (soakFlags, []string, error) {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f soakFlags
	def := soak.DefaultFaults()
	fs.IntVar(&f.cfg.N, "n", 200000, "records to produce per id mode")
	fs.StringVar(&f.docIDs, "doc-id", "both", "id mode: offset, key or both (one run each)")
	fs.IntVar(&f.cfg.Kills, "kills", 2, "SIGKILLs of the consumer per run (0: none)")
	fs.IntVar(&f.cfg.Partitions, "partitions", 4, "partitions of the data topic")
	fs.IntVar(&f.cfg.Batch, "batch", 100, "consumer --batch")
	fs.Int64Var(&f.cfg.Seed, "seed", 0, "seed of the kill points and faults (default: from the clock, printed)")
	fs.DurationVar(&f.cfg.Timeout, "timeout", 0, "bound of each run (default 2m + 2ms per record)")
	fs.Float64Var(&f.faults.Item429, "fault-item-429", def.Item429, "fraction of bulk items answered 429")
	fs.Float64Var(&f.faults.Request503, "fault-request-503", def.Request503, "fraction of requests answered 503")
	fs.Float64Var(&f.faults.Request502, "fault-request-502", def.Request502, "fraction of requests answered 502")
	fs.Float64Var(&f.faults.Request504, "fault-request-504", def.Request504, "fraction of requests answered 504")
	fs.Float64Var(&f.faults.Reset, "fault-reset", def.Reset, "fraction of connections reset")
	fs.DurationVar(&f.faults.Latency, "latency", def.Latency, "latency added to each request")
	fs.StringVar(&f.binary, "binary", "", "esconnect executable run as the consumer (default: go build ./cmd/esconnect of the module in the working directory)")
	fs.StringVar(&f.keepLog, "log-dir", "", "keep the consumers' logs in this directory")
	fs.BoolVar(&f.waitSes, "wait-session", false, "after a kill, leave the dead member in the group (the restarted consumer, a static member under the same instance id, takes its place) instead of removing it")
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	if fs.NArg() > 0 {
		return f, nil, &exitCodeError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	var modes []string
	switch f.docIDs {
	case "both":
		modes = []string{soak.DocIDOffset, soak.DocIDKey}
	case soak.DocIDOffset, soak.DocIDKey:
		modes = []string{f.docIDs}
	default:
		return f, nil, &exitCodeError{2, fmt.Errorf("--doc-id %q is not offset, key or both", f.docIDs)}
	}
	if f.cfg.N < 1 {
		return f, nil, &exitCodeError{2, fmt.Errorf("-n %d: at least one record is needed", f.cfg.N)}
	}
	if f.cfg.Kills == 0 {
		f.cfg.Kills = -1 // soak.Config's zero means the default of 2
	}
	f.cfg.Faults = f.faults
	f.cfg.EvictKilled = !f.waitSes
	f.cfg.LogDir = f.keepLog
	return f, modes, nil
}

func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, modes, err := parseSoakFlags(args, stderr)
	if err != nil {
		return err
	}
	if f.cfg.Seed == 0 {
		f.cfg.Seed = time.Now().UnixNano()
	}
	// A seed makes the faults non-zero even when every fraction is 0, so
	// that soak.Run keeps them off instead of applying its defaults.
	f.cfg.Faults.Seed = f.cfg.Seed
	fmt.Fprintf(stderr, "soak: seed %d (repeat the kill points and faults with --seed %d)\n", f.cfg.Seed, f.cfg.Seed)
	if f.binary == "" {
		dir, err := os.MkdirTemp("", "esconnect-soak-bin-")
		if err != nil {
			return fmt.Errorf("build directory: %w", err)
		}
		defer os.RemoveAll(dir)
		root, err := soak.ModuleRoot(ctx, ".")
		if err != nil {
			return fmt.Errorf("%w (run from the esconnect checkout, or pass --binary)", err)
		}
		f.binary = filepath.Join(dir, "esconnect")
		fmt.Fprintf(stderr, "soak: go build ./cmd/esconnect in %s\n", root)
		if err := soak.Build(ctx, root, f.binary); err != nil {
			return err
		}
	}
	if f.keepLog != "" {
		if err := os.MkdirAll(f.keepLog, 0o755); err != nil {
			return fmt.Errorf("log directory: %w", err)
		}
	}
	f.cfg.Binary = f.binary
	f.cfg.Progress = stderr
	var failed []error
	for _, mode := range modes {
		cfg := f.cfg
		cfg.DocID = mode
		began := time.Now()
		rep, err := soak.Run(ctx, cfg)
		if rep.Sent > 0 {
			fmt.Fprintln(stdout, rep.Line())
			fmt.Fprintf(stderr, "soak[%s]: wall time %.1fs\n", mode, time.Since(began).Seconds())
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(stderr, "soak[%s]: %s\n", mode, p)
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("DOC_ID=%s: %w", mode, err))
		}
	}
	if len(failed) > 0 {
		return &exitCodeError{1, errors.Join(failed...)}
	}
	return nil
}
