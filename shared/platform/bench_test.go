package platform_test

import (
	"testing"

	"github.com/esconnect/esconnect/shared/platform/platformtest"
)

// BenchmarkColdStart measures process start to ready for the echo function;
// functions/* have the same benchmark for the real binaries.
func BenchmarkColdStart(b *testing.B) {
	bin := platformtest.Build(b, echofn)
	b.Run("lambda", func(b *testing.B) { platformtest.BenchStartupLambda(b, bin, nil) })
	b.Run("fc", func(b *testing.B) { platformtest.BenchStartupFC(b, bin, nil) })
}
