package kafkaops

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// SASL mechanisms accepted by Security.
const (
	MechanismPlain       = "plain"
	MechanismSCRAMSHA256 = "scram-sha-256"
	MechanismSCRAMSHA512 = "scram-sha-512"
)

// Security is how the tools connect to a cluster that is not plaintext,
// such as MSK (TLS, SASL/SCRAM) or Alibaba Cloud Kafka (SASL/PLAIN).
type Security struct {
	// TLS turns on TLS; a CACert implies it.
	TLS bool
	// CACert is a PEM file verifying the brokers; empty uses the system
	// roots.
	CACert string
	// SASLMechanism is empty (no SASL) or one of the Mechanism constants.
	SASLMechanism string
	Username      string
	Password      string
}

// ErrSecurity is wrapped by Transport for unusable settings. Its messages
// never contain the password.
var ErrSecurity = errors.New("kafka connection settings")

// Transport builds the kafka-go transport for s.
func (s Security) Transport(dialTimeout time.Duration) (*kafka.Transport, error) {
	tr := &kafka.Transport{ClientID: ClientID, DialTimeout: dialTimeout}
	if s.TLS || s.CACert != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.CACert != "" {
			pem, err := os.ReadFile(s.CACert)
			if err != nil {
				return nil, fmt.Errorf("%w: read CA certificate: %w", ErrSecurity, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrSecurity, s.CACert)
			}
			cfg.RootCAs = pool
		}
		tr.TLS = cfg
	}
	if s.SASLMechanism != "" {
		m, err := s.mechanism()
		if err != nil {
			return nil, err
		}
		tr.SASL = m
	}
	return tr, nil
}

func (s Security) mechanism() (sasl.Mechanism, error) {
	if s.Username == "" {
		return nil, fmt.Errorf("%w: sasl mechanism %s needs a username", ErrSecurity, s.SASLMechanism)
	}
	switch strings.ToLower(s.SASLMechanism) {
	case MechanismPlain:
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		algo := scram.SHA256
		if strings.EqualFold(s.SASLMechanism, MechanismSCRAMSHA512) {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, s.Username, s.Password)
		if err != nil {
			// scram names the normalisation step that failed, not the
			// password.
			return nil, fmt.Errorf("%w: scram credentials: %w", ErrSecurity, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: sasl mechanism %q is not one of %s, %s, %s", ErrSecurity,
		s.SASLMechanism, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
}
