package kafkawire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// apiVersionsVersion is the ApiVersions request sent first: v3 (Kafka
	// 2.4+) names the client software; older brokers answer
	// UNSUPPORTED_VERSION in the v0 format, and v0 is asked then.
	apiVersionsVersion = 3
	// maxResponseSlack bounds what a broker may make this client allocate
	// for one response beyond the fetch limit: headers and metadata.
	maxResponseSlack = 1 << 20
	// maxSASLSteps bounds the SASL exchange: PLAIN takes one round trip,
	// SCRAM two.
	maxSASLSteps = 8
	// softwareName and softwareVersion identify the client to brokers
	// (KIP-511); Kafka allows only letters, digits, '-' and '.'.
	softwareName    = "esconnect-kafkawire"
	softwareVersion = "1.0"
)

// conn is one broker connection with the versions the broker supports.
type conn struct {
	addr   string
	nc     net.Conn
	format *kmsg.RequestFormatter
	// versions holds the broker's [min, max] version per API key.
	versions map[int16][2]int16
	corr     int32
	maxBytes int32

	lastUsed time.Time
	// expires is when the SASL session ends (KIP-368), zero when it does
	// not: the broker closes the connection then.
	expires time.Time
	// broken marks a connection whose stream can no longer be trusted
	// (an I/O error or a response that did not parse).
	broken bool
}

// fresh reports whether a pooled connection may be reused at now.
func (cn *conn) fresh(now time.Time) bool {
	if now.Sub(cn.lastUsed) > idleTimeout {
		return false
	}
	return cn.expires.IsZero() || now.Before(cn.expires)
}

// dial connects to addr, asks its versions and authenticates, all within the
// dial timeout.
func (c *Client) dial(ctx context.Context, addr string) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	d := &net.Dialer{}
	var nc net.Conn
	var err error
	if c.cfg.TLS != nil {
		nc, err = (&tls.Dialer{NetDialer: d, Config: c.cfg.TLS}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dial kafka broker %s: %w", addr, err)
	}
	cn := &conn{addr: addr, nc: nc, format: c.format, maxBytes: c.cfg.MaxFetchBytes + maxResponseSlack, lastUsed: time.Now()}
	deadline, _ := ctx.Deadline()
	if err := cn.apiVersions(ctx, deadline); err != nil {
		nc.Close()
		return nil, err
	}
	if c.cfg.SASL != nil {
		if err := cn.authenticate(ctx, deadline, c.cfg.SASL); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return cn, nil
}

// version sets req to the highest version both this client and the broker
// speak, refusing a broker whose highest is below min (the oldest version
// whose semantics this client relies on).
func (cn *conn) version(req kmsg.Request, min int16) error {
	r, ok := cn.versions[req.Key()]
	v := req.MaxVersion()
	if ok && r[1] < v {
		v = r[1]
	}
	if !ok || v < min || v < r[0] {
		return fmt.Errorf("%w: %s at %s: broker supports versions %d-%d, this client %d-%d",
			ErrUnsupportedVersion, kmsg.NameForKey(req.Key()), cn.addr, r[0], r[1], min, req.MaxVersion())
	}
	req.SetVersion(v)
	return nil
}

// request writes req and reads its response, bounded by deadline and ctx.
func (cn *conn) request(ctx context.Context, req kmsg.Request, deadline time.Time) (kmsg.Response, error) {
	body, err := cn.roundTrip(ctx, req, deadline)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		cn.broken = true
		return nil, fmt.Errorf("%w: %s v%d from %s: %w", ErrProtocol, kmsg.NameForKey(req.Key()), req.GetVersion(), cn.addr, err)
	}
	return resp, nil
}

// roundTrip returns the response body of req, without its header.
func (cn *conn) roundTrip(ctx context.Context, req kmsg.Request, deadline time.Time) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	// A cancelled context without a deadline interrupts the blocked read.
	stop := context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(time.Now()) })
	defer stop()
	cn.corr++
	corr := cn.corr
	buf := cn.format.AppendRequest(nil, req, corr)
	name := kmsg.NameForKey(req.Key())
	if err := cn.nc.SetDeadline(deadline); err != nil {
		cn.broken = true
		return nil, fmt.Errorf("%s to %s: %w", name, cn.addr, err)
	}
	if _, err := cn.nc.Write(buf); err != nil {
		cn.broken = true
		return nil, fmt.Errorf("%s to %s: %w", name, cn.addr, ctxErr(ctx, err))
	}
	var size [4]byte
	if _, err := io.ReadFull(cn.nc, size[:]); err != nil {
		cn.broken = true
		return nil, fmt.Errorf("%s from %s: %w", name, cn.addr, ctxErr(ctx, err))
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > cn.maxBytes {
		cn.broken = true
		return nil, fmt.Errorf("%w: %s from %s: response of %d bytes", ErrProtocol, name, cn.addr, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(cn.nc, b); err != nil {
		cn.broken = true
		return nil, fmt.Errorf("%s from %s: %w", name, cn.addr, ctxErr(ctx, err))
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != corr {
		cn.broken = true
		return nil, fmt.Errorf("%w: %s from %s: correlation id %d, want %d", ErrProtocol, name, cn.addr, got, corr)
	}
	b = b[4:]
	// Flexible responses carry tagged fields after the correlation id,
	// except ApiVersions, whose header stays v0 so that any client can
	// read it (KIP-511).
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		var err error
		if b, err = skipTags(b); err != nil {
			cn.broken = true
			return nil, fmt.Errorf("%w: %s from %s: header: %w", ErrProtocol, name, cn.addr, err)
		}
	}
	return b, nil
}

// ctxErr prefers the context's error to the deadline error it caused.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

var errTags = errors.New("truncated tagged fields")

// skipTags skips a tagged-field section: a count, then per field its tag,
// its size and its bytes, all unsigned varints.
func skipTags(b []byte) ([]byte, error) {
	n, l := binary.Uvarint(b)
	if l <= 0 || n > uint64(len(b)) {
		return nil, errTags
	}
	b = b[l:]
	for range n {
		if _, l = binary.Uvarint(b); l <= 0 {
			return nil, errTags
		}
		b = b[l:]
		size, l := binary.Uvarint(b)
		if l <= 0 || size > uint64(len(b)-l) {
			return nil, errTags
		}
		b = b[l+int(size):]
	}
	return b, nil
}

// apiVersions learns the broker's version ranges.
func (cn *conn) apiVersions(ctx context.Context, deadline time.Time) error {
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = apiVersionsVersion
	req.ClientSoftwareName = softwareName
	req.ClientSoftwareVersion = softwareVersion
	body, err := cn.roundTrip(ctx, req, deadline)
	if err != nil {
		return err
	}
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		// The broker answered in the v0 format; ask again in v0, which
		// every broker speaks.
		req.Version = 0
		if body, err = cn.roundTrip(ctx, req, deadline); err != nil {
			return err
		}
	}
	resp.SetVersion(req.Version)
	if err := resp.ReadFrom(body); err != nil {
		cn.broken = true
		return fmt.Errorf("%w: ApiVersions from %s: %w", ErrProtocol, cn.addr, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("ApiVersions from %s: %w", cn.addr, err)
	}
	cn.versions = make(map[int16][2]int16, len(resp.ApiKeys))
	for _, k := range resp.ApiKeys {
		cn.versions[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	return nil
}
