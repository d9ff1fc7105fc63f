package soak

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
)

// Target is a search engine and a Kafka cluster of the caller's own that
// Run uses instead of a private dev stack, for an end-to-end check against
// real servers. No faults can be injected into them, and kill points count
// the group's committed records instead of the node's bulk items.
type Target struct {
	// ES holds the consumer's settings for reaching the engine: ES_URL and,
	// as needed, ES_USERNAME, ES_PASSWORD, ES_CA_CERT and ES_DISTRIBUTION.
	ES map[string]string
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Topic, with Config.Partitions partitions, and DeadLetterTopic must
	// exist and be empty; Index must not exist (Run creates it with the
	// soak's mapping); Group must have no committed offsets.
	Topic, DeadLetterTopic, Group, Index string
}

// Names inside the soak's private dev stack.
const (
	dataTopic = "soak"
	dlqTopic  = "soak-dlq"
	group     = "soak"
	index     = "soak"
)

// stack is what one run works on: its private dev stack or the caller's
// Target.
type stack struct {
	// brokers are the bootstrap addresses; broker is the first.
	brokers []string
	broker  string
	// esEnv are the consumer's settings for the engine; es reaches it.
	esEnv                    map[string]string
	es                       *esclient.Transport
	topic, dlq, group, index string
	// node is the dev stack's node, for faults and counters; nil on a
	// Target.
	node *esnode.Node
	// close stops what the run started.
	close func()
}

// ErrTarget is wrapped when a Target is not as a run needs it.
var ErrTarget = errors.New("soak target not ready")

// openStack starts the private dev stack, or checks the Target, and
// returns the stack with the soak's index created.
func openStack(ctx context.Context, cfg Config) (*stack, error) {
	var st *stack
	if t := cfg.Target; t != nil {
		st = &stack{brokers: t.Brokers, esEnv: maps.Clone(t.ES),
			topic: t.Topic, dlq: t.DeadLetterTopic, group: t.Group, index: t.Index, close: func() {}}
	} else {
		ds, err := devstack.Start(ctx, devstack.Options{
			KafkaAddr: "127.0.0.1:0", ESAddr: "127.0.0.1:0",
			Topics: []devstack.Topic{{Name: dataTopic, Partitions: cfg.Partitions}, {Name: dlqTopic, Partitions: 1}},
		})
		if err != nil {
			return nil, fmt.Errorf("start dev stack: %w", err)
		}
		st = &stack{brokers: ds.KafkaAddrs, esEnv: map[string]string{esclient.EnvURL: ds.ESURL},
			topic: dataTopic, dlq: dlqTopic, group: group, index: index, node: ds.ES.Node, close: func() { ds.Close() }}
	}
	st.broker = st.brokers[0]
	es, err := newESClient(st.esEnv)
	if err != nil {
		st.close()
		return nil, err
	}
	// Runs before the dev stack closes: the node's graceful shutdown would
	// wait for the pooled connections.
	devClose := st.close
	st.es = es
	st.close = func() {
		es.CloseIdleConnections()
		devClose()
	}
	if cfg.Target != nil {
		if err := st.checkFresh(ctx, cfg.Partitions); err != nil {
			st.close()
			return nil, err
		}
	}
	if err := createIndex(ctx, es, st.index); err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

// checkFresh makes sure a Target starts from nothing: the checks count
// every record on the topics and every document in the index as the run's.
func (st *stack) checkFresh(ctx context.Context, partitions int) error {
	for _, tp := range []struct {
		name  string
		parts int
	}{{st.topic, partitions}, {st.dlq, 1}} {
		b, err := listOffsets(ctx, st.broker, tp.name, tp.parts)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrTarget, err)
		}
		for p, o := range b {
			if o[0] != o[1] {
				return fmt.Errorf("%w: topic %s partition %d holds records (offsets %d to %d); the soak needs empty topics", ErrTarget, tp.name, p, o[0], o[1])
			}
		}
	}
	c, err := committed(ctx, st.broker, st.group, st.topic, partitions)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	if n := sumCommitted(c); n > 0 {
		return fmt.Errorf("%w: group %s has committed offsets on %s", ErrTarget, st.group, st.topic)
	}
	return nil
}
