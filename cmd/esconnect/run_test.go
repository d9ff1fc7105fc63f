package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/consumer"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/msgdoc"
)

func produceValues(t *testing.T, broker, topic string, from, n int) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond,
		// kafka-go defaults to fire-and-forget; the tests read what they produced.
		RequiredAcks: kafka.RequireAll}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", from+i), Value: fmt.Appendf(nil, `"v%d"`, from+i)}
	}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// waitIndexed polls the index, bounded by timeout, until it holds n
// documents, and returns their ids.
func waitIndexed(t *testing.T, es *elasticsearch.Client, n int, timeout time.Duration) map[string]bool {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ids := indexedIDs(t, es, "replayed")
		if len(ids) >= n {
			out := map[string]bool{}
			for id := range ids {
				out[id] = true
			}
			return out
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("index holds %d documents after %v, want %d", len(ids), timeout, n)
		}
	}
}

// startRun runs `esconnect run kafka-es-sink` in the background, with extra
// flags after the test's usual ones; stop cancels it as SIGTERM would and
// waits for it to return.
func startRun(t *testing.T, broker string, extra ...string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	args := append([]string{"kafka-es-sink", "--brokers", broker, "--topic", "orders", "--batch", "5", "--window", "20ms", "--concurrency", "1"}, extra...)
	go func() {
		done <- runConsumer(ctx, args, io.Discard, io.Discard)
	}()
	stopped := false
	var result error
	stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("run did not stop within 30s")
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestRunKilledMidBatchLosesAndDuplicatesNothing stops the consumer while a
// bulk request is held by the node's latency fault, then restarts it: every
// record ends up indexed exactly once under its offset id.
func TestRunKilledMidBatchLosesAndDuplicatesNothing(t *testing.T) {
	s, es := replayStack(t, "orders", nil)
	broker := s.KafkaAddrs[0]
	produceValues(t, broker, "orders", 0, 20)

	stop := startRun(t, broker)
	waitIndexed(t, es, 20, 30*time.Second)

	// Hold the next bulk request long enough to stop the consumer inside
	// the handler call.
	s.ES.Node.SetFaults(esnode.Faults{Latency: time.Minute})
	before := s.ES.Node.Stats().Delayed
	produceValues(t, broker, "orders", 20, 20)
	tick := time.NewTicker(10 * time.Millisecond)
	deadline := time.Now().Add(30 * time.Second)
	for s.ES.Node.Stats().Delayed == before {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the node")
		}
		<-tick.C
	}
	tick.Stop()
	if err := stop(); err != nil {
		t.Fatalf("run returned %v on shutdown", err)
	}
	s.ES.Node.SetFaults(esnode.Faults{})
	if n := len(indexedIDs(t, es, "replayed")); n != 20 {
		t.Fatalf("after the interrupted run the index holds %d documents, want 20", n)
	}

	stop2 := startRun(t, broker)
	ids := waitIndexed(t, es, 40, 30*time.Second)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 40 {
		t.Fatalf("index holds %d documents, want 40", len(ids))
	}
	for p := range 3 {
		for off := range 40 {
			delete(ids, msgdoc.OffsetID("orders", int32(p), int64(off)))
		}
	}
	if len(ids) != 0 {
		t.Fatalf("documents with unexpected ids: %v", ids)
	}
}

func TestRunUsage(t *testing.T) {
	tests := [][]string{
		nil,
		{"pg-es-sync"},
		{"kafka-es-sink", "--from", "middle", "--brokers", "127.0.0.1:1", "--topic", "t"},
		{"kafka-es-sink", "--brokers", "127.0.0.1:1", "--topic", "t", "--control-file", "c", "--control-interval", "1ms"},
		{"kafka-es-sink", "--brokers", "127.0.0.1:1", "--topic", "t", "--control-file", "c", "--control-interval", "1h"},
	}
	for _, args := range tests {
		err := runConsumer(t.Context(), args, io.Discard, io.Discard)
		if ec, ok := err.(*exitCodeError); !ok || ec.code != 2 {
			t.Errorf("run %q = %v, want exit code 2", args, err)
		}
	}
}

