package kafkaops

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	kplain "github.com/segmentio/kafka-go/sasl/plain"
	kscram "github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	fsasl "github.com/twmb/franz-go/pkg/sasl"

	"github.com/esconnect/esconnect/shared/esnode"
)

func TestClientOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "s3cret-Pa55"
	tests := []struct {
		name     string
		sec      Security
		wantTLS  bool
		wantSASL string
		bad      bool
	}{
		{name: "plaintext", sec: Security{}},
		{name: "tls with system roots", sec: Security{TLS: true}, wantTLS: true},
		{name: "plain", sec: Security{SASLMechanism: "PLAIN", Username: "u", Password: password}, wantSASL: "PLAIN"},
		{name: "scram-sha-512 over tls", sec: Security{TLS: true, SASLMechanism: "scram-sha-512", Username: "u", Password: password}, wantTLS: true, wantSASL: "SCRAM-SHA-512"},
		{name: "scram-sha-256", sec: Security{SASLMechanism: "scram-sha-256", Username: "u", Password: password}, wantSASL: "SCRAM-SHA-256"},
		{name: "unknown mechanism", sec: Security{SASLMechanism: "gssapi", Username: "u", Password: password}, bad: true},
		{name: "no username", sec: Security{SASLMechanism: "plain", Password: password}, bad: true},
		{name: "missing CA file", sec: Security{CACert: filepath.Join(dir, "missing.pem")}, bad: true},
		{name: "CA file without PEM", sec: Security{CACert: notPEM}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := ClientOptions(tt.sec, time.Second)
			if tt.bad {
				if !errors.Is(err, ErrSecurity) {
					t.Fatalf("err %v, want ErrSecurity", err)
				}
				if strings.Contains(err.Error(), password) {
					t.Fatalf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// A client that never connects shows what the options set.
			cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers("127.0.0.1:1"))...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			tc, _ := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
			if (tc != nil) != tt.wantTLS || cl.OptValue(kgo.ClientID) != ClientID || cl.OptValue(kgo.DialTimeout) != time.Second {
				t.Fatalf("TLS %v client %v dial %v", tc != nil, cl.OptValue(kgo.ClientID), cl.OptValue(kgo.DialTimeout))
			}
			mechs, _ := cl.OptValue(kgo.SASL).([]fsasl.Mechanism)
			switch {
			case tt.wantSASL == "" && len(mechs) != 0:
				t.Fatalf("SASL %s, want none", mechs[0].Name())
			case tt.wantSASL != "" && (len(mechs) != 1 || mechs[0].Name() != tt.wantSASL):
				t.Fatalf("SASL %v, want %s", mechs, tt.wantSASL)
			}
		})
	}
}

// TestStatusOverSASLAndTLS: on a kfake broker that requires SASL over TLS
// with a private CA, the tools read a group's status and move its offsets
// with each mechanism; a wrong password fails without showing a password.
// The records come from kafka-go with the same credentials.
func TestStatusOverSASLAndTLS(t *testing.T) {
	cert, caPEM, err := esnode.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	const user, password, wrong = "svc", "s3cret-pw-9", "wrong-pw-123"
	tests := []struct {
		method string
		sec    string
		mech   func(user, pass string) (sasl.Mechanism, error)
	}{
		{"PLAIN", MechanismPlain, func(u, p string) (sasl.Mechanism, error) { return kplain.Mechanism{Username: u, Password: p}, nil }},
		{"SCRAM-SHA-256", MechanismSCRAMSHA256, func(u, p string) (sasl.Mechanism, error) { return kscram.Mechanism(kscram.SHA256, u, p) }},
		{"SCRAM-SHA-512", MechanismSCRAMSHA512, func(u, p string) (sasl.Mechanism, error) { return kscram.Mechanism(kscram.SHA512, u, p) }},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(1, "orders"),
				kfake.EnableSASL(), kfake.Superuser(tt.method, user, password),
				kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			produceSecured(ctx, t, c.ListenAddrs(), caPEM, tt.mech, user, password, secs(1, 2, 3)...)

			admin := func(pass string) *Admin {
				opts, err := ClientOptions(Security{CACert: string(caPEM), SASLMechanism: tt.sec, Username: user, Password: pass}, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				a, err := New(Options{Brokers: c.ListenAddrs(), ClientOptions: opts, RequestTimeout: 10 * time.Second, Now: func() time.Time { return now }})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(a.Close)
				return a
			}
			a := admin(password)
			st, err := a.Status(ctx, "sink", []string{"orders"})
			if err != nil {
				t.Fatal(err)
			}
			if p := st.Partitions[0]; p.Committed != -1 || p.End != 3 || p.Lag != 3 || p.FirstPending == nil || !p.FirstPending.Time.Equal(secs(1)[0]) {
				t.Fatalf("status before the move %+v", p)
			}
			if _, err := a.MoveOffsets(ctx, MoveRequest{Group: "sink", Topic: "orders", To: Target{Kind: ToOffset, Offset: 2}}); err != nil {
				t.Fatal(err)
			}
			st, err = a.Status(ctx, "sink", nil)
			if err != nil {
				t.Fatal(err)
			}
			if p := st.Partitions[0]; p.Committed != 2 || p.Lag != 1 || p.LastCommitted == nil || !p.LastCommitted.Time.Equal(secs(2)[0]) {
				t.Fatalf("status after the move %+v", p)
			}

			_, err = admin(wrong).Status(ctx, "sink", []string{"orders"})
			if err == nil {
				t.Fatal("status with a wrong password succeeded")
			}
			if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), password) {
				t.Fatalf("error shows a password: %v", err)
			}
		})
	}
}

// produceSecured appends one record per timestamp to partition 0 of orders
// through kafka-go over TLS and SASL.
func produceSecured(ctx context.Context, t *testing.T, brokers []string, caPEM []byte, mech func(string, string) (sasl.Mechanism, error), user, pass string, times ...time.Time) {
	t.Helper()
	tc, err := Security{CACert: string(caPEM)}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	m, err := mech(user, pass)
	if err != nil {
		t.Fatal(err)
	}
	tr := &kafka.Transport{TLS: tc, SASL: m}
	t.Cleanup(tr.CloseIdleConnections)
	kc := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: tr}
	recs := make([]kafka.Record, len(times))
	for i, tm := range times {
		recs[i] = kafka.Record{Time: tm, Value: kafka.NewBytes([]byte("v"))}
	}
	resp, err := kc.Produce(ctx, &kafka.ProduceRequest{Topic: "orders", RequiredAcks: kafka.RequireAll, Records: kafka.NewRecordReader(recs...)})
	if err == nil {
		err = resp.Error
	}
	if err != nil {
		t.Fatalf("produce over SASL: %v", err)
	}
}
