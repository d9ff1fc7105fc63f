package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/esconnect/esconnect/shared/devstack"
)

// TestDevstackCommand runs the command in-process, reads its ready line,
// drives both servers over their protocols, then stops it by cancelling the
// context as SIGINT would.
func TestDevstackCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runDevstack(ctx, []string{"--kafka", "127.0.0.1:0", "--es", "127.0.0.1:0", "--topic", "orders:2", "--topic", "audit"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	var info devstack.Info
	line, err := bufio.NewReader(pr).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading the ready line: %v (command: %v)", err, drain(done))
	}
	if err := json.Unmarshal(line, &info); err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	if len(info.KafkaBrokers) != 1 || info.ESURL == "" || len(info.Topics) != 2 {
		t.Fatalf("ready line = %+v", info)
	}

	conn, err := kafka.DialContext(t.Context(), "tcp", info.KafkaBrokers[0])
	if err != nil {
		t.Fatal(err)
	}
	parts, err := conn.ReadPartitions("orders", "audit")
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2+devstack.DefaultPartitions {
		t.Fatalf("got %d partitions, want %d", len(parts), 2+devstack.DefaultPartitions)
	}
	w := &kafka.Writer{Addr: kafka.TCP(info.KafkaBrokers[0]), Topic: "orders", RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(t.Context(), kafka.Message{Value: []byte("x")}); err != nil {
		t.Fatalf("produce: %v", err)
	}
	w.Close()

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, info.ESURL+"/", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("devstack returned %v after cancel", err)
		}
		done <- nil
	case <-time.After(15 * time.Second):
		t.Fatal("devstack did not stop within 15s of cancel")
	}
}

func TestDevstackBadTopic(t *testing.T) {
	err := runDevstack(t.Context(), []string{"--kafka", "127.0.0.1:0", "--es", "127.0.0.1:0", "--topic", "x:0"}, io.Discard, io.Discard)
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != 2 {
		t.Fatalf("error = %v, want exit code 2", err)
	}
}

func drain(done chan error) error {
	select {
	case err := <-done:
		done <- err
		return err
	default:
		return nil
	}
}
