package kafkaops

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/esconnect/esconnect/shared/kafkawire"
)

// Security is how the tools connect to a cluster that is not plaintext,
// such as MSK (TLS, SASL/SCRAM) or Alibaba Cloud Kafka (SASL/PLAIN): the
// same settings, checked the same way, as the functions' Kafka connections.
type Security = kafkawire.Security

// SASL mechanisms accepted by Security.
const (
	MechanismPlain       = kafkawire.MechanismPlain
	MechanismSCRAMSHA256 = kafkawire.MechanismSCRAMSHA256
	MechanismSCRAMSHA512 = kafkawire.MechanismSCRAMSHA512
)

// ErrSecurity is wrapped by ClientOptions for unusable settings. Its
// messages never contain the password.
var ErrSecurity = kafkawire.ErrSecurity

// ClientOptions are the kgo client options for s: TLS, SASL, the tools'
// client id and dialTimeout (kgo's default when it is not positive).
func ClientOptions(s Security, dialTimeout time.Duration) ([]kgo.Opt, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	tc, err := s.TLSConfig()
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.ClientID(ClientID)}
	if dialTimeout > 0 {
		opts = append(opts, kgo.DialTimeout(dialTimeout))
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if m := s.Mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}
