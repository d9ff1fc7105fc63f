package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/sink"
)

// maxWarmAllocShare is the most a warm invocation may allocate, relative to
// its payload, as TestWarmInvocationsReuseBuffers (shared/sink) asserts:
// what is allocated anyway (bulk outcomes, HTTP copy buffers, document
// ids) is about 8%, and each buffer the handler keeps would add more than
// the margin (the decoded keys and values about 68%, the documents 75%,
// the records 11%, the actions 8%), so a budget met means none was
// allocated again.
const maxWarmAllocShare = 0.15

// allocResult is what the sink's handler allocates per invocation of one
// event, opened from settings as the bootstrap does, in this process.
type allocResult struct {
	Event        eventSpec
	PayloadBytes int
	// First is the first invocation's allocation; Worst the largest of
	// the later ones.
	First, Worst uint64
}

func (a allocResult) share() float64 { return float64(a.Worst) / float64(a.PayloadBytes) }

// warmAllocations counts the bytes each of n invocations allocates, read
// from the runtime's own counter (every allocation, freed or not).
func warmAllocations(ctx context.Context, node string, ev eventSpec, n int) (allocResult, error) {
	payload, _, err := ev.payload()
	if err != nil {
		return allocResult{}, err
	}
	cfg, err := sink.LoadConfig(config.FromMap(map[string]string{"ES_URL": node, "ES_INDEX": benchTopic}))
	if err != nil {
		return allocResult{}, err
	}
	h, closeFn, err := sink.Open(ctx, cfg, nil)
	if err != nil {
		return allocResult{}, err
	}
	defer closeFn()
	res := allocResult{Event: ev, PayloadBytes: len(payload)}
	for i := range n {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := h.Handle(ctx, payload)
		runtime.ReadMemStats(&after)
		if err != nil || r.Indexed != ev.Records {
			return res, fmt.Errorf("in-process handler: indexed %d of %d: %v", r.Indexed, ev.Records, err)
		}
		got := after.TotalAlloc - before.TotalAlloc
		if i == 0 {
			res.First = got
		} else {
			res.Worst = max(res.Worst, got)
		}
	}
	return res, nil
}
