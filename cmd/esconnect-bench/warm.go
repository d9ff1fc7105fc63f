package main

import (
	"context"
	"fmt"
	"time"
)

// warmEvents are the events of the warm-invocation comparison; the second
// is at least 6 MB, Lambda's payload limit.
var warmEvents = []eventSpec{{1000, 1024}, {4300, 1024}}

// warmSide is one function's warm invocations.
type warmSide struct {
	First time.Duration
	// Later are the invocations after the first, in seconds.
	Later spread
	// RSSFirst and RSSLast are the resident set after the first and the
	// last invocation; Peak the process's high-water mark.
	RSSFirst, RSSLast, Peak int64
}

// warmResult compares kafka-es-sink's bootstrap with the naive baseline
// built as a Lambda function, both through the Runtime API emulator.
type warmResult struct {
	Event        eventSpec
	PayloadBytes int
	Sink, Naive  warmSide
	// Ratio is naive / sink of the invocations after the first, pair by
	// pair.
	Ratio spread
}

// warmLimit bounds one warm invocation.
const warmLimit = time.Minute

// warmInvocations starts both functions and sends each the same event n
// times, alternating between them.
func warmInvocations(ctx context.Context, bin binaries, node string, ev eventSpec, n int) (warmResult, error) {
	payload, _, err := ev.payload()
	if err != nil {
		return warmResult{}, err
	}
	res := warmResult{Event: ev, PayloadBytes: len(payload)}
	env := []string{"ES_URL=" + node, "ES_INDEX=" + benchTopic}
	procs := make([]*lambdaProcess, 2)
	for i, b := range []string{bin.Sink, bin.NaiveLambda} {
		p, err := startLambda(b, env)
		if err != nil {
			return res, err
		}
		defer p.stop()
		if _, err := p.readyAfter(ctx, 30*time.Second); err != nil {
			return res, err
		}
		procs[i] = p
	}
	sides := []*warmSide{&res.Sink, &res.Naive}
	check := indexedAll(ev.Records)
	for k := range n {
		for i, p := range procs {
			inv, err := p.invoke(ctx, payload, warmLimit)
			if err != nil {
				return res, err
			}
			if err := check(inv.Response); err != nil {
				return res, fmt.Errorf("%s: %w", p.cmd.Path, err)
			}
			took := inv.Done.Sub(inv.Sent)
			s := sides[i]
			cur, peak, err := rss(p.cmd.Process.Pid)
			if err != nil {
				return res, err
			}
			s.RSSLast, s.Peak = cur, peak
			if k == 0 {
				s.First, s.RSSFirst = took, cur
				continue
			}
			s.Later = append(s.Later, took.Seconds())
		}
	}
	res.Ratio = pairRatios(res.Naive.Later, res.Sink.Later)
	return res, nil
}
