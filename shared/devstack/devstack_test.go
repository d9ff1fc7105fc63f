package devstack

import (
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
)

// startStack starts a stack on free ports and stops it when the test ends.
func startStack(t *testing.T, topics ...Topic) *Stack {
	t.Helper()
	s, err := Start(t.Context(), Options{KafkaAddr: "127.0.0.1:0", ESAddr: "127.0.0.1:0", Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStackServesBothProtocols(t *testing.T) {
	s := startStack(t, Topic{Name: "orders", Partitions: 2})
	produceConsumeCommit(t, s.KafkaAddrs[0], "orders", 10)

	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{s.ESURL}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := es.Info(es.Info.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.IsError() {
		t.Fatalf("GET / answered %s", res.Status())
	}
}

func TestStartFailsCleanlyWhenESAddressBusy(t *testing.T) {
	first := startStack(t)
	// The second stack's Kafka starts, then its node cannot bind; Start must
	// not leave that broker behind.
	_, err := Start(t.Context(), Options{KafkaAddr: "127.0.0.1:0", ESAddr: first.ESURL[len("http://"):]})
	if err == nil {
		t.Fatal("Start on a busy Elasticsearch address succeeded")
	}
}
