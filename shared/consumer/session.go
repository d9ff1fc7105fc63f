package consumer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/kafkaops"
)

// session is one group session of this member: from an assignment to the
// revocation (or loss) that ends it. With eager balancing every rebalance
// ends every member's session, and the next assignment starts a new one.
type session struct {
	// cancel ends the session's context: partition workers abandon their
	// fetches and stop retrying, and the state watcher returns.
	cancel context.CancelFunc
	// wg counts the session's goroutines; the session is over when it is
	// zero.
	wg sync.WaitGroup
	// queues holds a queue per partition that has a worker.
	queues map[partitionKey]*partitionQueue
}

// startSession runs in the client's OnPartitionsAssigned callback, which
// comes after the member joined and synced and before the client fetches
// the committed offsets of the assignment and starts fetching: a pause set
// here applies to the session's first fetch.
//
// It starts a worker per partition (none while paused, none for a stopped
// partition) and the state watcher.
func (c *Consumer) startSession(runCtx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	_, gen := cl.GroupMetadata()
	var parts []partitionKey
	for topic, ps := range assigned {
		for _, p := range ps {
			parts = append(parts, partitionKey{topic, p})
		}
	}
	slices.SortFunc(parts, func(a, b partitionKey) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	names := make([]string, len(parts))
	for i, k := range parts {
		names[i] = k.String()
	}
	state, previous := c.joined(gen, names)

	ctx, cancel := context.WithCancel(runCtx)
	s := &session{cancel: cancel, queues: map[partitionKey]*partitionQueue{}}
	if state == kafkaops.MemberPaused {
		// Holding the partitions without fetching: nothing is fetched or
		// committed, and the group keeps them assigned to this member.
		cl.PauseFetchTopics(c.cfg.Topics...)
		c.log.Info("consumer paused", "group", c.cfg.Group, "generation", gen, "held", names)
	} else {
		cl.ResumeFetchTopics(c.cfg.Topics...)
		if previous == kafkaops.MemberPaused {
			c.log.Info("consumer resumed", "group", c.cfg.Group, "generation", gen, "partitions", names)
		}
		for _, k := range parts {
			if err := c.stoppedErr(k); err != nil {
				cl.PauseFetchPartitions(k.topicPartitions())
				c.log.Warn("partition stays stopped", "topic", k.topic, "partition", k.partition, "generation", gen, "error", err.Error())
				continue
			}
			// A queue of an earlier session may have left it paused.
			cl.ResumeFetchPartitions(k.topicPartitions())
			q := newPartitionQueue(k, c.cfg.Batch)
			s.queues[k] = q
			c.log.Info("partition assigned", "generation", gen, "topic", k.topic, "partition", k.partition)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c.consumePartition(runCtx, ctx, cl, gen, q)
			}()
		}
		if len(parts) == 0 {
			c.log.Info("no partitions assigned", "generation", gen)
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.watchState(ctx, cancel, cl, state)
	}()
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
}

// endSession runs in the client's OnPartitionsRevoked and OnPartitionsLost
// callbacks. The client does not rejoin, and so does not give up the
// generation, until the callback returns; and after a revocation it returns
// no more records of the revoked partitions.
//
// It cancels the session and waits for its workers: a fetch not yet handed
// to the handler is abandoned, a handler call in progress finishes and is
// committed under the generation the member is still in. After a revocation
// the coordinator takes that commit — the member is still in the
// generation, which the rebalance waits for up to the rebalance timeout —
// so the next owner starts after the batch. After a loss (the coordinator
// removed the member: session expired, fenced) it refuses the commit, and
// the next owner handles the batch again, which writes the same document
// ids. Either way no offset is committed for a record the handler did not
// finish.
func (c *Consumer) endSession(why string) {
	c.mu.Lock()
	s := c.sess
	c.sess = nil
	c.mu.Unlock()
	if s == nil {
		// The client reports the end of a session once more when it
		// leaves the group.
		return
	}
	if why == "lost" {
		c.log.Warn("group session lost; batches in flight finish, but their commits are refused", "group", c.cfg.Group)
	}
	s.cancel()
	s.wg.Wait()
}

// deliver appends a poll's records of one partition to the session's queue
// for it. There is none for a partition stopped in this session or held by
// a paused session: their fetching is paused, and what a fetch in flight
// still brings is dropped, uncommitted.
func (c *Consumer) deliver(cl *kgo.Client, topic string, partition int32, recs []*kgo.Record) {
	c.mu.Lock()
	var q *partitionQueue
	if c.sess != nil {
		q = c.sess.queues[partitionKey{topic, partition}]
	}
	c.mu.Unlock()
	if q != nil {
		q.push(cl, recs)
	}
}

func (k partitionKey) String() string { return fmt.Sprintf("%s/%d", k.topic, k.partition) }

func (k partitionKey) topicPartitions() map[string][]int32 {
	return map[string][]int32{k.topic: {k.partition}}
}

// partitionQueue holds the records polled for one partition until its
// worker takes them.
//
// The poll loop must never wait for a worker — that would hold up every
// other partition behind the slowest — so a queue that reaches limit
// pauses the fetching of its partition instead, and resumes it once its
// worker has taken it below limit again. The client's position on a paused
// partition stays after the last record it returned, so resuming loses and
// repeats nothing.
type partitionQueue struct {
	key   partitionKey
	limit int
	// ready is signalled (capacity 1) when records are added.
	ready chan struct{}

	mu   sync.Mutex
	recs []*kgo.Record
	// full is set while the queue keeps its partition paused.
	full bool
	// closed drops every record pushed: the partition stopped.
	closed bool
}

func newPartitionQueue(k partitionKey, limit int) *partitionQueue {
	return &partitionQueue{key: k, limit: limit, ready: make(chan struct{}, 1)}
}

func (q *partitionQueue) push(cl *kgo.Client, recs []*kgo.Record) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.recs = append(q.recs, recs...)
	if !q.full && len(q.recs) >= q.limit {
		q.full = true
		cl.PauseFetchPartitions(q.key.topicPartitions())
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take removes and returns up to n records, oldest first.
func (q *partitionQueue) take(cl *kgo.Client, n int) []*kgo.Record {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.recs))
	out := q.recs[:n:n]
	q.recs = q.recs[n:]
	if len(q.recs) == 0 {
		q.recs = nil
	}
	if q.full && len(q.recs) < q.limit {
		q.full = false
		cl.ResumeFetchPartitions(q.key.topicPartitions())
	}
	return out
}

// close drops what the queue holds and everything pushed later, and pauses
// the fetching of its partition for the rest of the run.
func (q *partitionQueue) close(cl *kgo.Client) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed, q.recs = true, nil
	cl.PauseFetchPartitions(q.key.topicPartitions())
}
