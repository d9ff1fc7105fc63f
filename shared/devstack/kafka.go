package devstack

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Topic is a topic the embedded broker creates at start-up.
type Topic struct {
	Name       string `json:"name"`
	Partitions int    `json:"partitions"`
}

// ErrBadTopic is wrapped by ParseTopic for a malformed topic spec.
var ErrBadTopic = errors.New("bad topic spec")

// ParseTopic parses "name" or "name:partitions". A bare name gets
// defaultPartitions.
func ParseTopic(spec string, defaultPartitions int) (Topic, error) {
	name, parts, hasParts := strings.Cut(spec, ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return Topic{}, fmt.Errorf("%w %q: empty topic name", ErrBadTopic, spec)
	}
	t := Topic{Name: name, Partitions: defaultPartitions}
	if hasParts {
		n, err := strconv.Atoi(strings.TrimSpace(parts))
		if err != nil || n < 1 {
			return Topic{}, fmt.Errorf("%w %q: partitions must be a positive integer", ErrBadTopic, spec)
		}
		t.Partitions = n
	}
	return t, nil
}

// KafkaOptions configures the embedded broker.
type KafkaOptions struct {
	// Addr is the listen address; port 0 picks a free port.
	Addr string
	// Topics are created before the broker accepts connections, so clients
	// never race topic creation.
	Topics []Topic
	// DefaultPartitions is used for topics that producers create on the fly
	// (auto topic creation is on, as on a developer's broker).
	DefaultPartitions int
}

// StartKafka starts a single-broker kfake cluster listening on opts.Addr.
func StartKafka(opts KafkaOptions) (*kfake.Cluster, error) {
	host, port, err := splitAddr(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("kafka address: %w", err)
	}
	defParts := opts.DefaultPartitions
	if defParts < 1 {
		defParts = DefaultPartitions
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(defParts),
		// kfake always listens on 127.0.0.1; this keeps the host the caller
		// asked for (for example ::1) while letting kfake choose the port
		// when it is 0.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
		// A dev consumer that was killed should hand its partitions over
		// quickly; Kafka's default minimum (6s) makes restarts sluggish.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	for _, t := range opts.Topics {
		parts := t.Partitions
		if parts < 1 {
			parts = defParts
		}
		kopts = append(kopts, kfake.SeedTopics(int32(parts), t.Name))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start kafka on %s: %w", opts.Addr, err)
	}
	return c, nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}
