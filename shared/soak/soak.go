package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/esnode"
)

// Names inside the soak's private dev stack.
const (
	dataTopic = "soak"
	dlqTopic  = "soak-dlq"
	group     = "soak"
	index     = "soak"
)

// Errors for branching on.
var (
	// ErrMismatch is returned, with the report, when the run completed but
	// lost, duplicated or misplaced records.
	ErrMismatch = errors.New("soak found lost, duplicated or misplaced records")
	// ErrConsumer is wrapped when the consumer process failed: it exited on
	// its own, stopped a partition, or did not stop cleanly.
	ErrConsumer = errors.New("consumer process failed")
)

// pollEvery is how often the harness looks at the node's counters while
// waiting for a kill point. A kill point is a count of bulk items; checking
// often keeps the kill close to it.
const pollEvery = 2 * time.Millisecond

// commitPollEvery is how often the group's committed offsets are read
// while waiting for the consumer to catch up.
const commitPollEvery = 100 * time.Millisecond

// Run starts a private dev stack, produces cfg.N records while the
// consumer runs, kills and restarts the consumer cfg.Kills times, waits
// until the group has committed every record, stops the consumer, and
// checks the index and the dead-letter topic against what was produced.
// The report is returned whenever the run got as far as the checks; the
// error is ErrMismatch when the checks failed.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	stack, err := devstack.Start(ctx, devstack.Options{
		KafkaAddr: "127.0.0.1:0", ESAddr: "127.0.0.1:0",
		Topics: []devstack.Topic{{Name: dataTopic, Partitions: cfg.Partitions}, {Name: dlqTopic, Partitions: 1}},
	})
	if err != nil {
		return Report{}, fmt.Errorf("start dev stack: %w", err)
	}
	defer stack.Close()
	es, err := newESClient(stack.ESURL)
	if err != nil {
		return Report{}, err
	}
	// Runs before stack.Close: the node's graceful shutdown would wait for
	// the pooled connections.
	defer es.CloseIdleConnections()
	if err := createIndex(ctx, es, index); err != nil {
		return Report{}, err
	}
	logDir := cfg.LogDir
	if logDir == "" {
		if logDir, err = os.MkdirTemp("", "esconnect-soak-"); err != nil {
			return Report{}, fmt.Errorf("consumer log directory: %w", err)
		}
		defer os.RemoveAll(logDir)
	}

	r := &runner{cfg: cfg, ctx: ctx, stack: stack, logDir: logDir, rep: Report{DocID: cfg.DocID}}
	defer r.killCurrent()
	if err := r.consume(); err != nil {
		return r.rep, err
	}

	// Checks run without faults: they are about what the consumer left
	// behind, not about the node's bad days.
	stack.ES.Node.SetFaults(esnode.Faults{})
	rep := &r.rep
	want := expectedDocs(dataTopic, cfg.DocID, r.truth)
	if err := checkDocs(ctx, es, index, want, rep); err != nil {
		return *rep, err
	}
	if err := checkDeadLetters(ctx, stack.KafkaAddrs[0], dlqTopic, dataTopic, r.truth, rep); err != nil {
		return *rep, err
	}
	if !rep.OK() {
		return *rep, fmt.Errorf("%w: %d lost, %d duplicated, %d unexpected", ErrMismatch, rep.Lost, rep.Duplicated, rep.Unexpected)
	}
	return *rep, nil
}

// runner holds the state of one run's consumption phase.
type runner struct {
	cfg    Config
	ctx    context.Context
	stack  *devstack.Stack
	logDir string

	cur    *child
	starts int
	truth  produced
	rep    Report
}

func (r *runner) progress(format string, args ...any) {
	fmt.Fprintf(r.cfg.Progress, "soak[%s]: %s\n", r.cfg.DocID, fmt.Sprintf(format, args...))
}

// consume produces the records, runs the consumer through its kills, and
// returns once the group committed every record and the consumer stopped.
func (r *runner) consume() error {
	broker := r.stack.KafkaAddrs[0]
	node := r.stack.ES.Node
	faults := r.cfg.Faults
	if faults.Seed == 0 {
		faults.Seed = r.cfg.Seed
	}
	node.SetFaults(faults)

	began := time.Now()
	if err := r.startConsumer(); err != nil {
		return err
	}
	// Records arrive while the consumer joins and works, as in production;
	// the ground truth is read back from the topic, so it holds exactly
	// what the broker stored.
	produced := make(chan error, 1)
	go func() {
		err := produce(r.ctx, broker, dataTopic, r.cfg)
		if err == nil {
			r.truth, err = readProduced(r.ctx, broker, dataTopic, r.cfg.Partitions)
		}
		produced <- err
	}()

	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(r.cfg.Seed>>1)))
	for i, target := range killTargets(rng, r.cfg) {
		if err := r.waitFor(func() bool { return node.Stats().BulkItems >= target }, pollEvery); err != nil {
			return fmt.Errorf("waiting for kill point %d (%d bulk items): %w", i+1, target, err)
		}
		items := node.Stats().BulkItems
		r.cur.kill()
		c, err := committed(r.ctx, broker, group, dataTopic, r.cfg.Partitions)
		if err != nil {
			return err
		}
		r.rep.Kills = append(r.rep.Kills, Kill{BulkItems: items, Committed: sumCommitted(c)})
		r.progress("SIGKILL %d at %d bulk items, %d records committed", i+1, items, sumCommitted(c))
		if r.cfg.EvictKilled {
			if err := evict(r.ctx, broker); err != nil {
				return err
			}
		}
		if err := r.startConsumer(); err != nil {
			return err
		}
	}

	select {
	case err := <-produced:
		if err != nil {
			return err
		}
	case <-r.ctx.Done():
		return fmt.Errorf("producing %d records: %w", r.cfg.N, r.ctx.Err())
	}
	r.rep.Sent = len(r.truth.records)
	r.rep.Valid = r.truth.count(kindValid)
	r.rep.Conflicts = r.truth.count(kindConflict)
	r.rep.NotJSON = r.truth.count(kindNotJSON)
	r.progress("%d records produced (%d conflicts, %d not JSON)", r.rep.Sent, r.rep.Conflicts, r.rep.NotJSON)

	var lastErr error
	err := r.waitFor(func() bool {
		c, err := committed(r.ctx, broker, group, dataTopic, r.cfg.Partitions)
		lastErr = err
		return err == nil && caughtUp(c, r.truth.ends)
	}, commitPollEvery)
	if err != nil {
		return fmt.Errorf("waiting for the group to commit every record (last offset fetch: %v): %w", lastErr, err)
	}
	r.rep.Elapsed = time.Since(began)
	r.rep.Stats = node.Stats()
	r.progress("every record committed after %.1fs", r.rep.Elapsed.Seconds())
	c := r.cur
	r.cur = nil
	if err := c.stop(); err != nil {
		return fmt.Errorf("%w: stopping it: %w; last errors: %q", ErrConsumer, err, c.log.errorLines())
	}
	return nil
}

