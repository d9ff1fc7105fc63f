// Package devstack runs the development stack in-process: an embedded Kafka
// broker (kfake, speaking the Kafka wire protocol) and the esnode
// Elasticsearch-API node. Tests, the demo and `esconnect devstack` embed it
// with Start and stop it with Close.
package devstack

// Default addresses and sizes of the stack; they match the ports that a
// developer's local Kafka and Elasticsearch would use, so tools need no flags.
const (
	DefaultKafkaAddr = "127.0.0.1:9092"
	DefaultESAddr    = "127.0.0.1:9200"
	// DefaultPartitions keeps ordering easy to follow in a dev stack while
	// still exercising more than one partition.
	DefaultPartitions = 3
)
