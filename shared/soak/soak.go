package soak

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/esconnect/esconnect/shared/esnode"
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

// targetPollEvery is how often the group's committed offsets are read on a
// Target while waiting for a kill point: often enough that a small run is
// not over before its kill points, one small request to the cluster each.
const targetPollEvery = 10 * time.Millisecond

// commitPollEvery is how often the group's committed offsets are read
// while waiting for the consumer to catch up.
const commitPollEvery = 100 * time.Millisecond

// Run starts a private dev stack (or uses cfg.Target), produces cfg.N
// records while the consumer runs, kills and restarts the consumer
// cfg.Kills times, waits until the group has committed every record, stops
// the consumer, and checks the index and the dead-letter topic against what
// was produced. The report is returned whenever the run got as far as the
// checks; the error is ErrMismatch when the checks failed.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	st, err := openStack(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	defer st.close()
	logDir := cfg.LogDir
	if logDir == "" {
		if logDir, err = os.MkdirTemp("", "esconnect-soak-"); err != nil {
			return Report{}, fmt.Errorf("consumer log directory: %w", err)
		}
		defer os.RemoveAll(logDir)
	}

	r := &runner{cfg: cfg, ctx: ctx, stack: st, logDir: logDir, rep: Report{DocID: cfg.DocID}}
	defer r.killCurrent()
	if err := r.consume(); err != nil {
		return r.rep, err
	}

	// Checks run without faults: they are about what the consumer left
	// behind, not about the node's bad days.
	if st.node != nil {
		st.node.SetFaults(esnode.Faults{})
	}
	rep := &r.rep
	want := expectedDocs(st.topic, cfg.DocID, r.truth)
	if err := checkDocs(ctx, st.es, st.index, want, rep); err != nil {
		return *rep, err
	}
	if err := checkDeadLetters(ctx, st.broker, st.dlq, st.topic, r.truth, rep); err != nil {
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
	stack  *stack
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
	st := r.stack
	if st.node != nil {
		faults := r.cfg.Faults
		if faults.Seed == 0 {
			faults.Seed = r.cfg.Seed
		}
		st.node.SetFaults(faults)
	}

	began := time.Now()
	if err := r.startConsumer(); err != nil {
		return err
	}
	// Records arrive while the consumer joins and works, as in production;
	// the ground truth is read back from the topic, so it holds exactly
	// what the broker stored.
	produced := make(chan error, 1)
	go func() {
		err := produce(r.ctx, st.broker, st.topic, r.cfg)
		if err == nil {
			r.truth, err = readProduced(r.ctx, st.broker, st.topic, r.cfg.Partitions)
		}
		produced <- err
	}()

	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(r.cfg.Seed>>1)))
	for i, target := range killTargets(rng, r.cfg) {
		var progress int64
		err := r.waitFor(func() bool {
			progress = r.killProgress()
			return progress >= target
		}, r.killPollEvery())
		if err != nil {
			return fmt.Errorf("waiting for kill point %d (%d %s): %w", i+1, target, r.killUnit(), err)
		}
		if st.node != nil {
			progress = st.node.Stats().BulkItems
		}
		r.cur.kill()
		c, err := committed(r.ctx, st.broker, st.group, st.topic, r.cfg.Partitions)
		if err != nil {
			return err
		}
		k := Kill{Committed: sumCommitted(c)}
		if st.node != nil {
			k.BulkItems = progress
		}
		r.rep.Kills = append(r.rep.Kills, k)
		r.progress("SIGKILL %d at %d %s, %d records committed", i+1, progress, r.killUnit(), k.Committed)
		if r.cfg.EvictKilled {
			if err := evict(r.ctx, st.broker, st.group); err != nil {
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
		c, err := committed(r.ctx, st.broker, st.group, st.topic, r.cfg.Partitions)
		lastErr = err
		return err == nil && caughtUp(c, r.truth.ends)
	}, commitPollEvery)
	if err != nil {
		return fmt.Errorf("waiting for the group to commit every record (last offset fetch: %v): %w", lastErr, err)
	}
	r.rep.Elapsed = time.Since(began)
	if st.node != nil {
		r.rep.Stats = st.node.Stats()
	}
	r.progress("every record committed after %.1fs", r.rep.Elapsed.Seconds())
	c := r.cur
	r.cur = nil
	if err := c.stop(); err != nil {
		return fmt.Errorf("%w: stopping it: %w; last errors: %q", ErrConsumer, err, c.log.errorLines())
	}
	return nil
}

