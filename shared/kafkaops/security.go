package kafkaops

import (
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

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

// ErrSecurity is wrapped by Transport for unusable settings. Its messages
// never contain the password.
var ErrSecurity = kafkawire.ErrSecurity

// Transport builds the kafka-go transport for s.
func Transport(s Security, dialTimeout time.Duration) (*kafka.Transport, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	tc, err := s.TLSConfig()
	if err != nil {
		return nil, err
	}
	tr := &kafka.Transport{ClientID: ClientID, DialTimeout: dialTimeout, TLS: tc}
	if s.SASLMechanism != "" {
		if tr.SASL, err = mechanism(s); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// mechanism is kafka-go's form of the checked mechanism of s.
func mechanism(s Security) (sasl.Mechanism, error) {
	if strings.EqualFold(s.SASLMechanism, MechanismPlain) {
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	}
	algo := scram.SHA256
	if strings.EqualFold(s.SASLMechanism, MechanismSCRAMSHA512) {
		algo = scram.SHA512
	}
	m, err := scram.Mechanism(algo, s.Username, s.Password)
	if err != nil {
		// scram names the normalisation step that failed, not the password.
		return nil, fmt.Errorf("%w: scram credentials: %w", ErrSecurity, err)
	}
	return m, nil
}
