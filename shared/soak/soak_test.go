package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/targettest"
)

// binary is the esconnect executable built once for every test of the
// package by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "esconnect-soak-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := ModuleRoot(ctx, ".")
	if err == nil {
		binary = filepath.Join(dir, "esconnect")
		err = Build(ctx, root, binary)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak tests: building esconnect:", err)
		return 1
	}
	return m.Run()
}

// ciConfig is the CI-sized soak: 3,000 records, small enough for `make
// test`, with bulk requests of at most 5 documents so that the run makes
// several hundred requests and every fault kind, even the 1 % ones, fires.
func ciConfig(t *testing.T, docID string) Config {
	t.Helper()
	return Config{
		Binary: binary, N: 3000, DocID: docID, Batch: 50, EvictKilled: true,
		Env: map[string]string{
			"BULK_MAX_DOCS": "5",
			// Short backoffs keep the retries of a small run from dominating it.
			"RETRY_BACKOFF_INITIAL": "20ms", "RETRY_BACKOFF_MAX": "500ms",
		},
		Timeout: 90 * time.Second, Seed: 20240506, LogDir: t.TempDir(),
		Progress: testWriter{t},
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// TestSoakOnEsnode is the soak proper: the consumer under the esnode's
// faults, killed twice, in both id modes.
func TestSoakOnEsnode(t *testing.T) {
	for _, docID := range []string{DocIDOffset, DocIDKey} {
		t.Run("DOC_ID="+docID, func(t *testing.T) {
			cfg := ciConfig(t, docID)
			rep, err := Run(t.Context(), cfg)
			t.Log(rep.Line())
			if err != nil {
				for _, p := range rep.Problems {
					t.Log(p)
				}
				t.Fatalf("soak: %v (consumer logs in %s)", err, cfg.LogDir)
			}
			checkCIReport(t, cfg, rep)
		})
	}
}

// checkCIReport asserts what makes the run a soak rather than a smoke test:
// both kills landed while records were still uncommitted, every fault kind
// fired, and both kinds of poison record were dead-lettered.
func checkCIReport(t *testing.T, cfg Config, rep Report) {
	t.Helper()
	if rep.Sent != cfg.N {
		t.Errorf("sent %d records, want %d", rep.Sent, cfg.N)
	}
	if len(rep.Kills) != 2 {
		t.Errorf("%d kills, want 2", len(rep.Kills))
	}
	for i, k := range rep.Kills {
		if k.BulkItems == 0 || k.Committed >= int64(rep.Sent) {
			t.Errorf("kill %d at %d bulk items with %d of %d records committed: not mid-stream", i+1, k.BulkItems, k.Committed, rep.Sent)
		}
	}
	s := rep.Stats
	for name, n := range map[string]int64{
		"item 429": s.Items429, "request 503": s.Request503, "request 502": s.Request502,
		"request 504": s.Request504, "reset": s.Resets, "latency": s.Delayed,
	} {
		if n == 0 {
			t.Errorf("fault %s never fired (stats %+v)", name, s)
		}
	}
	if rep.Conflicts == 0 || rep.NotJSON == 0 || rep.DeadLettered != rep.Conflicts+rep.NotJSON {
		t.Errorf("dead-lettered %d, want %d conflicts + %d not JSON, both non-zero", rep.DeadLettered, rep.Conflicts, rep.NotJSON)
	}
	if rep.DeadLettersRaw < rep.DeadLettered {
		t.Errorf("dead letters: %d raw < %d distinct", rep.DeadLettersRaw, rep.DeadLettered)
	}
	if cfg.DocID == DocIDKey && rep.ExpectedDocs >= rep.Valid {
		t.Errorf("DOC_ID=key: %d documents for %d valid records; keys were not updated", rep.ExpectedDocs, rep.Valid)
	}
}

// TestSoakOnStacks is the soak's end-to-end check without faults on every
// configured stack, through Target: the consumer is killed with SIGKILL
// twice while records are uncommitted, restarted, and every record must end
// up exactly once in the index or on the dead-letter topic.
func TestSoakOnStacks(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		for _, docID := range []string{DocIDOffset, DocIDKey} {
			t.Run("DOC_ID="+docID, func(t *testing.T) {
				const partitions = 4
				k, e := s.Kafka, s.ES
				cfg := Config{
					Binary: binary, N: 1000, DocID: docID, Partitions: partitions, Batch: 20, EvictKilled: true,
					Env: map[string]string{"RETRY_BACKOFF_INITIAL": "20ms", "RETRY_BACKOFF_MAX": "500ms"},
					Target: &Target{
						ES: e.Env(), Brokers: k.Brokers,
						Topic: k.Topic(t, dataTopic+"-"+docID, partitions), DeadLetterTopic: k.Topic(t, dlqTopic+"-"+docID, 1),
						Group: k.Group(group + "-" + docID), Index: e.Index(index + "-" + docID),
					},
					Timeout: 90 * time.Second, Seed: 20240506, LogDir: t.TempDir(), Progress: testWriter{t},
				}
				rep, err := Run(t.Context(), cfg)
				t.Log(rep.Line())
				if err != nil {
					for _, p := range rep.Problems {
						t.Log(p)
					}
					t.Fatalf("soak on %s: %v (consumer logs in %s)", s.Name, err, cfg.LogDir)
				}
				if rep.Sent != cfg.N || len(rep.Kills) != 2 {
					t.Errorf("sent %d records with %d kills, want %d and 2", rep.Sent, len(rep.Kills), cfg.N)
				}
				for i, k := range rep.Kills {
					if k.Committed == 0 || k.Committed >= int64(rep.Sent) {
						t.Errorf("kill %d with %d of %d records committed: not mid-stream", i+1, k.Committed, rep.Sent)
					}
				}
				if rep.Conflicts == 0 || rep.NotJSON == 0 || rep.DeadLettered != rep.Conflicts+rep.NotJSON {
					t.Errorf("dead-lettered %d, want %d conflicts + %d not JSON, both non-zero", rep.DeadLettered, rep.Conflicts, rep.NotJSON)
				}
			})
		}
	})
}

