// Package kafkawire is the small Kafka client of the functions: it produces
// record batches (dead letters) and fetches single records (Alibaba overflow
// values), speaking the wire protocol through franz-go's kmsg request and
// response types.
//
// It exists because the full clients cost a function's cold start what it
// rarely uses: kafka-go builds reflection codecs for every protocol version in
// its packages' init (about 3 ms of the sink's 4 ms of initialisation), and
// franz-go's kgo adds megabytes to the binary. kmsg has neither cost.
//
// What it does, and no more: dial with a timeout (TLS optional, verified), ask
// each broker its ApiVersions and use min(broker max, kmsg max) per request,
// SASL (any franz-go sasl.Mechanism), Metadata, Produce with acks=all and
// bounded retries, and Fetch of one offset with decompression. Every request
// and every loop is bounded in time or count.
package kafkawire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/esconnect/esconnect/shared/retry"
)

// Errors for branching on.
var (
	// ErrClosed reports a request after Close.
	ErrClosed = errors.New("kafka client closed")
	// ErrUnsupportedVersion reports a broker that does not speak a version
	// of a request this client can use (a broker older than Kafka 1.0).
	ErrUnsupportedVersion = errors.New("kafka broker does not support a needed request version")
	// ErrAuth reports a failed SASL handshake or authentication.
	ErrAuth = errors.New("kafka sasl authentication failed")
	// ErrProtocol reports a response this client cannot make sense of.
	ErrProtocol = errors.New("malformed kafka response")
	// ErrOffsetGone reports a fetched offset the partition no longer (or
	// never) holds: out of range, deleted by retention or compacted away.
	ErrOffsetGone = errors.New("offset no longer in the partition")
	// ErrNoBrokers reports a client configured without brokers.
	ErrNoBrokers = errors.New("no kafka brokers configured")
	// ErrNoLeader reports a partition without a leader after the attempts.
	ErrNoLeader = errors.New("partition has no leader")
)

// Defaults, each used when the Config field is zero.
const (
	// DefaultDialTimeout bounds connecting to a broker, TLS, ApiVersions
	// and SASL together.
	DefaultDialTimeout = 10 * time.Second
	// DefaultRequestTimeout bounds one request's round trip; for Produce
	// it is also the broker's wait for the in-sync replicas.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultAttempts is how often a request that failed for a retriable
	// reason (leader moved, connection lost, timeout) is tried in all.
	DefaultAttempts = 3
	// DefaultMaxFetchBytes bounds a fetch response: Kafka's default
	// largest message is 1 MiB; 64 MiB covers raised limits with room.
	DefaultMaxFetchBytes = 64 << 20
)

const (
	// idleTimeout drops a pooled connection unused for this long instead of
	// reusing it: brokers close idle connections after
	// connections.max.idle.ms (10 minutes by default), load balancers and NAT
	// sooner, and a frozen function may wake up hours later. Redialing costs
	// one round trip; writing to a dead connection would cost an attempt.
	idleTimeout = 30 * time.Second
	// backoffMin and backoffMax space the attempts: long enough for a new
	// leader to be elected, short against a function's deadline.
	backoffMin = 100 * time.Millisecond
	backoffMax = time.Second
)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	// Brokers are the bootstrap host:port addresses, tried in order.
	Brokers []string
	// TLS, when not nil, wraps every connection; verification follows it
	// (the caller's config, on by default in crypto/tls).
	TLS *tls.Config
	// SASL, when not nil, authenticates every connection.
	SASL sasl.Mechanism
	// ClientID is sent with every request, for the brokers' logs and quotas.
	ClientID       string
	DialTimeout    time.Duration
	RequestTimeout time.Duration
	Attempts       int
	MaxFetchBytes  int32
}

// Client is a Kafka client safe for concurrent use. It keeps at most one idle
// connection per broker address.
type Client struct {
	cfg    Config
	format *kmsg.RequestFormatter
	// sticky picks the partition of a Produce call's keyless records.
	sticky atomic.Uint32

	mu     sync.Mutex
	idle   map[string]*conn
	closed bool
}

// New returns a client for cfg. It does not connect: the first request does
// (and fails with ErrNoBrokers when cfg has none).
func New(cfg Config) *Client {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.MaxFetchBytes <= 0 {
		cfg.MaxFetchBytes = DefaultMaxFetchBytes
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "esconnect"
	}
	return &Client{
		cfg:    cfg,
		format: kmsg.NewRequestFormatter(kmsg.FormatterClientID(cfg.ClientID)),
		idle:   make(map[string]*conn),
	}
}

// Close closes the idle connections; later requests fail with ErrClosed.
// Connections in use by a request close when it ends.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	for addr, cn := range c.idle {
		if err := cn.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close connection to %s: %w", addr, err))
		}
		delete(c.idle, addr)
	}
	return errors.Join(errs...)
}

// get returns a connection to addr for the caller's exclusive use: the idle
// one if it is fresh, else a new one.
func (c *Client) get(ctx context.Context, addr string) (*conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	cn := c.idle[addr]
	delete(c.idle, addr)
	c.mu.Unlock()
	if cn != nil {
		if cn.fresh(time.Now()) {
			return cn, nil
		}
		cn.nc.Close()
	}
	return c.dial(ctx, addr)
}

// put gives a connection back after a request; a broken one, one the pool
// has no room for, or any after Close is closed.
func (c *Client) put(cn *conn) {
	c.mu.Lock()
	keep := !cn.broken && !c.closed && c.idle[cn.addr] == nil
	if keep {
		cn.lastUsed = time.Now()
		c.idle[cn.addr] = cn
	}
	c.mu.Unlock()
	if !keep {
		cn.nc.Close()
	}
}

// deadlineOf is the deadline of a request of timeout d starting now.
func deadlineOf(d time.Duration) time.Time { return time.Now().Add(d) }

// retriable reports whether another attempt may succeed where err failed:
// Kafka errors that say so (a leader moved, a replica is catching up, a
// request timed out) and connection failures. Settings, authentication and
// protocol errors would fail the same way again.
func retriable(err error) bool {
	for err != nil {
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			// Several failures (partitions, brokers) are worth another
			// attempt only if each of them is.
			for _, x := range e.Unwrap() {
				if !retriable(x) {
					return false
				}
			}
			return true
		case *kerr.Error:
			return e.Retriable
		}
		switch err {
		case ErrClosed, ErrNoBrokers, ErrAuth, ErrUnsupportedVersion, ErrProtocol, ErrOffsetGone:
			return false
		}
		err = errors.Unwrap(err)
	}
	return true
}

// backoff waits before attempt n+1, or returns the context's error.
func backoff(ctx context.Context, n int) error {
	d := backoffMin << (n - 1)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	return retry.Sleep(ctx, d)
}
