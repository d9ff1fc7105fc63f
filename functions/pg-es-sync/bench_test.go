package main

import (
	"testing"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

// BenchmarkColdStart reports the median time from process start to ready.
// Open connects to nothing, so no server is needed for start-up.
func BenchmarkColdStart(b *testing.B) {
	bin := platformtest.Build(b, pkg)
	env := map[string]string{"PG_URL": "postgres://u@127.0.0.1:5432/db", "PG_TABLES": "t", "ES_INDEX": index}
	b.Run("lambda", func(b *testing.B) { platformtest.BenchStartupLambda(b, bin, env) })
	b.Run("fc", func(b *testing.B) { platformtest.BenchStartupFC(b, bin, env) })
}
