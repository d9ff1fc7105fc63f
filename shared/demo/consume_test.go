package demo

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestConsumeUntilIndexed(t *testing.T) {
	tests := []struct {
		name    string
		faults  esnode.Faults
		wantErr error
	}{
		{name: "indexed"},
		// Every request answered 503: nothing can be committed, and the wait
		// must end at its bound instead of hanging.
		{name: "elasticsearch unavailable", faults: esnode.Faults{Request503: 1}, wantErr: ErrNotIndexed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startTestStack(t)
			es, closeES, err := newESClient(s.ESURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closeES)
			n, err := produceSamples(t.Context(), s.KafkaAddrs[0], &printer{w: &bytes.Buffer{}})
			if err != nil {
				t.Fatal(err)
			}
			s.ES.Node.SetFaults(tt.faults)
			var out bytes.Buffer
			opts := Options{IndexTimeout: 2 * time.Second}.withDefaults()
			began := time.Now()
			err = consumeUntilIndexed(t.Context(), opts, s.KafkaAddrs[0], s.ESURL, n, &printer{w: &out})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("consumeUntilIndexed error = %v, want %v\n%s", err, tt.wantErr, out.String())
			}
			if took := time.Since(began); took > opts.IndexTimeout+stopTimeout {
				t.Errorf("consumeUntilIndexed took %v", took)
			}
			if tt.wantErr != nil {
				return
			}
			s.ES.Node.SetFaults(esnode.Faults{})
			hits, err := printSearch(t.Context(), es, &printer{w: &bytes.Buffer{}})
			if err != nil || hits != int64(n) {
				t.Errorf("index holds %d documents (%v), want %d", hits, err, n)
			}
			if !strings.Contains(out.String(), "All 5 messages committed") {
				t.Errorf("output does not report the commit:\n%s", out.String())
			}
		})
	}
}
