package deadletter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
	}{
		{"es://dead-letters", Target{Scheme: SchemeES, Index: "dead-letters"}},
		{"kafka://127.0.0.1:9092/dlq", Target{Scheme: SchemeKafka, Brokers: []string{"127.0.0.1:9092"}, Topic: "dlq"}},
		{"kafka://a:1, b:2/dlq", Target{Scheme: SchemeKafka, Brokers: []string{"a:1", "b:2"}, Topic: "dlq"}},
		{"kafka://a:1/dlq?tls=true&sasl_mechanism=SCRAM-SHA-512&username=u&password=p%40ss", Target{
			Scheme: SchemeKafka, Brokers: []string{"a:1"}, Topic: "dlq",
			Security: KafkaSecurity{TLS: true, SASLMechanism: "scram-sha-512", Username: "u", Password: "p@ss"},
			Set:      SecurityFields{TLS: true, SASLMechanism: true, Username: true, Password: true},
		}},
	}
	for _, tc := range tests {
		got, err := ParseTarget(tc.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseTargetRejectsWithoutLeakingSecrets(t *testing.T) {
	for _, in := range []string{
		"", "dlq", "http://x/y", "es://", "es://Upper", "es://_x", "kafka://a:1", "kafka:///dlq",
		"kafka://nohostport/dlq", "kafka://user:s3cret@a:1/dlq", "kafka://a:1/dlq?password=s3cret&tls=maybe",
		"kafka://a:1/dlq?password=s3cret&sasl_mechanism=gssapi", "kafka://a:1/dlq?password=s3cret&bogus=1",
	} {
		_, err := ParseTarget(in)
		if !errors.Is(err, ErrTarget) {
			t.Errorf("ParseTarget(%q) = %v, want ErrTarget", in, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseTarget(%q) error leaks the password: %v", in, err)
		}
	}
}

func TestTargetStringMasksPassword(t *testing.T) {
	tg, err := ParseTarget("kafka://a:1/dlq?sasl_mechanism=plain&username=u&password=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	s := tg.String()
	if strings.Contains(s, "s3cret") || !strings.Contains(s, "password=REDACTED") || !strings.HasPrefix(s, "kafka://a:1/dlq?") {
		t.Errorf("String() = %q", s)
	}
}

func TestCheckSecurity(t *testing.T) {
	tests := []struct {
		s  KafkaSecurity
		ok bool
	}{
		{KafkaSecurity{}, true},
		{KafkaSecurity{TLS: true}, true},
		{KafkaSecurity{SASLMechanism: "plain", Username: "u", Password: "p"}, true},
		{KafkaSecurity{SASLMechanism: "plain", Username: "u"}, false},
		{KafkaSecurity{Username: "u", Password: "p"}, false},
		{KafkaSecurity{SASLMechanism: "kerberos", Username: "u", Password: "p"}, false},
	}
	for _, tc := range tests {
		err := CheckSecurity(tc.s)
		if (err == nil) != tc.ok {
			t.Errorf("CheckSecurity(%+v) = %v, want ok %t", tc.s, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrTarget) || strings.Contains(err.Error(), `"p"`)) {
			t.Errorf("CheckSecurity error %v", err)
		}
	}
}
