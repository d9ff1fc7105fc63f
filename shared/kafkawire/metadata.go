package kafkawire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicMeta is what Produce and Fetch need of one topic: its id (requests
// from Produce v13 and Fetch v13 name topics by id), and the leader's
// address of each partition ("" when it has none).
type topicMeta struct {
	name    string
	id      [16]byte
	leaders []string
	// errs holds each partition's metadata error, nil when it has a leader.
	errs []error
}

// metadata asks the bootstrap brokers, in order until one answers, for
// topic. Every call asks afresh: dead letters and overflow fetches are rare,
// and a fresh answer is what a retry after a leader change needs.
func (c *Client) metadata(ctx context.Context, topic string) (topicMeta, error) {
	if len(c.cfg.Brokers) == 0 {
		return topicMeta{}, ErrNoBrokers
	}
	var errs []error
	for _, addr := range c.cfg.Brokers {
		m, err := c.metadataFrom(ctx, addr, topic)
		if err == nil {
			return m, nil
		}
		if errors.Is(err, ErrClosed) || errors.Is(err, ErrAuth) || errors.Is(err, ErrUnsupportedVersion) || ctx.Err() != nil {
			return topicMeta{}, err
		}
		errs = append(errs, err)
	}
	return topicMeta{}, fmt.Errorf("metadata of %s: %w", topic, errors.Join(errs...))
}

func (c *Client) metadataFrom(ctx context.Context, addr, topic string) (topicMeta, error) {
	cn, err := c.get(ctx, addr)
	if err != nil {
		return topicMeta{}, err
	}
	defer c.put(cn)
	req := kmsg.NewPtrMetadataRequest()
	// v1 is the first with the controller and racks; every broker since
	// Kafka 0.10 has it.
	if err := cn.version(req, 1); err != nil {
		return topicMeta{}, err
	}
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = []kmsg.MetadataRequestTopic{mt}
	// A dead-letter topic that does not exist is a setup error to report,
	// not one to paper over with a topic of broker-default settings.
	req.AllowAutoTopicCreation = false
	r, err := cn.request(ctx, req, deadlineOf(c.cfg.RequestTimeout))
	if err != nil {
		return topicMeta{}, err
	}
	resp := r.(*kmsg.MetadataResponse)
	brokers := make(map[int32]string, len(resp.Brokers))
	for _, b := range resp.Brokers {
		brokers[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return topicMeta{}, fmt.Errorf("metadata of %s from %s: %w", topic, addr, err)
		}
		m := topicMeta{name: topic, id: t.TopicID, leaders: make([]string, len(t.Partitions)), errs: make([]error, len(t.Partitions))}
		for _, p := range t.Partitions {
			if p.Partition < 0 || int(p.Partition) >= len(t.Partitions) {
				return topicMeta{}, fmt.Errorf("%w: metadata of %s from %s: partition %d of %d", ErrProtocol, topic, addr, p.Partition, len(t.Partitions))
			}
			leader, ok := brokers[p.Leader]
			switch err := kerr.ErrorForCode(p.ErrorCode); {
			case err != nil && !errors.Is(err, kerr.ReplicaNotAvailable):
				// REPLICA_NOT_AVAILABLE only says a follower is down;
				// the leader still serves.
				m.errs[p.Partition] = err
			case !ok:
				m.errs[p.Partition] = kerr.LeaderNotAvailable
			default:
				m.leaders[p.Partition] = leader
			}
		}
		return m, nil
	}
	return topicMeta{}, fmt.Errorf("metadata of %s from %s: %w", topic, addr, kerr.UnknownTopicOrPartition)
}
