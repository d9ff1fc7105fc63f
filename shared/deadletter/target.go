package deadletter

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/esconnect/esconnect/shared/indexname"
	"github.com/esconnect/esconnect/shared/kafkawire"
)

// Target schemes.
const (
	SchemeKafka = "kafka"
	SchemeES    = "es"
)

// Target is a parsed DLQ_TARGET. Its String method never shows the password.
type Target struct {
	Scheme string
	// Brokers and Topic are set for kafka://.
	Brokers []string
	Topic   string
	// Index is set for es://.
	Index string
	// Security holds what the query string set; Set reports which fields it
	// set, so that they override settings passed as options.
	Security KafkaSecurity
	Set      SecurityFields
}

// SecurityFields records which KafkaSecurity fields a target's query string
// set.
type SecurityFields struct {
	TLS, CACert, SASLMechanism, Username, Password bool
}

// ParseTarget parses kafka://host:port[,host:port]/topic[?tls=true&
// sasl_mechanism=plain&username=u&password=p&ca_cert=/path] or es://index.
// Errors never repeat the target, which may hold a password.
func ParseTarget(s string) (Target, error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(s), "://")
	if !ok {
		return Target{}, fmt.Errorf("%w: want kafka://host:port/topic or es://index", ErrTarget)
	}
	switch strings.ToLower(scheme) {
	case SchemeES:
		idx := strings.TrimSuffix(rest, "/")
		// Names starting with '.' are Elasticsearch's hidden and system
		// indices; dead letters carry record contents and never belong there.
		if err := indexname.Check(idx, false); err != nil {
			return Target{}, fmt.Errorf("%w: es://: %w", ErrTarget, err)
		}
		return Target{Scheme: SchemeES, Index: idx}, nil
	case SchemeKafka:
		return parseKafka(rest)
	}
	return Target{}, fmt.Errorf("%w: scheme %q is not kafka or es", ErrTarget, scheme)
}

func parseKafka(rest string) (Target, error) {
	t := Target{Scheme: SchemeKafka}
	rest, query, _ := strings.Cut(rest, "?")
	hosts, topic, _ := strings.Cut(rest, "/")
	t.Topic = strings.TrimSuffix(topic, "/")
	if t.Topic == "" || strings.Contains(t.Topic, "/") {
		return Target{}, fmt.Errorf("%w: kafka:// needs one topic after the brokers", ErrTarget)
	}
	for i, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		// The broker is not echoed: a user:password@ prefix would leak.
		if _, port, err := net.SplitHostPort(h); err != nil || port == "" || strings.Contains(h, "@") {
			return Target{}, fmt.Errorf("%w: kafka broker %d is not host:port", ErrTarget, i+1)
		}
		t.Brokers = append(t.Brokers, h)
	}
	if len(t.Brokers) == 0 {
		return Target{}, fmt.Errorf("%w: kafka:// needs at least one host:port", ErrTarget)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Target{}, fmt.Errorf("%w: malformed query string", ErrTarget)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch strings.ToLower(k) {
		case "tls":
			switch strings.ToLower(v) {
			case "true", "1", "yes":
				t.Security.TLS = true
			case "false", "0", "no":
				t.Security.TLS = false
			default:
				return Target{}, fmt.Errorf("%w: tls=%q is not true or false", ErrTarget, v)
			}
			t.Set.TLS = true
		case "ca_cert":
			t.Security.CACert, t.Set.CACert = v, true
		case "sasl_mechanism":
			if err := checkMechanism(v); err != nil {
				return Target{}, err
			}
			t.Security.SASLMechanism, t.Set.SASLMechanism = strings.ToLower(v), true
		case "username":
			t.Security.Username, t.Set.Username = v, true
		case "password":
			t.Security.Password, t.Set.Password = v, true
		default:
			return Target{}, fmt.Errorf("%w: unknown query parameter %q", ErrTarget, k)
		}
	}
	return t, nil
}

// SASL mechanisms a kafka:// target accepts.
const (
	MechanismPlain       = kafkawire.MechanismPlain
	MechanismSCRAMSHA256 = kafkawire.MechanismSCRAMSHA256
	MechanismSCRAMSHA512 = kafkawire.MechanismSCRAMSHA512
)

func checkMechanism(m string) error {
	if err := kafkawire.CheckMechanism(m); err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return nil
}

// Merge returns base with the fields the target's query string set, which
// take precedence over settings passed separately.
func (t Target) Merge(base KafkaSecurity) KafkaSecurity {
	if t.Set.TLS {
		base.TLS = t.Security.TLS
	}
	if t.Set.CACert {
		base.CACert = t.Security.CACert
	}
	if t.Set.SASLMechanism {
		base.SASLMechanism = t.Security.SASLMechanism
	}
	if t.Set.Username {
		base.Username = t.Security.Username
	}
	if t.Set.Password {
		base.Password = t.Security.Password
	}
	return base
}

// String returns the target with any password masked, for logs.
func (t Target) String() string {
	if t.Scheme == SchemeES {
		return "es://" + t.Index
	}
	s := "kafka://" + strings.Join(t.Brokers, ",") + "/" + t.Topic
	var params []string
	if t.Set.TLS {
		params = append(params, fmt.Sprintf("tls=%t", t.Security.TLS))
	}
	if t.Set.SASLMechanism {
		params = append(params, "sasl_mechanism="+t.Security.SASLMechanism)
	}
	if t.Set.Username {
		params = append(params, "username="+url.QueryEscape(t.Security.Username))
	}
	if t.Set.Password {
		params = append(params, "password=REDACTED")
	}
	if len(params) > 0 {
		s += "?" + strings.Join(params, "&")
	}
	return s
}

// CheckSecurity reports contradictory Kafka security settings: SASL without
// a username or password, or credentials without a mechanism.
func CheckSecurity(s KafkaSecurity) error {
	if err := s.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return nil
}
