package main

import (
	"os"
	"testing"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/esnode/esnodetest"
	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

// maxBinaryBytes is the budget of the stripped arm64 bootstrap.
const maxBinaryBytes = 15 << 20

func TestBinarySize(t *testing.T) {
	bin := platformtest.BuildFor(t, pkg, "arm64")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("linux/arm64 bootstrap: %.1f MiB", float64(fi.Size())/(1<<20))
	if fi.Size() > maxBinaryBytes {
		t.Fatalf("bootstrap is %d bytes, budget %d (is go-elasticsearch's typedapi linked in?)", fi.Size(), maxBinaryBytes)
	}
}

// BenchmarkColdStart reports the median time from process start to ready:
// the first Runtime API next request, or listening on the FC port.
func BenchmarkColdStart(b *testing.B) {
	bin := platformtest.Build(b, pkg)
	node := esnodetest.Start(b, esnode.Options{})
	env := map[string]string{"ES_URL": node.URL, "ES_INDEX": index}
	b.Run("lambda", func(b *testing.B) { platformtest.BenchStartupLambda(b, bin, env) })
	b.Run("fc", func(b *testing.B) { platformtest.BenchStartupFC(b, bin, env) })
}
