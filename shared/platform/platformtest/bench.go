package platformtest

import (
	"context"
	"slices"
	"testing"
	"time"
)

// startupTimeout bounds one cold start in the benchmarks.
const startupTimeout = 10 * time.Second

// BenchStartupLambda starts bin b.N times against a fresh Runtime API and
// reports the median time from process start to its first invocation/next
// request, which is when Lambda considers init done.
func BenchStartupLambda(b *testing.B, bin string, env map[string]string) {
	b.Helper()
	var samples []time.Duration
	for b.Loop() {
		samples = append(samples, startupLambda(b, bin, env))
	}
	ReportMedian(b, samples)
}

func startupLambda(b *testing.B, bin string, env map[string]string) time.Duration {
	b.Helper()
	api := NewRuntimeAPI(b)
	full := map[string]string{"AWS_LAMBDA_RUNTIME_API": api.Addr()}
	for k, v := range env {
		full[k] = v
	}
	p := Start(b, bin, full)
	select {
	case <-api.Ready():
	case <-time.After(startupTimeout):
		b.Fatalf("no invocation/next within %v:\n%s", startupTimeout, p.Stderr)
	}
	d := api.ReadyAt().Sub(p.Started)
	_ = p.Cmd.Process.Kill()
	return d
}

// BenchStartupFC starts bin b.N times as an FC custom runtime and reports the
// median time from process start to the listening log line.
func BenchStartupFC(b *testing.B, bin string, env map[string]string) {
	b.Helper()
	var samples []time.Duration
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), startupTimeout)
		p, _ := StartFC(ctx, b, bin, env)
		samples = append(samples, time.Since(p.Started))
		cancel()
		_ = p.Cmd.Process.Kill()
	}
	ReportMedian(b, samples)
}

// ReportMedian reports the median of samples as "ms-median".
func ReportMedian(b *testing.B, samples []time.Duration) {
	b.Helper()
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median")
}
