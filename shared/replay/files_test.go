package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/sink"
	"github.com/esconnect/esconnect/shared/targettest"
)

// timerFixtures are the events/ fixtures that trigger pg-es-sync: they hold
// no Kafka records. Every other fixture must replay.
var timerFixtures = map[string]bool{"aws-eventbridge-schedule.json": true, "fc-timer.json": true}

// kafkaFixtures returns the Kafka trigger fixtures in events/, sorted.
func kafkaFixtures(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !timerFixtures[filepath.Base(f)] {
			out = append(out, f)
		}
	}
	if len(out) < 5 {
		t.Fatalf("found %d Kafka fixtures in events/, expected the whole set", len(out))
	}
	return out
}

// decodeFile is what the function makes of a fixture.
func decodeFile(t *testing.T, path string) kafkaevent.Batch {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := kafkaevent.Decode(b, kafkaevent.FormatAuto)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return batch
}

// replayToStdout replays spec to the stdout destination in batches of 2 and
// returns the archive lines written.
func replayToStdout(t *testing.T, spec string) ([]Line, Summary, error) {
	t.Helper()
	src, err := OpenSource(t.Context(), spec, kafkaevent.FormatAuto, nil)
	if err != nil {
		t.Fatalf("open %s: %v", spec, err)
	}
	defer src.Close()
	var out bytes.Buffer
	dst, err := OpenDestination(t.Context(), "stdout", DestinationOptions{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	sum, runErr := Run(t.Context(), src, dst, Options{Batch: 2})
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	var lines []Line
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines, sum, runErr
}

func wantLines(recs []kafkaevent.Record) []Line {
	var out []Line
	for _, r := range recs {
		// Through JSON, as the lines were, so nil and empty compare alike.
		b, _ := json.Marshal(ToLine(r))
		var l Line
		_ = json.Unmarshal(b, &l)
		out = append(out, l)
	}
	return out
}

// checkRejected asserts that sum and err report exactly the failures of the
// decoded files, in order.
func checkRejected(t *testing.T, sum Summary, err error, files []string, batches []kafkaevent.Batch) {
	t.Helper()
	var want []Rejected
	for i, b := range batches {
		for _, f := range b.Failures {
			want = append(want, Rejected{File: files[i], Index: f.Index})
		}
	}
	if len(want) == 0 {
		if err != nil || sum.Undecodable != 0 || len(sum.Rejected) != 0 {
			t.Fatalf("clean source: error %v, rejected %+v", err, sum.Rejected)
		}
		return
	}
	if !errors.Is(err, ErrUndecodable) || !errors.Is(err, ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed and ErrUndecodable", err)
	}
	if sum.Undecodable != len(want) || len(sum.Rejected) != len(want) || sum.Error == "" {
		t.Fatalf("summary reports %d undecodable (%+v, error %q), want %d", sum.Undecodable, sum.Rejected, sum.Error, len(want))
	}
	for i, r := range sum.Rejected {
		if r.File != want[i].File || r.Index != want[i].Index || r.Error == "" {
			t.Errorf("rejected[%d] = %+v, want file %s index %d with its error", i, r, want[i].File, want[i].Index)
		}
	}
}

// TestEventFixturesToStdout replays every Kafka fixture on its own: each
// good record comes out exactly as the function decodes it, and a fixture
// with undecodable records still sends all the others and reports the bad
// ones.
func TestEventFixturesToStdout(t *testing.T) {
	withFailures := 0
	for _, f := range kafkaFixtures(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			batch := decodeFile(t, f)
			if len(batch.Failures) > 0 {
				withFailures++
			}
			lines, sum, err := replayToStdout(t, f)
			checkRejected(t, sum, err, []string{f}, []kafkaevent.Batch{batch})
			if want := wantLines(batch.Records); !reflect.DeepEqual(lines, want) {
				t.Fatalf("stdout lines\n%+v\nwant\n%+v", lines, want)
			}
			if sum.Sent != int64(len(batch.Records)) || sum.Read != sum.Sent {
				t.Fatalf("summary read %d sent %d, want %d", sum.Read, sum.Sent, len(batch.Records))
			}
		})
	}
	if withFailures < 2 {
		t.Fatalf("%d fixtures with undecodable records, want the bad-record fixtures to be among them", withFailures)
	}
}

