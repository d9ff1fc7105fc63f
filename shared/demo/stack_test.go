package demo

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// freeAddr returns an address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", ephemeralAddr)
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// holdAddr listens on a free port until the test ends.
func holdAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", ephemeralAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func TestChooseAddr(t *testing.T) {
	taken := holdAddr(t)
	free := freeAddr(t)
	tests := []struct {
		name      string
		preferred string
		ephemeral bool
		want      string
		wantNote  bool
	}{
		{name: "free port kept", preferred: free, want: free},
		{name: "taken port replaced", preferred: taken, want: ephemeralAddr, wantNote: true},
		{name: "ephemeral forced", preferred: free, ephemeral: true, want: ephemeralAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note := chooseAddr(tt.preferred, tt.ephemeral)
			if got != tt.want || (note != "") != tt.wantNote {
				t.Errorf("chooseAddr(%q, %v) = %q, %q; want %q, note %v", tt.preferred, tt.ephemeral, got, note, tt.want, tt.wantNote)
			}
		})
	}
}

func TestStartStackFallsBackOnlyForTheTakenPort(t *testing.T) {
	taken := holdAddr(t)
	esAddr := freeAddr(t)
	var out bytes.Buffer
	s, err := startStack(t.Context(), Options{KafkaAddr: taken, ESAddr: esAddr}, &printer{w: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.KafkaAddrs[0] == taken {
		t.Errorf("Kafka listens on the taken address %s", taken)
	}
	if s.ESURL != "http://"+esAddr {
		t.Errorf("Elasticsearch at %s, want its free preferred address %s", s.ESURL, esAddr)
	}
	for _, want := range []string{taken + " is taken", "Kafka broker:   " + s.KafkaAddrs[0], "Elasticsearch:  " + s.ESURL} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
