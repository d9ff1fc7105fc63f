package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
	"github.com/esconnect/esconnect/shared/targettest"
)

var opsBase = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func opsSecs(s ...int) []time.Time {
	out := make([]time.Time, len(s))
	for i, v := range s {
		out[i] = opsBase.Add(time.Duration(v) * time.Second)
	}
	return out
}

// opsCluster has a topic orders with p0 at base+0..4s, p1 at base+10..12s
// and p2 empty, and a group sink that committed 3 on p0 and 3 on p1.
type opsCluster struct {
	*kafkaopstest.Cluster
	orders, sink string
}

// startOpsCluster sets it up on k under names ending in suffix: cases that
// share k give each its own.
func startOpsCluster(t *testing.T, k *targettest.Kafka, suffix string) opsCluster {
	t.Helper()
	c := kafkaopstest.Open(t, k)
	o := opsCluster{Cluster: c, orders: c.Topic(t, "orders"+suffix, 3), sink: c.Group("sink" + suffix)}
	c.Produce(t, o.orders, 0, opsSecs(0, 1, 2, 3, 4)...)
	c.Produce(t, o.orders, 1, opsSecs(10, 11, 12)...)
	c.Commit(t, o.sink, o.orders, map[int]int64{0: 3, 1: 3})
	return o
}

func runCmd(t *testing.T, run func(*testing.T, []string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func statusCmd(t *testing.T, args []string, out, errOut *bytes.Buffer) error {
	return runStatus(t.Context(), args, out, errOut)
}

func TestStatusCommandTable(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		out, _, err := runCmd(t, statusCmd, "--brokers", strings.Join(c.Brokers, ","), "--group", c.sink, "--topic", c.orders)
		if err != nil {
			t.Fatal(err)
		}
		orders := regexp.QuoteMeta(c.orders)
		// Columns: topic, partition, committed, end, lag, last committed record
		// time, done until.
		wantRows := []string{
			orders + `\s+0\s+3\s+5\s+2\s+2024-05-01T12:00:02Z\s+2024-05-01T12:00:03Z`,
			orders + `\s+1\s+3\s+3\s+0\s+2024-05-01T12:00:12Z\s+now`,
			orders + `\s+2\s+-\s+0\s+0\s+-\s+now`,
			`GROUP ` + regexp.QuoteMeta(c.sink) + `\s+STATE (Empty|Dead)\s+MEMBERS 0`,
			`TOTAL LAG 2\n`,
			`DONE TIME 2024-05-01T12:00:03Z \(\S+ behind; oldest pending record ` + orders + `/0@3\)`,
		}
		for _, re := range wantRows {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("output lacks %s:\n%s", re, out)
			}
		}
	})
}

func TestStatusCommandJSON(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		c.Join(t, c.sink, c.orders, "paused-sink", kafkaops.MemberUserData(kafkaops.MemberPaused))
		out, _, err := runCmd(t, statusCmd, "--brokers", c.Brokers[0], "--group", c.sink, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var st kafkaops.Status
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if st.ID != c.sink || st.State != "Stable" || !st.Paused || len(st.Members) != 1 || st.Members[0].ClientID != "paused-sink" {
			t.Fatalf("group %q state %q paused %v members %+v", st.ID, st.State, st.Paused, st.Members)
		}
		if st.TotalLag != 2 || len(st.Partitions) != 3 || !st.DoneTime.Equal(opsSecs(3)[0]) || st.CaughtUp {
			t.Fatalf("lag %d partitions %d done %v caught up %v", st.TotalLag, len(st.Partitions), st.DoneTime, st.CaughtUp)
		}
		p0 := st.Partitions[0]
		if p0.Committed != 3 || p0.End != 5 || p0.Lag != 2 || p0.LastCommitted == nil || !p0.LastCommitted.Time.Equal(opsSecs(2)[0]) {
			t.Fatalf("partition 0 %+v", p0)
		}
		// The table marks the paused group too.
		out, _, err = runCmd(t, statusCmd, "--brokers", c.Brokers[0], "--group", c.sink)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "STATE Stable (paused)") || !regexp.MustCompile(`paused-sink\s+\S+\s+paused\s+`+regexp.QuoteMeta(c.orders)+`:0,1,2`).MatchString(out) {
			t.Fatalf("table does not show the paused member:\n%s", out)
		}
	})
}

func TestStatusCommandErrors(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		tests := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  error
		}{
			{"no group", []string{"--brokers", c.Brokers[0]}, 2, nil},
			{"no brokers", []string{"--group", c.sink, "--brokers", ""}, 2, nil},
			{"unknown sasl", []string{"--brokers", c.Brokers[0], "--group", c.sink, "--sasl", "gssapi", "--sasl-username", "u"}, 2, kafkaops.ErrSecurity},
			{"group without offsets", []string{"--brokers", c.Brokers[0], "--group", c.Group("nobody")}, 0, kafkaops.ErrNoOffsets},
			{"unknown topic", []string{"--brokers", c.Brokers[0], "--group", c.sink, "--topic", c.Missing("missing")}, 0, kafkaops.ErrUnknownTopic},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Setenv(envKafkaBrokers, "")
				_, _, err := runCmd(t, statusCmd, tt.args...)
				if err == nil {
					t.Fatal("no error")
				}
				var ec *exitCodeError
				if tt.wantCode != 0 && (!errors.As(err, &ec) || ec.code != tt.wantCode) {
					t.Fatalf("err %v, want exit code %d", err, tt.wantCode)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
			})
		}
	})
	if _, _, err := runCmd(t, statusCmd, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

func TestStatusBrokersFromEnvironment(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		t.Setenv(envKafkaBrokers, c.Brokers[0])
		if _, _, err := runCmd(t, statusCmd, "--group", c.sink); err != nil {
			t.Fatalf("brokers from %s: %v", envKafkaBrokers, err)
		}
		// A flag replaces the environment's list instead of adding to it.
		t.Setenv(envKafkaBrokers, "127.0.0.1:1")
		if _, _, err := runCmd(t, statusCmd, "--group", c.sink, "--brokers", c.Brokers[0]); err != nil {
			t.Fatalf("brokers from the flag: %v", err)
		}
	})
}
