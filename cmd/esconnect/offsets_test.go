package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/esconnect/esconnect/shared/kafkaops"
	"github.com/esconnect/esconnect/shared/targettest"
)

func offsetsCmd(t *testing.T, args []string, out, errOut *bytes.Buffer) error {
	return runOffsets(t.Context(), args, out, errOut)
}

func TestOffsetsCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantRows []string
		want     map[int]int64 // committed afterwards
	}{
		{
			name:     "by time",
			args:     []string{"--to", "2024-05-01T12:00:01Z"},
			wantRows: []string{`0\s+3\s+1\s+0\s+5`, `1\s+3\s+0\s+0\s+3`, `2\s+-\s+0\s+0\s+0`, `TO 2024-05-01T12:00:01Z  \(committed\)`},
			want:     map[int]int64{0: 1, 1: 0, 2: 0},
		},
		{
			name:     "one partition to an offset",
			args:     []string{"--to", "4", "--partition", "0"},
			wantRows: []string{`0\s+3\s+4\s+0\s+5\s*\n`},
			want:     map[int]int64{0: 4, 1: 3, 2: -1},
		},
		{
			name:     "clamped offset",
			args:     []string{"--to", "9", "--partition", "1,0"},
			wantRows: []string{`0\s+3\s+5\s+0\s+5\s+target outside`, `1\s+3\s+3\s+0\s+3\s+target outside`},
			want:     map[int]int64{0: 5, 1: 3, 2: -1},
		},
		{
			name:     "dry run",
			args:     []string{"--to", "earliest", "--dry-run"},
			wantRows: []string{`dry run, nothing committed`, `0\s+3\s+0\s+0\s+5`},
			want:     map[int]int64{0: 3, 1: 3, 2: -1},
		},
	}
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := startOpsCluster(t, k, fmt.Sprintf("-%d", i))
				args := append([]string{"--brokers", c.Brokers[0], "--group", c.sink, "--topic", c.orders}, tt.args...)
				out, _, err := runCmd(t, offsetsCmd, args...)
				if err != nil {
					t.Fatal(err)
				}
				for _, re := range tt.wantRows {
					if !regexp.MustCompile(re).MatchString(out) {
						t.Errorf("output lacks %s:\n%s", re, out)
					}
				}
				if got := c.Committed(t, c.sink, c.orders, 0, 1, 2); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("committed %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestOffsetsCommandJSON(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		out, _, err := runCmd(t, offsetsCmd, "--brokers", c.Brokers[0], "--group", c.sink, "--topic", c.orders, "--to", "latest", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var res kafkaops.MoveResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		want := []kafkaops.PartitionMove{
			{Partition: 0, Before: 3, After: 5, End: 5},
			{Partition: 1, Before: 3, After: 3, End: 3},
			{Partition: 2, Before: -1, After: 0, End: 0},
		}
		if !res.Committed || res.To != "latest" || !reflect.DeepEqual(res.Partitions, want) {
			t.Fatalf("result %+v", res)
		}
		if got := c.Committed(t, c.sink, c.orders, 0, 1, 2); !reflect.DeepEqual(got, map[int]int64{0: 5, 1: 3, 2: 0}) {
			t.Fatalf("committed %v after the move to latest", got)
		}
	})
}

func TestOffsetsCommandRefusesActiveGroup(t *testing.T) {
	targettest.Kafkas(t, func(t *testing.T, k *targettest.Kafka) {
		c := startOpsCluster(t, k, "")
		c.Join(t, c.sink, c.orders, "live-sink", nil)
		base := []string{"--brokers", c.Brokers[0], "--group", c.sink, "--topic", c.orders, "--to", "earliest"}

		var out, errOut bytes.Buffer
		if code := runMain(append([]string{"offsets"}, base...), &out, &errOut); code != exitGroupActive {
			t.Fatalf("exit %d, want %d; stderr %s", code, exitGroupActive, errOut.String())
		}
		if !strings.Contains(errOut.String(), "live-sink") || !strings.Contains(errOut.String(), "stop its consumers") {
			t.Fatalf("refusal does not name the member: %s", errOut.String())
		}
		if got := c.Committed(t, c.sink, c.orders, 0, 1); got[0] != 3 || got[1] != 3 {
			t.Fatalf("offsets moved to %v", got)
		}

		// A dry run shows the plan and warns.
		stdout, stderr, err := runCmd(t, offsetsCmd, append(base, "--dry-run")...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "1 member(s)") || !strings.Contains(stdout, "dry run") {
			t.Fatalf("dry run on an active group: stdout %s stderr %s", stdout, stderr)
		}
	})
}

func TestOffsetsCommandBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"no target", []string{"--brokers", "127.0.0.1:1", "--group", "g", "--topic", "t"}, nil},
		{"bad target", []string{"--brokers", "127.0.0.1:1", "--group", "g", "--topic", "t", "--to", "soon"}, kafkaops.ErrBadTarget},
		{"bad partition", []string{"--brokers", "127.0.0.1:1", "--group", "g", "--topic", "t", "--to", "1", "--partition", "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, offsetsCmd, tt.args...)
			var ec *exitCodeError
			if !errors.As(err, &ec) || ec.code != 2 {
				t.Fatalf("err %v, want exit code 2", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}
