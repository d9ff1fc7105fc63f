// Package soak is the reliability soak of the self-hosted consumer: it runs
// `esconnect run kafka-es-sink` as a child process against the dev stack
// (kfake Kafka and an esnode with faults injected), or without faults
// against servers of the caller's own (Target), feeds it records that
// include poison ones, kills it with SIGKILL at random points and restarts
// it, and then checks that every record ended up exactly once in
// Elasticsearch or on the dead-letter topic.
package soak

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/esnode"
)

// Document id modes the soak drives, the values of DOC_ID.
const (
	DocIDOffset = "offset"
	DocIDKey    = "key"
)

// Config configures Run. Zero fields take the defaults in withDefaults.
type Config struct {
	// Binary is the esconnect executable run as the consumer (see Build).
	Binary string
	// N is how many records are produced.
	N int
	// DocID is DocIDOffset or DocIDKey.
	DocID string
	// Keys is the number of distinct message keys under DocIDKey, so that
	// each key is updated N/Keys times on average.
	Keys int
	// Partitions of the data topic.
	Partitions int
	// ConflictEvery and NotJSONEvery make every n-th record (counting from
	// 1) a poison record: a JSON value whose field contradicts the index
	// mapping, or a value that is not JSON. A record that is both counts as
	// not JSON.
	ConflictEvery, NotJSONEvery int
	// ValueBytes is the padding added to each valid value.
	ValueBytes int
	// Kills is how many times the consumer is killed with SIGKILL; 0 means
	// 2 and a negative value means none.
	Kills int
	// Faults are injected into the node for the whole consumption; the
	// zero value means DefaultFaults without a Target and none with one (a
	// value with only Seed set means none), and a zero Seed takes
	// Config.Seed.
	Faults esnode.Faults
	// Batch and Concurrency are the consumer's --batch and --concurrency.
	Batch, Concurrency int
	// Env holds extra environment settings for the consumer, for example
	// BULK_MAX_DOCS; they override the soak's own.
	Env map[string]string
	// EvictKilled removes a killed consumer from the group before the
	// restart (what its session expiry would do 10 s later). Without it the
	// replacement, a static member under the same instance id (the host
	// name), takes the dead member's place and partitions at once anyway.
	EvictKilled bool
	// Seed drives the kill points.
	Seed int64
	// Timeout bounds the whole run.
	Timeout time.Duration
	// LogDir receives the consumer's stderr, one file per process; empty
	// means a temporary directory removed at the end.
	LogDir string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
	// Target, when set, is the search engine and Kafka cluster the run
	// uses instead of a private dev stack (see Target): Faults must be
	// none there.
	Target *Target
}

// DefaultFaults are the faults of a soak: per-item 429 on 10 % of bulk
// items, 503 on 5 % of requests, 502 and 504 on 1 % each, connection resets
// on 1 %, and 2 ms of added latency per request.
func DefaultFaults() esnode.Faults {
	return esnode.Faults{
		Item429: 0.10, Request503: 0.05, Request502: 0.01, Request504: 0.01, Reset: 0.01,
		Latency: 2 * time.Millisecond,
	}
}

func (c Config) withDefaults() Config {
	if c.DocID == "" {
		c.DocID = DocIDOffset
	}
	if c.Keys < 1 {
		// About eight updates per key: enough that most keys see several
		// versions, and that re-delivered batches hit older versions.
		c.Keys = max(c.N/8, 1)
	}
	if c.Partitions < 1 {
		// One partition per handler in flight.
		c.Partitions = 4
	}
	if c.ConflictEvery == 0 {
		// Primes, so that poison records spread over partitions and keys.
		c.ConflictEvery = 97
	}
	if c.NotJSONEvery == 0 {
		c.NotJSONEvery = 211
	}
	if c.ValueBytes == 0 {
		// A small JSON event, like a change record or a log line.
		c.ValueBytes = 100
	}
	if c.Kills == 0 {
		c.Kills = 2
	}
	if c.Faults == (esnode.Faults{}) && c.Target == nil {
		c.Faults = DefaultFaults()
	}
	if c.Batch < 1 {
		c.Batch = 100
	}
	if c.Concurrency < 1 {
		c.Concurrency = c.Partitions
	}
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout(c.N)
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// DefaultTimeout is the time a run of n records gets: two minutes of
// start-up, restarts and checks, plus 2 ms per record, which is about four
// times what a loaded 2-core machine needs.
func DefaultTimeout(n int) time.Duration {
	return 2*time.Minute + time.Duration(n)*2*time.Millisecond
}

// ErrInvalidConfig is wrapped by Run for missing or contradictory settings.
var ErrInvalidConfig = errors.New("invalid soak config")

func (c Config) validate() error {
	var errs []error
	if c.Binary == "" {
		errs = append(errs, errors.New("no esconnect binary"))
	}
	if c.N < 1 {
		errs = append(errs, fmt.Errorf("n %d: at least one record is needed", c.N))
	}
	if c.DocID != DocIDOffset && c.DocID != DocIDKey {
		errs = append(errs, fmt.Errorf("doc id %q is not %s or %s", c.DocID, DocIDOffset, DocIDKey))
	}
	if c.ConflictEvery < 0 || c.NotJSONEvery < 0 {
		errs = append(errs, errors.New("poison intervals must not be negative"))
	}
	if c.ValueBytes < 0 {
		errs = append(errs, errors.New("value bytes must not be negative"))
	}
	if t := c.Target; t != nil {
		if f := c.Faults; f != (esnode.Faults{Seed: f.Seed}) {
			errs = append(errs, errors.New("faults need the dev stack's node: a target takes none"))
		}
		if len(t.Brokers) == 0 || t.ES[esclient.EnvURL] == "" || t.Topic == "" || t.DeadLetterTopic == "" || t.Group == "" || t.Index == "" {
			errs = append(errs, errors.New("a target needs brokers, ES_URL, a topic, a dead-letter topic, a group and an index"))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}
