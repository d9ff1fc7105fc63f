package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esbulk"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/targettest"
)

// openES opens an es:// publisher for index on e, writing through the bulk
// writer the sink uses, with no retry (RetryMax 0) so that a refusal shows
// at once.
func openES(t *testing.T, e *targettest.Engine, index string) Publisher {
	t.Helper()
	env := config.FromMap(e.Env())
	ec := esclient.LoadConfig(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	tr, err := esclient.New(ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	bc := esbulk.DefaultConfig()
	bc.Client, bc.RetryMax = tr, 0
	w, err := esbulk.New(bc)
	if err != nil {
		t.Fatal(err)
	}
	bulk := func(ctx context.Context, actions []esbulk.Action) ([]esbulk.Outcome, error) {
		rep, err := w.Write(ctx, actions)
		return rep.Outcomes, err
	}
	p, err := Open(t.Context(), "es://"+index, WithBulk(bulk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestESPublishStoresEachLetterOnce publishes the same letters twice, as a
// re-delivered batch does: each is stored once under its deterministic id
// (the second create answers 409, which counts as stored) and reads back
// as the letter it was.
func TestESPublishStoresEachLetterOnce(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("dead-letters")
		p := openES(t, e, index)
		letters := sampleLetters()
		for delivery := 1; delivery <= 2; delivery++ {
			if err := p.Publish(t.Context(), letters); err != nil {
				t.Fatalf("delivery %d: %v", delivery, err)
			}
		}
		if n := e.Count(t, index); n != len(letters) {
			t.Errorf("%d letters stored, want %d", n, len(letters))
		}
		for _, want := range letters {
			src := e.Source(t, index, DocumentID(want))
			raw, err := json.Marshal(src)
			if err != nil || src == nil {
				t.Fatalf("letter %s: %v %v", DocumentID(want), src, err)
			}
			got, err := Decode(raw)
			if err != nil {
				t.Fatalf("letter %s: %v", raw, err)
			}
			assertLetter(t, got, want)
		}
	})
}

// TestESPublishRefused: an index that refuses writes (a write block) fails
// the publish with ErrPublish naming the server's reason, so the sink does
// not take the records as dead-lettered.
func TestESPublishRefused(t *testing.T) {
	targettest.Engines(t, func(t *testing.T, e *targettest.Engine) {
		index := e.Index("dead-letters")
		e.CreateIndex(t, index, "")
		e.SetWriteBlock(t, index, true)
		p := openES(t, e, index)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		err := p.Publish(ctx, sampleLetters())
		if !errors.Is(err, ErrPublish) || !strings.Contains(err.Error(), "cluster_block_exception") {
			t.Fatalf("Publish to a blocked index = %v, want ErrPublish naming the cluster block", err)
		}
		if !strings.Contains(err.Error(), "2 of 2") {
			t.Errorf("error does not count the letters: %v", err)
		}
	})
}
