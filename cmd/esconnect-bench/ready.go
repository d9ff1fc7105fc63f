package main

import (
	"context"
	"time"
)

// readyResult compares start to ready of kafka-es-sink's bootstrap with
// the aws-lambda-go hello world.
type readyResult struct {
	Sink, Hello spread // seconds from process start to the first next request
	Ratio       spread // sink / hello, pair by pair
}

// startToReady starts each binary n times, alternating, and measures the
// time from starting the process to its first Runtime API next request.
func startToReady(ctx context.Context, bin binaries, node string, n int) (readyResult, error) {
	var res readyResult
	env := []string{"ES_URL=" + node, "ES_INDEX=" + benchTopic}
	for range n {
		for i, b := range []string{bin.Sink, bin.Hello} {
			p, err := startLambda(b, env)
			if err != nil {
				return res, err
			}
			d, err := p.readyAfter(ctx, 30*time.Second)
			p.stop()
			if err != nil {
				return res, err
			}
			if i == 0 {
				res.Sink = append(res.Sink, d.Seconds())
			} else {
				res.Hello = append(res.Hello, d.Seconds())
			}
		}
	}
	res.Ratio = pairRatios(res.Sink, res.Hello)
	return res, nil
}
