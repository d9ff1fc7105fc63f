// Command esconnect-bench measures esconnect the way users run it and
// prints each figure as a ratio against a reference measured in the same
// run, with the two sides alternating (A B A B ...) so that load from other
// work on the machine falls on both. `make bench` runs it.
//
//   - whole process: `esconnect invoke kafka-es-sink --event FILE` against
//     the naive baseline program (cmd/esconnect-bench/naive) on the same
//     event, into `esconnect esnode --blackhole` running as its own process;
//   - warm invocations: the kafka-es-sink bootstrap and the baseline built
//     as a Lambda function, each serving consecutive invocations through a
//     Lambda Runtime API emulator, and the memory one warm invocation
//     allocates;
//   - start to ready: the bootstrap against an aws-lambda-go hello world
//     (cmd/esconnect-bench/hello) built the same way;
//   - CPU path: decode, build and bulk encoding against a lower bound for
//     the same bytes (base64 decoding and JSON escaping into one buffer);
//   - the stripped linux/arm64 bootstrap's size and whether it links pgx.
//
// Each budget of docs/performance.md is printed as met or not met; with
// -strict a budget not met makes the exit status 1. It runs from the
// module's root (make bench), where it builds the programs it measures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	pairs, warm, starts, cpuBlocks int
	only                           map[string]bool
	strict                         bool
	// writeEvents names a directory to write the benchmark events to,
	// instead of measuring.
	writeEvents string
}

// sections are the parts of the run, in order, for -only.
var sections = []string{"whole", "warm", "ready", "cpu", "size"}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("esconnect-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.pairs, "pairs", 11, "alternating runs of each program per event in the whole-process comparison")
	fs.IntVar(&o.warm, "warm", 20, "consecutive invocations of each function per event")
	fs.IntVar(&o.starts, "starts", 20, "starts of each binary in the start-to-ready comparison")
	fs.IntVar(&o.cpuBlocks, "cpu-blocks", 15, "alternating 50 ms blocks of each side in the CPU-path comparison")
	only := fs.String("only", strings.Join(sections, ","), "sections to run: "+strings.Join(sections, ", "))
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a budget is not met")
	fs.StringVar(&o.writeEvents, "write-events", "", "write the benchmark events as JSON files into this `directory` and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, n := range []int{o.pairs, o.warm, o.starts, o.cpuBlocks} {
		if n < 1 || n > 1000 {
			return o, errors.New("counts must be between 1 and 1000")
		}
	}
	o.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(s)
		if !contains(sections, s) {
			return o, fmt.Errorf("-only: unknown section %q (want %s)", s, strings.Join(sections, ", "))
		}
		o.only[s] = true
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "esconnect-bench:", err)
		return 2
	}
	if o.writeEvents != "" {
		if err := writeEvents(o.writeEvents, stdout); err != nil {
			fmt.Fprintln(stderr, "esconnect-bench:", err)
			return 1
		}
		return 0
	}
	budgets, err := measure(ctx, o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "esconnect-bench:", err)
		return 1
	}
	missed := budgets.print(stdout)
	if missed > 0 && o.strict {
		return 1
	}
	return 0
}

// measure runs the sections o names and prints each as it finishes.
func measure(ctx context.Context, o options, out io.Writer) (budgetList, error) {
	var budgets budgetList
	dir, err := os.MkdirTemp("", "esconnect-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "esconnect-bench: %s %s/%s, %d CPUs, load average %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), loadAverage())
	start := time.Now()
	bin, err := build(ctx, dir)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "built esconnect, kafka-es-sink (host bootstrap), the naive baseline and the hello world in %.1f s\n", time.Since(start).Seconds())
	node, err := startESNode(ctx, bin.ESConnect)
	if err != nil {
		return nil, err
	}
	defer node.Stop()

	if o.only["whole"] {
		var results []wholeResult
		for _, ev := range wholeEvents {
			r, err := wholeProcess(ctx, bin, node.URL, dir, ev, o.pairs)
			if err != nil {
				return nil, err
			}
			results = append(results, r)
			if min, ok := wholeBudgets[ev]; ok {
				budgets.add(fmt.Sprintf("whole process %s: esconnect invoke >= %.1fx the baseline", ev, min), r.Ratio.median() >= min, r.Ratio.ratio())
			}
		}
		printWhole(out, o.pairs, results)
	}
	if o.only["warm"] {
		var results []warmResult
		for _, ev := range warmEvents {
			r, err := warmInvocations(ctx, bin, node.URL, ev, o.warm)
			if err != nil {
				return nil, err
			}
			results = append(results, r)
		}
		alloc, err := warmAllocations(ctx, node.URL, warmEvents[len(warmEvents)-1], o.warm)
		if err != nil {
			return nil, err
		}
		printWarm(out, o.warm, results, alloc)
		budgets.add(fmt.Sprintf("warm invocations of the %s event allocate no new arena (<= %.0f%% of the payload)", alloc.Event, 100*maxWarmAllocShare),
			alloc.share() <= maxWarmAllocShare, fmt.Sprintf("%.1f%% (%s of %s)", 100*alloc.share(), mib(float64(alloc.Worst)), mib(float64(alloc.PayloadBytes))))
	}
	if o.only["ready"] {
		r, err := startToReady(ctx, bin, node.URL, o.starts)
		if err != nil {
			return nil, err
		}
		printReady(out, o.starts, r)
		budgets.add("start to ready <= 1.5x the aws-lambda-go hello world", r.Ratio.median() <= 1.5, r.Ratio.ratio())
	}
	if o.only["cpu"] {
		r, err := cpuPathVsBound(o.cpuBlocks)
		if err != nil {
			return nil, err
		}
		printCPU(out, o.cpuBlocks, r)
		budgets.add("CPU path >= 0.5 of the lower bound's speed", r.Ratio.median() >= 0.5, r.Ratio.ratio())
	}
	if o.only["size"] {
		r, err := sinkSize(ctx, dir)
		if err != nil {
			return nil, err
		}
		printSize(out, r)
		budgets.add(fmt.Sprintf("stripped linux/arm64 kafka-es-sink < %s B", thousands(previousSinkBytes)), r.Bytes < previousSinkBytes, thousands(int(r.Bytes))+" B")
		linked := "none"
		if len(r.PGX) > 0 {
			linked = strings.Join(r.PGX, " ")
		}
		budgets.add("kafka-es-sink does not link pgx", len(r.PGX) == 0, linked)
	}
	return budgets, nil
}

// previousSinkBytes is the stripped arm64 kafka-es-sink's size before this
// round of work; the budget is to be smaller.
const previousSinkBytes = 9_830_562

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