func TestKillTargets(t *testing.T) {
	c := Config{Binary: "b", N: 10000, Kills: 3}.withDefaults()
	reaching := 0
	for seq := 1; seq <= c.N; seq++ {
		if c.kindOf(seq) != kindNotJSON {
			reaching++
		}
	}
	for seed := range uint64(50) {
		got := killTargets(rand.New(rand.NewPCG(seed, 1)), c)
		if len(got) != 3 {
			t.Fatalf("%d targets, want 3", len(got))
		}
		for i, tg := range got {
			// Kill i falls inside its own slice of the middle 75 %.
			lo := float64(reaching) * (0.1 + 0.75*float64(i)/3)
			hi := float64(reaching) * (0.1 + 0.75*float64(i+1)/3)
			if float64(tg) < lo || float64(tg) >= hi {
				t.Fatalf("seed %d: target %d = %d, outside [%.0f, %.0f)", seed, i, tg, lo, hi)
			}
		}
	}
	if got := killTargets(rand.New(rand.NewPCG(1, 1)), Config{N: 10, Kills: -1}.withDefaults()); len(got) != 0 {
		t.Errorf("no kills: targets %v", got)
	}
	// On a target, kill points count committed records: all N of them.
	onTarget := Config{Binary: "b", N: 10000, Kills: 1, Target: &Target{}}.withDefaults()
	for seed := range uint64(50) {
		got := killTargets(rand.New(rand.NewPCG(seed, 1)), onTarget)
		if len(got) != 1 || got[0] < 1000 || got[0] >= 8500 {
			t.Fatalf("seed %d: target kill points %v, want one in [1000, 8500)", seed, got)
		}
	}
}