// waitStatus polls the group's status, as `esconnect status` computes it,
// until cond holds or timeout passes, and returns the status that held.
func waitStatus(t *testing.T, broker, group string, timeout time.Duration, cond func(kafkaops.Status) bool) kafkaops.Status {
	t.Helper()
	a, err := kafkaops.New(kafkaops.Options{Brokers: []string{broker}, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		st, err := a.Status(t.Context(), group, []string{"orders"})
		if err == nil && cond(st) {
			return st
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("group %s: status %+v (error %v) did not reach the expected state within %v", group, st, err, timeout)
		}
	}
}

func pausedWithLag(lag int64) func(kafkaops.Status) bool {
	return func(st kafkaops.Status) bool {
		return st.Paused && len(st.Members) == 1 && st.Members[0].State == kafkaops.MemberPaused && st.TotalLag == lag
	}
}

func activeCaughtUp(st kafkaops.Status) bool {
	return !st.Paused && len(st.Members) == 1 && st.Members[0].State == kafkaops.MemberActive && st.CaughtUp
}

func writeControlFile(t *testing.T, path, contents string) {
	t.Helper()
	// Renamed into place, so a poll never reads a half-written file.
	if err := os.WriteFile(path+".tmp", []byte(contents), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// TestRunControlFile starts `esconnect run` with a control file saying
// paused: it joins the group paused, indexes nothing, and indexes everything
// once the file says running.
func TestRunControlFile(t *testing.T) {
	s, es := replayStack(t, "orders", nil)
	broker := s.KafkaAddrs[0]
	produceValues(t, broker, "orders", 0, 10)
	path := filepath.Join(t.TempDir(), "control")
	writeControlFile(t, path, "paused\n")
	stop := startRun(t, broker, "--control-file", path, "--control-interval", "20ms")

	waitStatus(t, broker, consumer.DefaultGroup, 30*time.Second, pausedWithLag(10))
	if n := len(indexedIDs(t, es, "replayed")); n != 0 {
		t.Fatalf("a consumer started paused indexed %d documents", n)
	}
	writeControlFile(t, path, "running\n")
	waitIndexed(t, es, 10, 30*time.Second)
	waitStatus(t, broker, consumer.DefaultGroup, 30*time.Second, activeCaughtUp)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRunHelperProcess is not a test of its own: it is the esconnect
// command in the child process that TestRunPausedBySignals starts, which
// sets ESCONNECT_TEST_MAIN and passes the command line after "--".
func TestRunHelperProcess(t *testing.T) {
	if os.Getenv("ESCONNECT_TEST_MAIN") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(runMain(args, os.Stdout, os.Stderr))
}

// childLog collects the messages of a child's JSON log lines.
type childLog struct {
	mu      sync.Mutex
	msgs    map[string]int
	changed chan struct{}
}

func watchLog(r io.Reader) *childLog {
	l := &childLog{msgs: map[string]int{}, changed: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg string `json:"msg"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			l.mu.Lock()
			l.msgs[line.Msg]++
			l.mu.Unlock()
			select {
			case l.changed <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

// wait waits, bounded by timeout, until msg was logged n times.
func (l *childLog) wait(t *testing.T, msg string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		got := l.msgs[msg]
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-l.changed:
		case <-deadline.C:
			t.Fatalf("%q logged %d times within %v, want %d", msg, got, timeout, n)
		}
	}
}

// TestRunPausedBySignals runs `esconnect run` as a child process and pauses
// and resumes it with SIGUSR1 and SIGUSR2: while paused the group shows the
// member paused with the new records as lag and nothing new is indexed; after
// the resume every record is indexed once, and SIGTERM still exits 0.
func TestRunPausedBySignals(t *testing.T) {
	s, es := replayStack(t, "orders", nil)
	broker := s.KafkaAddrs[0]
	const group = "connect-signals"
	produceValues(t, broker, "orders", 0, 10)

	cmd := exec.Command(os.Args[0], "-test.run=^TestRunHelperProcess$", "--",
		"run", "kafka-es-sink", "--brokers", broker, "--topic", "orders", "--group", group, "--batch", "5", "--window", "20ms")
	cmd.Env = append(os.Environ(), "ESCONNECT_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the child has exited, with its status in
	// waitErr.
	exited := make(chan struct{})
	var waitErr error
	log := watchLog(stderr)
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	signal := func(sig os.Signal) {
		t.Helper()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatalf("signal %v: %v", sig, err)
		}
	}

	waitIndexed(t, es, 10, 30*time.Second)
	signal(consumer.PauseSignal)
	log.wait(t, "consumer paused", 1, 30*time.Second)
	waitStatus(t, broker, group, 30*time.Second, pausedWithLag(0))
	produceValues(t, broker, "orders", 10, 10)
	waitStatus(t, broker, group, 30*time.Second, pausedWithLag(10))
	if n := len(indexedIDs(t, es, "replayed")); n != 10 {
		t.Fatalf("index holds %d documents while paused, want 10", n)
	}

	signal(consumer.ResumeSignal)
	log.wait(t, "consumer resumed", 1, 30*time.Second)
	ids := waitIndexed(t, es, 20, 30*time.Second)
	waitStatus(t, broker, group, 30*time.Second, activeCaughtUp)
	signal(syscall.SIGTERM)
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("esconnect run exited with %v after SIGTERM, want status 0", waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("esconnect run did not exit within 30s of SIGTERM")
	}
	for off := range 20 {
		delete(ids, msgdoc.OffsetID("orders", 0, int64(off)))
	}
	if len(ids) != 0 {
		t.Fatalf("documents with unexpected ids: %v", ids)
	}
}
