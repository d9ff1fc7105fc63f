package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/msgdoc"
	"github.com/esconnect/esconnect/shared/sink"
)

// buildForTest builds pkg into the test's directory, as a function
// binary (make build's flags) or as a program.
func buildForTest(t *testing.T, pkg string, function bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bin")
	env := os.Environ()
	var flags []string
	if function {
		flags = functionFlags
		env = append(env, "CGO_ENABLED=0")
	}
	// The tests run in the package's directory; go build resolves the
	// module from there.
	if err := goBuild(t.Context(), env, out, pkg, flags...); err != nil {
		t.Fatal(err)
	}
	return out
}

// The baseline is only a fair comparison if it stores what esconnect
// stores: for the same event, every document it writes must equal the one
// kafka-es-sink writes with its default settings.
func TestBaselineWritesWhatTheSinkWrites(t *testing.T) {
	node := esnodetest.Start(t, esnode.Options{})
	es := esnodetest.Client(t, node)
	ev := eventSpec{25, 300}
	payload, recs, err := ev.payload()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	naive := buildForTest(t, "github.com/esconnect/esconnect/cmd/esconnect-bench/naive", false)
	r, err := runProcess(t.Context(), []string{"ES_URL=" + node.URL, "ES_INDEX=baseline"}, time.Minute, naive, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := indexedAll(ev.Records)(r.Stdout); err != nil {
		t.Fatal(err)
	}

	cfg, err := sink.LoadConfig(config.FromMap(map[string]string{"ES_URL": node.URL, "ES_INDEX": "esconnect"}))
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := sink.Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	if res, err := h.Handle(t.Context(), payload); err != nil || res.Indexed != ev.Records {
		t.Fatalf("sink: %+v, %v", res, err)
	}
	for _, rec := range recs {
		id := msgdoc.OffsetID(rec.Topic, rec.Partition, rec.Offset)
		got, want := esnodetest.Source(t, es, "baseline", id), esnodetest.Source(t, es, "esconnect", id)
		if want == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("document %s: baseline stored %v\nesconnect stored %v", id, got, want)
		}
	}
}

// The functions the benchmarks start run through the emulator the way
// they run on Lambda: the hello world answers, and the baseline built as
// a function indexes an event.
func TestFunctionsThroughTheEmulator(t *testing.T) {
	node := esnodetest.Start(t, esnode.Options{})
	env := []string{"ES_URL=" + node.URL, "ES_INDEX=" + benchTopic}
	ev := eventSpec{10, 200}
	payload, _, err := ev.payload()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pkg   string
		event []byte
		check func([]byte) error
	}{
		{"github.com/esconnect/esconnect/cmd/esconnect-bench/hello", []byte(`{}`), func(b []byte) error {
			if string(b) != `"hello"` {
				return errUnexpected(b)
			}
			return nil
		}},
		{"github.com/esconnect/esconnect/cmd/esconnect-bench/naive", payload, indexedAll(ev.Records)},
	} {
		t.Run(filepath.Base(tc.pkg), func(t *testing.T) {
			p, err := startLambda(buildForTest(t, tc.pkg, true), env)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.stop)
			if d, err := p.readyAfter(t.Context(), 30*time.Second); err != nil || d <= 0 {
				t.Fatalf("ready after %v: %v", d, err)
			}
			for range 2 {
				inv, err := p.invoke(t.Context(), tc.event, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.check(inv.Response); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

type unexpected string

func (u unexpected) Error() string { return "unexpected response " + string(u) }

func errUnexpected(b []byte) error { return unexpected(b) }
