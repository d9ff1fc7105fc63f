package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// budget is one of the budgets and whether this run met it.
type budget struct {
	what     string
	met      bool
	measured string
}

type budgetList []budget

func (b *budgetList) add(what string, met bool, measured string) {
	*b = append(*b, budget{what, met, measured})
}

// print lists the budgets and returns how many were not met.
func (b budgetList) print(out io.Writer) int {
	if len(b) == 0 {
		return 0
	}
	fmt.Fprintln(out, "\nBudgets")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	missed := 0
	for _, x := range b {
		verdict := "met"
		if !x.met {
			verdict = "NOT MET"
			missed++
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", verdict, x.what, x.measured)
	}
	tw.Flush()
	return missed
}

func printWhole(out io.Writer, pairs int, rs []wholeResult) {
	fmt.Fprintf(out, "\n(a) Whole process: `esconnect invoke kafka-es-sink --event FILE` vs the naive baseline, into `esconnect esnode --blackhole`\n")
	fmt.Fprintf(out, "    %d alternating runs of each per event; wall time from exec to exit; speed-up = baseline / esconnect, pair by pair: median (min-max)\n", pairs)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  event\tpayload\tesconnect\tbaseline\tspeed-up\tCPU-time speed-up")
	for _, r := range rs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.Event, mib(float64(r.PayloadBytes)), r.ESConnect.durations(), r.Naive.durations(),
			r.Ratio.ratio(), r.CPURatio.ratio())
	}
	tw.Flush()
}

func printWarm(out io.Writer, n int, rs []warmResult, alloc allocResult) {
	fmt.Fprintf(out, "\n(b) Warm invocations: kafka-es-sink's bootstrap vs the baseline as a Lambda function, through a Runtime API emulator\n")
	fmt.Fprintf(out, "    %d invocations of each, alternating; time from handing out the event to the result; RSS read from /proc after the 1st and the last\n", n)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  event\tfunction\t1st\tlater: median (min-max)\tRSS after 1st\tafter last\tpeak RSS")
	for _, r := range rs {
		for _, s := range []struct {
			name string
			w    warmSide
		}{{"kafka-es-sink", r.Sink}, {"baseline", r.Naive}} {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Event, s.name, ms(s.w.First.Seconds()), s.w.Later.durations(),
				mib(float64(s.w.RSSFirst)), mib(float64(s.w.RSSLast)), mib(float64(s.w.Peak)))
		}
		fmt.Fprintf(tw, "  %s\tspeed-up\t\t%s\t\t\t\n", r.Event, r.Ratio.ratio())
	}
	tw.Flush()
	fmt.Fprintf(out, "    in-process handler, %s event (%s): 1st invocation allocated %s, later ones at most %s (%.1f%% of the payload)\n",
		alloc.Event, mib(float64(alloc.PayloadBytes)), mib(float64(alloc.First)), mib(float64(alloc.Worst)), 100*alloc.share())
}

func printReady(out io.Writer, n int, r readyResult) {
	fmt.Fprintf(out, "\n(c) Start to ready: process start to the first Runtime API next request, %d alternating starts of each\n", n)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  kafka-es-sink\t%s\n", r.Sink.durations())
	fmt.Fprintf(tw, "  aws-lambda-go hello world\t%s\n", r.Hello.durations())
	fmt.Fprintf(tw, "  kafka-es-sink / hello world\t%s\n", r.Ratio.ratio())
	tw.Flush()
}

func printCPU(out io.Writer, blocks int, r cpuResult) {
	fmt.Fprintf(out, "\n(d) CPU path (decode + build + bulk encoding, warm) vs the lower bound (base64 decode + JSON escape of the same bytes), %s event, %d alternating blocks\n", cpuEvent, blocks)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	mbps := func(s spread) string { return fmt.Sprintf("%.0f MB/s", float64(r.PayloadBytes)/s.median()/1e6) }
	fmt.Fprintf(tw, "  CPU path\t%s CPU per event\t%s of payload per CPU second\n", r.Path.durations(), mbps(r.Path))
	fmt.Fprintf(tw, "  lower bound\t%s CPU per event\t%s\n", r.Bound.durations(), mbps(r.Bound))
	fmt.Fprintf(tw, "  lower bound / CPU path\t%s by CPU time\t%s by wall time\n", r.Ratio.ratio(), r.WallRatio.ratio())
	tw.Flush()
}

func printSize(out io.Writer, r sizeResult) {
	fmt.Fprintf(out, "\n(e) kafka-es-sink bootstrap, linux/arm64, built like make build: %s bytes; pgx packages linked: %d\n", thousands(int(r.Bytes)), len(r.PGX))
}
