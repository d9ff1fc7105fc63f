package soak

import (
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/targettest"
)

// TestSoakTargetMustBeFresh: a target whose topic already holds records is
// refused before anything runs, since the checks would count them.
func TestSoakTargetMustBeFresh(t *testing.T) {
	targettest.Stacks(t, func(t *testing.T, s *targettest.Stack) {
		k, e := s.Kafka, s.ES
		topic := k.Topic(t, dataTopic, 1)
		writeMessages(t, k, topic, []kafka.Message{{Value: []byte("left over")}})
		cfg := Config{Binary: binary, N: 10, Partitions: 1, Kills: -1, LogDir: t.TempDir(), Timeout: 30 * time.Second,
			Target: &Target{ES: e.Env(), Brokers: k.Brokers, Topic: topic, DeadLetterTopic: k.Topic(t, dlqTopic, 1),
				Group: k.Group(group), Index: e.Index(index)}}
		if _, err := Run(t.Context(), cfg); !errors.Is(err, ErrTarget) {
			t.Fatalf("Run on a topic with records = %v, want ErrTarget", err)
		}
	})
}