// killProgress is what kill points count: the bulk items the dev stack's
// node answered, or, on a Target, the records behind the group's committed
// offsets (0 while they cannot be read), the only progress a real cluster
// shows from outside.
func (r *runner) killProgress() int64 {
	st := r.stack
	if st.node != nil {
		return st.node.Stats().BulkItems
	}
	c, err := committed(r.ctx, st.broker, st.group, st.topic, r.cfg.Partitions)
	if err != nil {
		return 0
	}
	return sumCommitted(c)
}

// killPollEvery is how often killProgress is read: the node's counters are
// free to read, an offset fetch is a request to the cluster.
func (r *runner) killPollEvery() time.Duration {
	if r.stack.node != nil {
		return pollEvery
	}
	return targetPollEvery
}

func (r *runner) killUnit() string {
	if r.stack.node != nil {
		return "bulk items"
	}
	return "committed records"
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
	st := r.stack
	return []string{
		"run", "kafka-es-sink", "--brokers", strings.Join(st.brokers, ","), "--topic", st.topic, "--group", st.group,
		"--from", "earliest", "--batch", strconv.Itoa(r.cfg.Batch), "--concurrency", strconv.Itoa(r.cfg.Concurrency),
		// A short window: under a backlog batches fill at once anyway, and
		// the tail of the run is not held back.
		"--window", "50ms",
	}
}

// consumerEnv is the whole environment of the consumer: only what the soak
// sets, so that settings of the caller's shell cannot change the run.
func (r *runner) consumerEnv() []string {
	st := r.stack
	env := maps.Clone(st.esEnv)
	maps.Copy(env, map[string]string{
		"ES_INDEX":     st.index,
		"DOC_ID":       r.cfg.DocID,
		"VALUE_FORMAT": "json",
		"ON_FAILURE":   "dlq",
		"DLQ_TARGET":   "kafka://" + strings.Join(st.brokers, ",") + "/" + st.dlq,
	})
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

// killTargets picks the kill points as counts of what killProgress counts:
// kill i lands at a random point of the i-th of Kills equal slices of the
// middle 75 % of the run, so kills are spread over it and never at its very
// start or end. On the dev stack the run is the bulk items it is expected to
// send (one per record that reaches Elasticsearch at least once); on a
// Target it is the N records the group commits.
func killTargets(rng *rand.Rand, c Config) []int64 {
	reaching := c.N
	if c.Target == nil {
		reaching = 0
		for seq := 1; seq <= c.N; seq++ {
			if c.kindOf(seq) != kindNotJSON {
				reaching++
			}
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
func evict(ctx context.Context, broker, group string) error {
	cl, err := newKafkaClient(broker)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	described, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describe group %s: %w", group, err)
	}
	var members []kmsg.LeaveGroupRequestMember
	for _, g := range described {
		if errors.Is(g.Err, kerr.GroupIDNotFound) {
			// DescribeGroups v6+ answers so for a group with no members
			// and no offsets: there is nobody to remove.
			continue
		}
		if g.Err != nil {
			return fmt.Errorf("describe group %s: %w", group, g.Err)
		}
		for _, m := range g.Members {
			lm := kmsg.NewLeaveGroupRequestMember()
			lm.MemberID = m.MemberID
			members = append(members, lm)
		}
	}
	if len(members) == 0 {
		return nil
	}
	// kadm's LeaveGroup removes static members by instance id only; the
	// soak's consumers are dynamic members, known by their member id.
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = group
	req.Members = members
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("remove %d dead members from group %s: %w", len(members), group, err)
	}
	return nil
}
