package kafkawire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
)

// authenticate runs SASL on a new connection: SaslHandshake v1 names the
// mechanism, then SaslAuthenticate requests carry its messages (KIP-152).
// Handshake v0, where the messages follow unframed, is older than Kafka 1.0
// and refused.
func (cn *conn) authenticate(ctx context.Context, deadline time.Time, m sasl.Mechanism) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	if err := cn.version(hs, 1); err != nil {
		return err
	}
	hs.Mechanism = m.Name()
	resp, err := cn.request(ctx, hs, deadline)
	if err != nil {
		return err
	}
	hsr := resp.(*kmsg.SASLHandshakeResponse)
	if err := kerr.ErrorForCode(hsr.ErrorCode); err != nil {
		return fmt.Errorf("%w: %s at %s (broker offers %v): %w", ErrAuth, m.Name(), cn.addr, hsr.SupportedMechanisms, err)
	}

	host, _, _ := net.SplitHostPort(cn.addr)
	session, msg, err := m.Authenticate(ctx, host)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrAuth, m.Name(), err)
	}
	auth := kmsg.NewPtrSASLAuthenticateRequest()
	if err := cn.version(auth, 0); err != nil {
		return err
	}
	sent := time.Now()
	// Each step sends the client's message and hands the broker's answer to
	// the session; the broker answers every SaslAuthenticate, even a last
	// message the session sends after it is done.
	done := false
	for range maxSASLSteps {
		auth.SASLAuthBytes = msg
		resp, err := cn.request(ctx, auth, deadline)
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			// Brokers close the connection after a failed
			// authentication, some (older Kafka, kfake) without
			// answering first.
			return fmt.Errorf("%w: %s at %s: broker closed the connection (bad credentials?): %w", ErrAuth, m.Name(), cn.addr, err)
		}
		if err != nil {
			return err
		}
		ar := resp.(*kmsg.SASLAuthenticateResponse)
		if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
			// The broker's message says why (bad credentials, unknown
			// user); it never repeats the password.
			reason := ""
			if ar.ErrorMessage != nil {
				reason = ": " + *ar.ErrorMessage
			}
			return fmt.Errorf("%w: %s at %s: %w%s", ErrAuth, m.Name(), cn.addr, err, reason)
		}
		if !done {
			if done, msg, err = session.Challenge(ar.SASLAuthBytes); err != nil {
				return fmt.Errorf("%w: %s at %s: %w", ErrAuth, m.Name(), cn.addr, err)
			}
		} else {
			msg = nil
		}
		if done && len(msg) == 0 {
			if ar.SessionLifetimeMillis > 0 {
				// Stop reusing the connection a little before the broker
				// ends the session; lifetimes come from the broker's
				// connections.max.reauth.ms, minutes to hours.
				lifetime := time.Duration(ar.SessionLifetimeMillis) * time.Millisecond
				cn.expires = sent.Add(lifetime - lifetime/10)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %s at %s: no outcome after %d steps", ErrAuth, m.Name(), cn.addr, maxSASLSteps)
}
