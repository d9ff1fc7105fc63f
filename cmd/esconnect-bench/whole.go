package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// wholeEvents are the events of the whole-process comparison.
var wholeEvents = []eventSpec{{1, 1024}, {1000, 1024}, {20000, 1024}, {300, 64 << 10}}

// wholeBudgets are the minimum speed-ups by record count; the
// event with 64 KiB values has none.
var wholeBudgets = map[eventSpec]float64{{1, 1024}: 1, {1000, 1024}: 1.5, {20000, 1024}: 3}

// wholeResult is one event's comparison.
type wholeResult struct {
	Event                  eventSpec
	PayloadBytes           int
	ESConnect, Naive       spread // wall seconds
	Ratio, CPURatio        spread // naive / esconnect, pair by pair
	ESConnectRSS, NaiveRSS float64
}

// invokeLimit bounds one process of the comparison.
const invokeLimit = 2 * time.Minute

// wholeProcess runs `esconnect invoke kafka-es-sink --event FILE` and the
// naive baseline on the same event file, alternating, pairs times each
// after one unmeasured run of each (which loads both binaries into the page
// cache and opens the node's first connections).
func wholeProcess(ctx context.Context, bin binaries, node string, dir string, ev eventSpec, pairs int) (wholeResult, error) {
	payload, _, err := ev.payload()
	if err != nil {
		return wholeResult{}, err
	}
	file := filepath.Join(dir, ev.fileName())
	if err := os.WriteFile(file, payload, 0o600); err != nil {
		return wholeResult{}, err
	}
	env := []string{"ES_URL=" + node, "ES_INDEX=" + benchTopic, "HOME=" + dir}
	sides := []struct {
		argv  []string
		check func([]byte) error
	}{
		{[]string{bin.ESConnect, "invoke", "kafka-es-sink", "--event", file}, indexedAll(ev.Records)},
		{[]string{bin.Naive, file}, indexedAll(ev.Records)},
	}
	res := wholeResult{Event: ev, PayloadBytes: len(payload)}
	var cpu [2]spread
	for i := -1; i < pairs; i++ {
		for s, side := range sides {
			r, err := runProcess(ctx, env, invokeLimit, side.argv...)
			if err != nil {
				return res, err
			}
			if err := side.check(r.Stdout); err != nil {
				return res, fmt.Errorf("%s on %s: %w", filepath.Base(side.argv[0]), ev, err)
			}
			if i < 0 {
				continue
			}
			cpu[s] = append(cpu[s], r.CPU.Seconds())
			if s == 0 {
				res.ESConnect = append(res.ESConnect, r.Wall.Seconds())
			} else {
				res.Naive = append(res.Naive, r.Wall.Seconds())
			}
		}
	}
	res.Ratio = pairRatios(res.Naive, res.ESConnect)
	res.CPURatio = pairRatios(cpu[1], cpu[0])
	return res, nil
}

// indexedAll checks a result line saying every record was indexed; both
// programs print {"received": N, "indexed": N, ...}.
func indexedAll(n int) func([]byte) error {
	return func(out []byte) error {
		var r struct {
			Received, Indexed int
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("result %q: %w", clip(out), err)
		}
		if r.Received != n || r.Indexed != n {
			return fmt.Errorf("result %q: want %d received and indexed", clip(out), n)
		}
		return nil
	}
}