// TestSoakDetectsSkippedRecords runs a consumer that skips poison records
// instead of dead-lettering them (ON_FAILURE=log): the run must fail with
// every poison record counted as lost.
func TestSoakDetectsSkippedRecords(t *testing.T) {
	cfg := Config{
		Binary: binary, N: 600, Kills: -1, Faults: esnode.Faults{Seed: 1},
		Env:     map[string]string{"ON_FAILURE": "log", "DLQ_TARGET": ""},
		Timeout: 60 * time.Second, LogDir: t.TempDir(), Progress: testWriter{t},
	}
	rep, err := Run(t.Context(), cfg)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("Run = %v, want ErrMismatch (%s)", err, rep.Line())
	}
	poison := rep.Conflicts + rep.NotJSON
	if poison == 0 || rep.Lost != poison || rep.DeadLettered != 0 || rep.Indexed != rep.Valid || rep.OK() {
		t.Errorf("report %s: want all %d poison records lost and every valid one indexed", rep.Line(), poison)
	}
}

// TestEvictRemovesDeadMembers joins a member that will never heartbeat, as
// a SIGKILLed consumer leaves one behind, and expects evict to remove it
// from the group long before its session would expire; a group without
// members, or that never existed, is left alone without an error.
func TestEvictRemovesDeadMembers(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		topic := k.Topic(t, dataTopic, 1)
		g := k.Group(group)
		tr := &kafka.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		cl := &kafka.Client{Addr: kafka.TCP(k.Brokers...), Timeout: 10 * time.Second, Transport: tr}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()

		join := &kafka.JoinGroupRequest{
			GroupID: g, ProtocolType: "consumer",
			// Longer than the test: only evict can remove the member in time.
			SessionTimeout: 5 * time.Minute, RebalanceTimeout: 10 * time.Second,
			Protocols: []kafka.GroupProtocol{{Name: "range", Metadata: kafka.GroupProtocolSubscription{Topics: []string{topic}}}},
		}
		var joined *kafka.JoinGroupResponse
		// JoinGroup v4+ first hands out the member id, to be joined with.
		for range 2 {
			resp, err := cl.JoinGroup(ctx, join)
			if err != nil {
				t.Fatalf("join group %s: %v", g, err)
			}
			if errors.Is(resp.Error, kafka.MemberIDRequired) {
				join.MemberID = resp.MemberID
				continue
			}
			if resp.Error != nil {
				t.Fatalf("join group %s: %v", g, resp.Error)
			}
			joined = resp
			break
		}
		if joined == nil {
			t.Fatalf("join group %s: no member id after two joins", g)
		}
		sync, err := cl.SyncGroup(ctx, &kafka.SyncGroupRequest{
			GroupID: g, GenerationID: joined.GenerationID, MemberID: joined.MemberID,
			ProtocolType: "consumer", ProtocolName: joined.ProtocolName,
			Assignments: []kafka.SyncGroupRequestAssignment{{MemberID: joined.MemberID,
				Assignment: kafka.GroupProtocolAssignment{AssignedPartitions: map[string][]int{topic: {0}}}}},
		})
		if err == nil {
			err = sync.Error
		}
		if err != nil {
			t.Fatalf("sync group %s: %v", g, err)
		}
		members := func() []string {
			t.Helper()
			d, err := cl.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{g}})
			if err != nil {
				t.Fatalf("describe group %s: %v", g, err)
			}
			var ids []string
			for _, dg := range d.Groups {
				for _, m := range dg.Members {
					ids = append(ids, m.MemberID)
				}
			}
			return ids
		}
		if got := members(); len(got) != 1 || got[0] != joined.MemberID {
			t.Fatalf("members before evict = %q, want [%s]", got, joined.MemberID)
		}

		if err := evict(ctx, k.Addr(), g); err != nil {
			t.Fatal(err)
		}
		if got := members(); len(got) != 0 {
			t.Errorf("members after evict = %q, want none", got)
		}
		// Nothing left to remove, and a group nobody joined.
		for _, name := range []string{g, k.Group("nobody")} {
			if err := evict(ctx, k.Addr(), name); err != nil {
				t.Errorf("evict %s: %v", name, err)
			}
		}
	})
}