// waitFor polls cond every interval until it holds, watching the consumer:
// a consumer that exits or stops a partition ends the wait with an error.
func (r *runner) waitFor(cond func() bool, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		if done, err := r.cur.exited(); done {
			return fmt.Errorf("%w: exited on its own (%v); last errors: %q", ErrConsumer, err, r.cur.log.errorLines())
		}
		if line := r.cur.log.stoppedLine(); line != "" {
			return fmt.Errorf("%w: %w: %s", ErrConsumer, errChildStopped, line)
		}
		select {
		case <-r.ctx.Done():
			return fmt.Errorf("%w; last consumer errors: %q", r.ctx.Err(), r.cur.log.errorLines())
		case <-t.C:
		}
	}
}

func (r *runner) startConsumer() error {
	r.starts++
	c, err := startChild(r.ctx, r.cfg.Binary, r.consumerArgs(), r.consumerEnv(),
		filepath.Join(r.logDir, fmt.Sprintf("consumer-%s-%d.log", r.cfg.DocID, r.starts)))
	if err != nil {
		return err
	}
	r.cur = c
	return nil
}

// killCurrent kills a consumer still running when Run returns early.
func (r *runner) killCurrent() {
	if r.cur != nil {
		r.cur.kill()
	}
}

func (r *runner) consumerArgs() []string {
	return []string{
		"run", "kafka-es-sink", "--brokers", r.stack.KafkaAddrs[0], "--topic", dataTopic, "--group", group,
		"--from", "earliest", "--batch", strconv.Itoa(r.cfg.Batch), "--concurrency", strconv.Itoa(r.cfg.Concurrency),
		// A short window: under a backlog batches fill at once anyway, and
		// the tail of the run is not held back.
		"--window", "50ms",
	}
}

// consumerEnv is the whole environment of the consumer: only what the soak
// sets, so that settings of the caller's shell cannot change the run.
func (r *runner) consumerEnv() []string {
	env := map[string]string{
		"ES_URL":       r.stack.ESURL,
		"ES_INDEX":     index,
		"DOC_ID":       r.cfg.DocID,
		"VALUE_FORMAT": "json",
		"ON_FAILURE":   "dlq",
		"DLQ_TARGET":   "kafka://" + r.stack.KafkaAddrs[0] + "/" + dlqTopic,
	}
	if p, ok := os.LookupEnv("PATH"); ok {
		env["PATH"] = p
	}
	for k, v := range r.cfg.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// killTargets picks the kill points as counts of bulk items answered by the
// node: kill i lands at a random point of the i-th of Kills equal slices of
// the middle 75 % of the items the run is expected to send, so kills are
// spread over the run and never at its very start or end.
func killTargets(rng *rand.Rand, c Config) []int64 {
	reaching := 0 // records that reach Elasticsearch at least once
	for seq := 1; seq <= c.N; seq++ {
		if c.kindOf(seq) != kindNotJSON {
			reaching++
		}
	}
	k := max(c.Kills, 0)
	out := make([]int64, k)
	for i := range k {
		u := 0.1 + 0.8*rng.Float64()
		out[i] = int64(float64(reaching) * (0.1 + 0.75*(float64(i)+u)/float64(k)))
	}
	return out
}

// evict removes every member from the soak's group. It is called after the
// only consumer was killed, so every member is dead: this does at once
// what the broker does when their sessions expire.
func evict(ctx context.Context, broker string) error {
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	d, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return fmt.Errorf("describe group %s: %w", group, err)
	}
	var members []kafka.LeaveGroupRequestMember
	for _, g := range d.Groups {
		if g.Error != nil {
			return fmt.Errorf("describe group %s: %w", group, g.Error)
		}
		for _, m := range g.Members {
			members = append(members, kafka.LeaveGroupRequestMember{ID: m.MemberID})
		}
	}
	if len(members) == 0 {
		return nil
	}
	resp, err := cl.LeaveGroup(ctx, &kafka.LeaveGroupRequest{GroupID: group, Members: members})
	if err == nil {
		err = resp.Error
	}
	if err != nil {
		return fmt.Errorf("remove %d dead members from group %s: %w", len(members), group, err)
	}
	return nil
}
