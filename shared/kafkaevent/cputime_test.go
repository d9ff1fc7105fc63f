package kafkaevent

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used. Benchmarks report
// throughput per CPU second as well as per wall second because the build
// machines are shared: wall-clock MB/s then measures the neighbours, while
// CPU MB/s is the figure "per core" budgets are stated in.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPUThroughput adds a cpu-MB/s metric for bytes processed per
// iteration over the CPU time spent since start.
func reportCPUThroughput(b *testing.B, start time.Duration, bytesPerOp int) {
	b.Helper()
	spent := cpuTime(b) - start
	if spent <= 0 {
		return
	}
	b.ReportMetric(float64(bytesPerOp)*float64(b.N)/spent.Seconds()/1e6, "cpu-MB/s")
}
