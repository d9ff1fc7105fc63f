package kafkaops

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// coordinatorErrorFirst makes kfake answer the first n group requests of key
// with code, as a broker does while __consumer_offsets is being created or
// the coordinator moves, and counts every request of key.
func coordinatorErrorFirst(t *testing.T, key kmsg.Key, n int32, code int16) (*kfake.Cluster, *atomic.Int32) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var calls atomic.Int32
	c.ControlKey(key.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if calls.Add(1) > n {
			return nil, nil, false
		}
		resp := req.ResponseKind()
		resp.SetVersion(req.GetVersion())
		switch req := req.(type) {
		case *kmsg.OffsetFetchRequest:
			resp := resp.(*kmsg.OffsetFetchResponse)
			resp.ErrorCode = code
			for _, g := range req.Groups {
				rg := kmsg.NewOffsetFetchResponseGroup()
				rg.Group, rg.ErrorCode = g.Group, code
				resp.Groups = append(resp.Groups, rg)
			}
		case *kmsg.DescribeGroupsRequest:
			resp := resp.(*kmsg.DescribeGroupsResponse)
			for _, g := range req.Groups {
				rg := kmsg.NewDescribeGroupsResponseGroup()
				rg.Group, rg.ErrorCode = g, code
				resp.Groups = append(resp.Groups, rg)
			}
		case *kmsg.OffsetCommitRequest:
			resp := resp.(*kmsg.OffsetCommitResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewOffsetCommitResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewOffsetCommitResponseTopicPartition()
					sp.Partition, sp.ErrorCode = rp.Partition, code
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
		default:
			t.Errorf("no error response for %T", req)
			return nil, nil, false
		}
		return resp, nil, true
	})
	return c, &calls
}

// TestGroupRequestsRetryTheCoordinator: a coordinator that is elsewhere, not
// there yet or still loading is retried, as Kafka's own clients do, for
// each group request the tools send; any other error fails at once.
func TestGroupRequestsRetryTheCoordinator(t *testing.T) {
	ops := map[kmsg.Key]func(context.Context, *Admin) error{
		kmsg.OffsetFetch: func(ctx context.Context, a *Admin) error {
			_, err := a.committed(ctx, "g", map[string][]int{"t": {0}})
			return err
		},
		kmsg.DescribeGroups: func(ctx context.Context, a *Admin) error {
			_, err := a.DescribeGroup(ctx, "g")
			return err
		},
		kmsg.OffsetCommit: func(ctx context.Context, a *Admin) error {
			return a.commit(ctx, "g", "t", []PartitionMove{{Partition: 0, After: 0}})
		},
	}
	tests := []struct {
		name      string
		key       kmsg.Key
		code      int16
		wantCalls int32
		wantErr   error
	}{
		{"offset fetch, not coordinator twice", kmsg.OffsetFetch, kerr.NotCoordinator.Code, 3, nil},
		{"offset fetch, load in progress twice", kmsg.OffsetFetch, kerr.CoordinatorLoadInProgress.Code, 3, nil},
		{"offset fetch, authorization failure", kmsg.OffsetFetch, kerr.GroupAuthorizationFailed.Code, 1, kerr.GroupAuthorizationFailed},
		{"describe, coordinator not available twice", kmsg.DescribeGroups, kerr.CoordinatorNotAvailable.Code, 3, nil},
		{"describe, authorization failure", kmsg.DescribeGroups, kerr.GroupAuthorizationFailed.Code, 1, kerr.GroupAuthorizationFailed},
		{"commit, not coordinator twice", kmsg.OffsetCommit, kerr.NotCoordinator.Code, 3, nil},
		{"commit, authorization failure", kmsg.OffsetCommit, kerr.GroupAuthorizationFailed.Code, 1, kerr.GroupAuthorizationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := coordinatorErrorFirst(t, tt.key, 2, tt.code)
			a, err := New(Options{Brokers: c.ListenAddrs(), RequestTimeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(a.Close)
			err = ops[tt.key](t.Context(), a)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Fatalf("%d %s requests, want %d", got, tt.key.Name(), tt.wantCalls)
			}
		})
	}
}
