package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/consumer"
	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/targettest"
)

func produceValues(t *testing.T, s replayStack, from, n int) {
	t.Helper()
	// A transport of its own: kafka-go's default one is shared by the whole
	// process and answers from its cached metadata that a topic created
	// since does not exist.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{Addr: kafka.TCP(s.Kafka.Brokers...), Topic: s.topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: 5 * time.Millisecond,
		// kafka-go defaults to fire-and-forget; the tests read what they produced.
		RequiredAcks: kafka.RequireAll, Transport: tr}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", from+i), Value: fmt.Appendf(nil, `"v%d"`, from+i)}
	}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// waitIndexed polls the stack's index, bounded by timeout, until it holds n
// documents, and returns their ids.
func waitIndexed(t *testing.T, s replayStack, n int, timeout time.Duration) map[string]bool {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ids, err := searchIDs(t, s.ES.API, s.index)
		switch {
		case errors.Is(err, errShardsStarting):
			// The consumer's first bulk request is creating the index.
		case err != nil:
			t.Fatal(err)
		case len(ids) >= n:
			out := map[string]bool{}
			for id := range ids {
				out[id] = true
			}
			return out
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("index holds %d documents after %v, want %d (last search: %v)", len(ids), timeout, n, err)
		}
	}
}

// runGroup is the consumer group `esconnect run` uses in a test: the
// default one on a broker of the test's own (kfake), so that the default is
// what the tests see there, and a name private to the test on a shared real
// broker.
func runGroup(s replayStack) string {
	return s.Kafka.Group(consumer.DefaultGroup)
}

