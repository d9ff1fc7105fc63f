package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// PartitionStatus is where a group stands on one partition.
type PartitionStatus struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	// Committed is the group's committed offset (the next record to
	// process), or -1 when the group never committed on the partition.
	Committed int64 `json:"committed"`
	// Start is the log start offset (the oldest retained record); End is
	// one past the newest record (the high watermark).
	Start int64 `json:"start_offset"`
	End   int64 `json:"end_offset"`
	// Lag is the records from the group's position to End. Without a
	// commit the position is taken to be Start; a commit outside
	// [Start, End] counts from the nearer bound.
	Lag int64 `json:"lag"`
	// LastCommitted is the record at Committed-1, the newest record the
	// group has processed; nil without a commit or when that record is no
	// longer retained.
	LastCommitted *Record `json:"last_committed,omitempty"`
	// FirstPending is the oldest record the group has not processed; nil
	// when Lag is 0.
	FirstPending *Record `json:"first_pending,omitempty"`
	// DoneUntil is the partition's done time: the measurement time when Lag
	// is 0, otherwise FirstPending's timestamp.
	DoneUntil time.Time `json:"done_until"`
	// Expired reports a commit below Start: records between the commit and
	// Start were deleted by retention before the group processed them.
	Expired bool `json:"expired,omitempty"`
}

// Status is a consumer group's progress over its topics.
type Status struct {
	Group
	// Paused is true when every member reported MemberPaused.
	Paused bool `json:"paused"`
	// At is when the status was measured.
	At         time.Time         `json:"at"`
	Partitions []PartitionStatus `json:"partitions"`
	TotalLag   int64             `json:"total_lag"`
	// DoneTime is the latest time T such that every record produced before
	// T, on every partition listed, has been processed (see DoneTime).
	DoneTime time.Time `json:"done_time"`
	// CaughtUp is true when every partition has Lag 0, so DoneTime is At.
	CaughtUp bool `json:"caught_up"`
}

// ErrNoOffsets is returned by Status without topics for a group that has no
// committed offsets, since there is then no way to know its topics.
var ErrNoOffsets = errors.New("the group has no committed offsets; name its topics")

// Status measures group's progress on topics, or, with no topics, on every
// topic the group has committed offsets for. Partitions the group never
// committed on are included, with Committed -1.
func (a *Admin) Status(ctx context.Context, group string, topics []string) (Status, error) {
	g, err := a.DescribeGroup(ctx, group)
	if err != nil {
		return Status{}, err
	}
	var committed map[string]map[int]int64
	if len(topics) == 0 {
		// A null topic list asks the coordinator for every topic the group
		// has offsets for.
		if committed, err = a.committed(ctx, group, nil); err != nil {
			return Status{}, err
		}
		for t := range committed {
			topics = append(topics, t)
		}
		if len(topics) == 0 {
			return Status{}, fmt.Errorf("group %q: %w", group, ErrNoOffsets)
		}
	}
	sort.Strings(topics)
	parts, err := a.partitions(ctx, topics)
	if err != nil {
		return Status{}, err
	}
	if committed == nil {
		if committed, err = a.committed(ctx, group, parts); err != nil {
			return Status{}, err
		}
	}
	// The clock is read after the offsets: a partition at its end offset
	// now was done at least up to this moment.
	st := Status{Group: g, Paused: g.Paused(), At: a.now().UTC()}
	for _, topic := range topics {
		b, err := a.bounds(ctx, topic, parts[topic])
		if err != nil {
			return Status{}, err
		}
		for _, p := range parts[topic] {
			c, ok := committed[topic][p]
			if !ok {
				c = noCommit
			}
			st.Partitions = append(st.Partitions, PartitionStatus{Topic: topic, Partition: p, Committed: c, Start: b[p].start, End: b[p].end})
		}
	}
	if err := a.readRecordTimes(ctx, st.Partitions, st.At); err != nil {
		return Status{}, err
	}
	st.DoneTime, st.CaughtUp = DoneTime(st.Partitions, st.At)
	for _, ps := range st.Partitions {
		st.TotalLag += ps.Lag
	}
	return st, nil
}

// lookupConcurrency bounds the record lookups of one Status in flight at
// once: each is a fetch round trip, and a status of a topic with a hundred
// partitions on a remote cluster should take a round trip or two per eight
// partitions, not per partition, without flooding the brokers.
const lookupConcurrency = 8

// readRecordTimes completes each partition's status in place, running the
// lookups of different partitions concurrently. The first failure cancels
// the rest.
func (a *Admin) readRecordTimes(ctx context.Context, parts []PartitionStatus, at time.Time) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, lookupConcurrency)
	var wg sync.WaitGroup
	for i := range parts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(ps *PartitionStatus) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := a.partitionStatus(ctx, ps, at); err != nil {
				cancel(err)
			}
		}(&parts[i])
	}
	wg.Wait()
	return context.Cause(ctx)
}

// partitionStatus fills in the lag and done time of ps, reading the records
// on either side of the commit for their timestamps.
func (a *Admin) partitionStatus(ctx context.Context, ps *PartitionStatus, at time.Time) error {
	topic, p, committed := ps.Topic, ps.Partition, ps.Committed
	b := bounds{start: ps.Start, end: ps.End}
	pos := position(committed, b)
	ps.Lag = b.end - pos
	ps.Expired = committed != noCommit && committed < b.start
	if committed > b.start && committed <= b.end {
		rec, ok, err := a.recordAt(ctx, topic, p, committed-1, b.end)
		if err != nil {
			return err
		}
		// Compaction may have removed committed-1; the record found then
		// is at or past the commit and is not the last processed one.
		if ok && rec.Offset == committed-1 {
			ps.LastCommitted = &rec
		}
	}
	ps.DoneUntil = at
	if ps.Lag > 0 {
		rec, ok, err := a.recordAt(ctx, topic, p, pos, b.end)
		if err != nil {
			return err
		}
		if ok {
			ps.FirstPending = &rec
			ps.DoneUntil = rec.Time
		}
	}
	return nil
}

// position is where the group resumes on a partition: its commit, clamped to
// the retained records. Without a commit it is the log start: whether the
// consumer would start there or at the end depends on its reset policy,
// which the broker does not know, and counting from the start never reports
// unprocessed records as done.
func position(committed int64, b bounds) int64 {
	switch {
	case committed == noCommit, committed < b.start:
		return b.start
	case committed > b.end:
		// The log was truncated or the topic recreated below the commit;
		// the consumer resets, there is nothing pending before End.
		return b.end
	}
	return committed
}

// DoneTime is the latest time T such that every record produced before T on
// every partition has been processed: the minimum over partitions of
// DoneUntil. A partition with no lag is done up to at, the measurement
// time — including an empty partition and one whose commit is at its end; a
// partition with lag is done up to the timestamp of its first unprocessed
// record. caughtUp reports that no partition has lag (done time = at).
//
// The first pending record stands for all pending records of its partition,
// which holds when timestamps do not go backwards within a partition
// (LogAppendTime topics, and producers that stamp records as they send).
func DoneTime(parts []PartitionStatus, at time.Time) (done time.Time, caughtUp bool) {
	done, caughtUp = at, true
	for _, ps := range parts {
		if ps.Lag == 0 {
			continue
		}
		caughtUp = false
		if ps.DoneUntil.Before(done) {
			done = ps.DoneUntil
		}
	}
	return done, caughtUp
}
