package kafkaops

import (
	"testing"
	"time"

	"github.com/esconnect/esconnect/shared/kafkaops/kafkaopstest"
)

// BenchmarkStatus measures one status of a 64-partition topic where every
// partition lags, so each needs both record lookups.
func BenchmarkStatus(b *testing.B) {
	const parts = 64
	c := kafkaopstest.Start(b, kafkaopstest.Topic{Name: "orders", Partitions: parts})
	commits := make(map[int]int64, parts)
	for p := range parts {
		c.Produce(b, "orders", p, secs(p, p+1, p+2, p+3)...)
		commits[p] = 2
	}
	c.Commit(b, "sink", "orders", commits)
	a, err := New(Options{Brokers: c.Brokers, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	for b.Loop() {
		st, err := a.Status(b.Context(), "sink", []string{"orders"})
		if err != nil {
			b.Fatal(err)
		}
		if st.TotalLag != 2*parts || !st.DoneTime.Equal(secs(2)[0]) {
			b.Fatalf("lag %d done %v", st.TotalLag, st.DoneTime)
		}
	}
}
