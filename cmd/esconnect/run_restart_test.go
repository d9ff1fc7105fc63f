package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/targettest"
)

// runChild is `esconnect run kafka-es-sink` in a child process (the test
// binary re-run as TestRunHelperProcess), so that it can be signalled and
// killed like a deployed consumer.
type runChild struct {
	t   *testing.T
	cmd *exec.Cmd
	log *childLog
	// exited is closed once the child has exited, with its status in
	// waitErr.
	exited  chan struct{}
	waitErr error
}

// startRunChild starts the child with the given flags after
// `run kafka-es-sink`. It inherits the test's environment, so the sink
// settings newReplayStack sets. The child is killed when the test ends.
func startRunChild(t *testing.T, flags ...string) *runChild {
	t.Helper()
	args := append([]string{"-test.run=^TestRunHelperProcess$", "--", "run", "kafka-es-sink"}, flags...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ESCONNECT_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &runChild{t: t, cmd: cmd, log: watchLog(stderr), exited: make(chan struct{})}
	go func() {
		// Wait closes the pipe, so it waits until the log has been read
		// to its end (the child closing stderr as it exits).
		<-c.log.done
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(c.kill)
	return c
}

func (c *runChild) signal(sig os.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signal %v: %v", sig, err)
	}
}

// kill sends SIGKILL, unless the child has exited, and waits until it has.
func (c *runChild) kill() {
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// terminate sends SIGTERM and checks that the child exits with status 0.
func (c *runChild) terminate() {
	c.t.Helper()
	c.signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.waitErr != nil {
			c.t.Fatalf("esconnect run exited with %v after SIGTERM, want status 0", c.waitErr)
		}
	case <-time.After(30 * time.Second):
		c.t.Fatal("esconnect run did not exit within 30s of SIGTERM")
	}
}

// restartBudget is how long a consumer restarted after a SIGKILL may take
// to index the records produced meanwhile: process start, join, fetch and
// the bulk request. A dynamic member would wait for the dead member's
// session to expire first (10s by default, 30s before static membership).
const restartBudget = 10 * time.Second

// TestRunResumesAtOnceAfterSIGKILL kills a consumer that has caught up,
// produces more and starts a new one under the same instance id. The new
// process takes the dead member's place as a static member: it indexes the
// new records within restartBudget, in the generation the dead member
// joined (the group did not rebalance), and handles each new record once
// and no old one again. On SIGTERM it leaves the group, which has no
// member right after.
func TestRunResumesAtOnceAfterSIGKILL(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, ts *targettest.Stack) {
		const n = 10
		s := newReplayStack(t, ts, nil)
		group := s.Kafka.Group("connect-restart")
		flags := []string{"--brokers", s.brokers, "--topic", s.topic, "--group", group,
			"--instance-id", "esconnect-restart-test", "--batch", "5", "--window", "20ms"}
		produceValues(t, s, 0, n)

		first := startRunChild(t, flags...)
		waitIndexed(t, s, n, 30*time.Second)
		// Everything handled is committed: the restart has nothing to
		// repeat, so any record it handles twice is a duplicate.
		waitStatus(t, s, group, 30*time.Second, activeCaughtUp)
		first.kill()
		// The child is gone and its log is read to the end.
		killedIn := first.log.generations
		if len(killedIn) != 1 {
			t.Fatalf("the first consumer was assigned partitions in generations %v, want one", killedIn)
		}
		produceValues(t, s, n, n)

		began := time.Now()
		second := startRunChild(t, flags...)
		ids := waitIndexed(t, s, 2*n, restartBudget)
		t.Logf("the restarted consumer indexed the records produced after the kill %v after its start", time.Since(began).Round(time.Millisecond))
		st := waitStatus(t, s, group, 30*time.Second, activeCaughtUp)
		second.terminate()
		g := describeGroup(t, s, group)
		if len(g.Members) != 0 {
			t.Errorf("group right after SIGTERM: %+v, want no members", g)
		}
		// The child has exited and its log is read to the end.
		records, joinedIn := second.log.records, second.log.generations
		if len(joinedIn) != 1 {
			t.Fatalf("the restarted consumer was assigned partitions in generations %v, want one", joinedIn)
		}
		for gen := range joinedIn {
			if !killedIn[gen] {
				t.Errorf("the restarted consumer joined generation %d, the killed one %v: the group rebalanced instead of handing back the assignment", gen, killedIn)
			}
		}
		if records != n {
			t.Errorf("the restarted consumer handled %d records, want the %d produced after the kill", records, n)
		}
		if len(st.Members) != 1 {
			t.Errorf("group after the restart has members %+v, want only the restarted consumer", st.Members)
		}

		if len(ids) != 2*n {
			t.Fatalf("index holds %d documents, want %d", len(ids), 2*n)
		}
		for off := range 2 * n {
			delete(ids, msgdoc.OffsetID(s.topic, 0, int64(off)))
		}
		if len(ids) != 0 {
			t.Fatalf("documents with unexpected ids: %v", ids)
		}
	})
}

func describeGroup(t *testing.T, s replayStack, group string) kafkaops.Group {
	t.Helper()
	a, err := kafkaops.New(kafkaops.Options{Brokers: s.Kafka.Brokers, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	g, err := a.DescribeGroup(t.Context(), group)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