// eventDir copies the Kafka fixtures into a directory tree (half of them in
// a subdirectory, beside a file that is not JSON) and returns the directory
// and the fixture copies in the order a directory source reads them.
func eventDir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i, f := range kafkaFixtures(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sub := dir
		if i%2 == 1 {
			sub = filepath.Join(dir, "more")
		}
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(sub, filepath.Base(f))
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, dst)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an event"), 0o600); err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return dir, files
}

// TestEventDirectoryToStdout replays a directory: every *.json under it, in
// lexical path order, with undecodable records reported per file.
func TestEventDirectoryToStdout(t *testing.T) {
	dir, files := eventDir(t)
	var batches []kafkaevent.Batch
	var want []kafkaevent.Record
	for _, f := range files {
		b := decodeFile(t, f)
		batches = append(batches, b)
		want = append(want, b.Records...)
	}
	lines, sum, err := replayToStdout(t, dir)
	checkRejected(t, sum, err, files, batches)
	if !reflect.DeepEqual(lines, wantLines(want)) {
		t.Fatalf("directory replay wrote %d lines not matching the %d records of its files in order", len(lines), len(want))
	}
}

func TestEventSourceErrors(t *testing.T) {
	dir := t.TempDir()
	notEvent := filepath.Join(dir, "timer.json")
	if err := os.WriteFile(notEvent, []byte(`{"triggerTime":"2024-05-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, spec string
		want       error
	}{
		{"missing path", filepath.Join(dir, "absent.json"), os.ErrNotExist},
		{"not a Kafka trigger", notEvent, kafkaevent.ErrUnrecognised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := OpenSource(t.Context(), tt.spec, kafkaevent.FormatAuto, nil); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// sinkDest is the `local` destination as the command builds it: the
// kafka-es-sink handler configured from settings.
type sinkDest struct {
	h     *sink.Handler
	close func() error
}

func (d sinkDest) Send(ctx context.Context, recs []kafkaevent.Record) (any, error) {
	return d.h.HandleRecords(ctx, recs)
}

func (d sinkDest) Close() error { return d.close() }

// localOptions returns destination options whose `local` is the sink with
// env as its settings.
func localOptions(env map[string]string) DestinationOptions {
	return DestinationOptions{Local: func(ctx context.Context) (Destination, error) {
		cfg, err := sink.LoadConfig(config.FromMap(env))
		if err != nil {
			return nil, err
		}
		h, closeFn, err := sink.Open(ctx, cfg, nil)
		if err != nil {
			return nil, err
		}
		return sinkDest{h: h, close: closeFn}, nil
	}}
}

// TestEventDirectoryToLocal replays the directory of fixtures into the sink:
// every good record is indexed under its offset id, the bad ones are reported
// and nothing else of their files is lost.
func TestEventDirectoryToLocal(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		dir, files := eventDir(t)
		replayed := e.Index("replayed")
		// Values as text, so that fixtures with JSON objects and with plain
		// strings for values fit one mapping.
		env := sinkEnv(e, map[string]string{"ES_INDEX": replayed, "VALUE_FORMAT": "text"})
		src, err := OpenSource(t.Context(), dir, kafkaevent.FormatAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dst, err := OpenDestination(t.Context(), "local", localOptions(env))
		if err != nil {
			t.Fatal(err)
		}
		sum, runErr := Run(t.Context(), src, dst, Options{Batch: 3})
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
		var batches []kafkaevent.Batch
		want := map[string]bool{}
		good := 0
		for _, f := range files {
			b := decodeFile(t, f)
			batches = append(batches, b)
			for _, r := range b.Records {
				want[msgdoc.OffsetID(r.Topic, r.Partition, r.Offset)] = true
			}
			good += len(b.Records)
		}
		checkRejected(t, sum, runErr, files, batches)
		if sum.Sent != int64(good) {
			t.Fatalf("sent %d records, want %d", sum.Sent, good)
		}
		if got := indexIDs(t, e, replayed); !reflect.DeepEqual(got, want) {
			t.Fatalf("indexed ids %v, want %v", got, want)
		}
	})
}
