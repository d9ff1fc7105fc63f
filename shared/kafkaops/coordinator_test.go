package kafkaops

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// notCoordinatorFirst makes kfake answer the group's first n OffsetFetch
// requests with NOT_COORDINATOR, as a broker does while __consumer_offsets
// is being created, and counts every OffsetFetch request.
func notCoordinatorFirst(t *testing.T, n int32, code int16) (*kfake.Cluster, *atomic.Int32) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var calls atomic.Int32
	c.ControlKey(kmsg.OffsetFetch.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if calls.Add(1) > n {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.SetVersion(req.GetVersion())
		resp.ErrorCode = code
		for _, g := range req.(*kmsg.OffsetFetchRequest).Groups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp, nil, true
	})
	return c, &calls
}

// TestCommittedRetriesTheCoordinator: kafka-go hands a coordinator's
// NOT_COORDINATOR back to the caller; the admin retries it, as Kafka's own
// clients do, and fails at once on any other error.
func TestCommittedRetriesTheCoordinator(t *testing.T) {
	tests := []struct {
		name      string
		code      int16
		wantCalls int32
		wantErr   error
	}{
		{"not coordinator twice", kerr.NotCoordinator.Code, 3, nil},
		{"load in progress twice", kerr.CoordinatorLoadInProgress.Code, 3, nil},
		{"authorization failure", kerr.GroupAuthorizationFailed.Code, 1, kafka.GroupAuthorizationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := notCoordinatorFirst(t, 2, tt.code)
			a, err := New(Options{Brokers: c.ListenAddrs(), Now: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(a.Close)
			_, err = a.committed(t.Context(), "g", map[string][]int{"t": {0}})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Fatalf("%d OffsetFetch requests, want %d", got, tt.wantCalls)
			}
		})
	}
}