// startRun runs `esconnect run kafka-es-sink` in the background, with extra
// flags after the test's usual ones; stop cancels it as SIGTERM would and
// waits for it to return.
func startRun(t *testing.T, s replayStack, extra ...string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	args := []string{"kafka-es-sink", "--brokers", s.brokers, "--topic", s.topic, "--batch", "5", "--window", "20ms", "--concurrency", "1"}
	if s.Kafka.Real() {
		args = append(args, "--group", runGroup(s))
	}
	args = append(args, extra...)
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

// embeddedStack is newReplayStack on a dev stack of the test's own, for
// tests that need the esnode's faults.
func embeddedStack(t *testing.T) replayStack {
	t.Helper()
	st, err := devstack.Start(t.Context(), devstack.Options{KafkaAddr: "127.0.0.1:0", ESAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{st.ESURL}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	return newReplayStack(t, &targettest.Stack{
		Name:  "embedded",
		ES:    &targettest.Engine{Name: "esnode", URL: st.ESURL, Distribution: targettest.Elasticsearch, Node: st.ES, API: es.API},
		Kafka: &targettest.Kafka{Name: "kfake", Brokers: st.KafkaAddrs, Cluster: st.Kafka},
	}, nil)
}

// TestRunKilledMidBatchLosesAndDuplicatesNothingOnEsnode stops the consumer
// while a bulk request is held by the node's latency fault, then restarts
// it: every record ends up indexed exactly once under its offset id.
func TestRunKilledMidBatchLosesAndDuplicatesNothingOnEsnode(t *testing.T) {
	s := embeddedStack(t)
	node := s.ES.Node.Node
	produceValues(t, s, 0, 20)

	stop := startRun(t, s)
	waitIndexed(t, s, 20, 30*time.Second)

	// Hold the next bulk request long enough to stop the consumer inside
	// the handler call.
	node.SetFaults(esnode.Faults{Latency: time.Minute})
	before := node.Stats().Delayed
	produceValues(t, s, 20, 20)
	tick := time.NewTicker(10 * time.Millisecond)
	deadline := time.Now().Add(30 * time.Second)
	for node.Stats().Delayed == before {
		if time.Now().After(deadline) {
			t.Fatal("no request reached the node")
		}
		<-tick.C
	}
	tick.Stop()
	if err := stop(); err != nil {
		t.Fatalf("run returned %v on shutdown", err)
	}
	node.SetFaults(esnode.Faults{})
	if n := len(indexedIDs(t, s.ES.API, s.index)); n != 20 {
		t.Fatalf("after the interrupted run the index holds %d documents, want 20", n)
	}

	stop2 := startRun(t, s)
	ids := waitIndexed(t, s, 40, 30*time.Second)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 40 {
		t.Fatalf("index holds %d documents, want 40", len(ids))
	}
	for p := range 3 {
		for off := range 40 {
			delete(ids, msgdoc.OffsetID(s.topic, int32(p), int64(off)))
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

// TestRunGroupSettings refuses group settings that cannot work, from flags
// and from the environment, before anything connects: each message names
// the setting.
func TestRunGroupSettings(t *testing.T) {
	base := []string{"kafka-es-sink", "--brokers", "127.0.0.1:1", "--topic", "t"}
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		names string
	}{
		{"instance id with a space", nil, []string{"--instance-id", "my host"}, "instance id"},
		{"instance id too long", nil, []string{"--instance-id", strings.Repeat("x", 250)}, "instance id"},
		{"heartbeat not below the session", nil, []string{"--session-timeout", "6s", "--heartbeat-interval", "6s"}, "heartbeat interval"},
		{"heartbeat from the environment", map[string]string{envHeartbeatInterval: "20s"}, nil, "heartbeat interval"},
		{"session timeout not a duration", map[string]string{envSessionTimeout: "soon"}, nil, envSessionTimeout},
		{"rebalance timeout negative", map[string]string{envRebalanceTimeout: "-1s"}, nil, envRebalanceTimeout},
		{"bad instance id from the environment", map[string]string{envInstanceID: "a/b"}, nil, "instance id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := runConsumer(t.Context(), append(append([]string(nil), base...), tt.flags...), io.Discard, io.Discard)
			var ec *exitCodeError
			if !errors.As(err, &ec) || ec.code != 2 || !strings.Contains(err.Error(), tt.names) {
				t.Fatalf("run = %v, want exit code 2 naming %q", err, tt.names)
			}
		})
	}
}

func TestResolveInstanceID(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	if err := consumer.ValidateInstanceID(host); err != nil {
		t.Fatalf("this host's name %q cannot be an instance id: %v", host, err)
	}
	for _, tt := range []struct{ flag, want string }{
		{"", host},
		{dynamicMember, ""},
		{"consumer-7", "consumer-7"},
	} {
		got, err := resolveInstanceID(tt.flag)
		if err != nil || got != tt.want {
			t.Errorf("resolveInstanceID(%q) = %q, %v; want %q", tt.flag, got, err, tt.want)
		}
	}
}

// waitStatus polls the group's status, as `esconnect status` computes it,
// until cond holds or timeout passes, and returns the status that held.
func waitStatus(t *testing.T, s replayStack, group string, timeout time.Duration, cond func(kafkaops.Status) bool) kafkaops.Status {
	t.Helper()
	a, err := kafkaops.New(kafkaops.Options{Brokers: s.Kafka.Brokers, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		st, err := a.Status(t.Context(), group, []string{s.topic})
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
	targettest.Stacks(t, func(t *testing.T, ts *targettest.Stack) {
		s := newReplayStack(t, ts, nil)
		produceValues(t, s, 0, 10)
		path := filepath.Join(t.TempDir(), "control")
		writeControlFile(t, path, "paused\n")
		stop := startRun(t, s, "--control-file", path, "--control-interval", "20ms")

		waitStatus(t, s, runGroup(s), 30*time.Second, pausedWithLag(10))
		if n := len(indexedIDs(t, s.ES.API, s.index)); n != 0 {
			t.Fatalf("a consumer started paused indexed %d documents", n)
		}
		writeControlFile(t, path, "running\n")
		waitIndexed(t, s, 10, 30*time.Second)
		waitStatus(t, s, runGroup(s), 30*time.Second, activeCaughtUp)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
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

// childLog collects the messages of a child's JSON log lines, the records
// of its successful batches and the generations it was assigned partitions
// in.
type childLog struct {
	mu          sync.Mutex
	msgs        map[string]int
	records     int
	generations map[int32]bool
	changed     chan struct{}
	// done is closed when the log has been read to its end.
	done chan struct{}
}

func watchLog(r io.Reader) *childLog {
	l := &childLog{msgs: map[string]int{}, generations: map[int32]bool{}, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg        string `json:"msg"`
				Records    int    `json:"records"`
				Generation int32  `json:"generation"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			l.mu.Lock()
			l.msgs[line.Msg]++
			switch line.Msg {
			case "batch done":
				l.records += line.Records
			case "partition assigned":
				l.generations[line.Generation] = true
			}
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
	targettest.Stacks(t, func(t *testing.T, ts *targettest.Stack) {
		// The child inherits the sink settings newReplayStack sets.
		s := newReplayStack(t, ts, nil)
		group := s.Kafka.Group("connect-signals")
		produceValues(t, s, 0, 10)

		child := startRunChild(t, "--brokers", s.brokers, "--topic", s.topic, "--group", group, "--batch", "5", "--window", "20ms")
		log, signal := child.log, child.signal

		waitIndexed(t, s, 10, 30*time.Second)
		signal(consumer.PauseSignal)
		log.wait(t, "consumer paused", 1, 30*time.Second)
		waitStatus(t, s, group, 30*time.Second, pausedWithLag(0))
		produceValues(t, s, 10, 10)
		waitStatus(t, s, group, 30*time.Second, pausedWithLag(10))
		if n := len(indexedIDs(t, s.ES.API, s.index)); n != 10 {
			t.Fatalf("index holds %d documents while paused, want 10", n)
		}

		signal(consumer.ResumeSignal)
		log.wait(t, "consumer resumed", 1, 30*time.Second)
		ids := waitIndexed(t, s, 20, 30*time.Second)
		waitStatus(t, s, group, 30*time.Second, activeCaughtUp)
		child.terminate()
		for off := range 20 {
			delete(ids, msgdoc.OffsetID(s.topic, 0, int64(off)))
		}
		if len(ids) != 0 {
			t.Fatalf("documents with unexpected ids: %v", ids)
		}
	})
}
