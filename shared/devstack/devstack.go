package devstack

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/esconnect/esconnect/shared/esnode"
)

// Options configures Start. The zero value starts Kafka on DefaultKafkaAddr
// and the node on DefaultESAddr with no topics seeded.
type Options struct {
	// KafkaAddr and ESAddr are listen addresses; port 0 picks a free port,
	// which is what tests and embedded uses want.
	KafkaAddr, ESAddr string
	// Topics are created before Start returns.
	Topics []Topic
	// DefaultPartitions is the partition count of auto-created topics and
	// of Topics without one; 0 means DefaultPartitions.
	DefaultPartitions int
	// ES configures the node, including injected faults.
	ES esnode.Options
}

// Stack is a running dev stack.
type Stack struct {
	// KafkaAddrs are the broker addresses for bootstrap lists.
	KafkaAddrs []string
	// ESURL is the node's base URL, for ES_URL.
	ESURL string
	// Kafka and ES give tests control over the fakes (faults, partition
	// moves, statistics).
	Kafka *kfake.Cluster
	ES    *esnode.Server
}

// Start starts the broker and the node and returns once both accept
// connections. ctx bounds start-up only; stop the stack with Close.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.KafkaAddr == "" {
		opts.KafkaAddr = DefaultKafkaAddr
	}
	if opts.ESAddr == "" {
		opts.ESAddr = DefaultESAddr
	}
	k, err := StartKafka(KafkaOptions{Addr: opts.KafkaAddr, Topics: opts.Topics, DefaultPartitions: opts.DefaultPartitions})
	if err != nil {
		return nil, err
	}
	es, err := esnode.Start(opts.ESAddr, opts.ES)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("start elasticsearch node on %s: %w", opts.ESAddr, err)
	}
	return &Stack{KafkaAddrs: k.ListenAddrs(), ESURL: es.URL, Kafka: k, ES: es}, nil
}

// Close stops the node and the broker. In-flight Elasticsearch requests get
// the node's shutdown grace; Kafka connections are cut.
func (s *Stack) Close() error {
	err := s.ES.Close()
	s.Kafka.Close()
	if err != nil {
		return fmt.Errorf("stop elasticsearch node: %w", err)
	}
	return nil
}

// Info is what `esconnect devstack` prints once the stack is ready.
type Info struct {
	KafkaBrokers []string `json:"kafka_brokers"`
	ESURL        string   `json:"es_url"`
	Topics       []Topic  `json:"topics"`
}

// Info describes the stack for other tools.
func (s *Stack) Info(topics []Topic) Info {
	return Info{KafkaBrokers: s.KafkaAddrs, ESURL: s.ESURL, Topics: topics}
}
