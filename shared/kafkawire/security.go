package kafkawire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ErrSecurity reports TLS or SASL settings that cannot work: an unknown
// mechanism, credentials without a mechanism or the reverse, a CA
// certificate that cannot be read.
var ErrSecurity = errors.New("kafka security settings")

// SASL mechanisms Security accepts, as the settings spell them.
const (
	MechanismPlain       = "plain"
	MechanismSCRAMSHA256 = "scram-sha-256"
	MechanismSCRAMSHA512 = "scram-sha-512"
)

// Security is the TLS and SASL setup of a connection to Kafka, as settings
// give it. The zero value is plaintext without authentication.
type Security struct {
	// TLS wraps connections in TLS verified against the system roots, or
	// CACert when set (which implies TLS).
	TLS bool
	// CACert is a PEM bundle, or the path of one, to trust instead of the
	// system roots.
	CACert string
	// SASLMechanism is plain, scram-sha-256 or scram-sha-512; empty
	// disables SASL.
	SASLMechanism string
	Username      string
	Password      string
}

// CheckMechanism reports a mechanism Security does not know; empty is none.
func CheckMechanism(m string) error {
	switch strings.ToLower(m) {
	case "", MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
		return nil
	}
	return fmt.Errorf("%w: sasl mechanism %q is not plain, scram-sha-256 or scram-sha-512", ErrSecurity, m)
}

// Check reports contradictory settings: SASL without a username or
// password, or credentials without a mechanism. It never names the
// password.
func (s Security) Check() error {
	if err := CheckMechanism(s.SASLMechanism); err != nil {
		return err
	}
	if s.SASLMechanism != "" && (s.Username == "" || s.Password == "") {
		return fmt.Errorf("%w: sasl mechanism %s needs a username and a password", ErrSecurity, s.SASLMechanism)
	}
	if s.SASLMechanism == "" && (s.Username != "" || s.Password != "") {
		return fmt.Errorf("%w: a username or password needs a sasl mechanism", ErrSecurity)
	}
	return nil
}

// Apply checks s and sets cfg's TLS and SASL from it, reading the CA
// certificate when it is a path.
func (s Security) Apply(cfg *Config) error {
	if err := s.Check(); err != nil {
		return err
	}
	tc, err := s.TLSConfig()
	if err != nil {
		return err
	}
	cfg.TLS, cfg.SASL = tc, s.Mechanism()
	return nil
}

// Mechanism is franz-go's form of s's SASL mechanism, for kafkawire and for
// the tools' kgo clients alike; nil when s has none (or one Check refuses).
func (s Security) Mechanism() sasl.Mechanism {
	switch strings.ToLower(s.SASLMechanism) {
	case MechanismPlain:
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
	case MechanismSCRAMSHA256:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
	case MechanismSCRAMSHA512:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
	}
	return nil
}

// TLSConfig is the TLS configuration s asks for, verifying brokers against
// the system roots or CACert; nil when s is plaintext.
func (s Security) TLSConfig() (*tls.Config, error) {
	if !s.TLS && s.CACert == "" {
		return nil, nil
	}
	return tlsConfig(s.CACert)
}

func tlsConfig(caCert string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caCert == "" {
		return cfg, nil
	}
	pem := []byte(caCert)
	if !strings.Contains(caCert, "-----BEGIN") {
		b, err := os.ReadFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("%w: read CA certificate: %w", ErrSecurity, err)
		}
		pem = b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: CA certificate holds no PEM certificate", ErrSecurity)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
