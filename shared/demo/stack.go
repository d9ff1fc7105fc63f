package demo

import (
	"context"
	"fmt"
	"net"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/devstack"
	"github.com/esconnect/esconnect/shared/esclient"
)

// ephemeralAddr asks the kernel for a free port.
const ephemeralAddr = "127.0.0.1:0"

// startStack starts the dev stack on the preferred addresses, or on free
// ports where those are taken, and prints where it listens.
func startStack(ctx context.Context, opts Options, p *printer) (*devstack.Stack, error) {
	p.section("Dev stack: embedded Kafka (kfake) and Elasticsearch-API node (esnode)")
	kafkaAddr, kafkaNote := chooseAddr(opts.KafkaAddr, opts.Ephemeral)
	esAddr, esNote := chooseAddr(opts.ESAddr, opts.Ephemeral)
	stack, err := devstack.Start(ctx, devstack.Options{KafkaAddr: kafkaAddr, ESAddr: esAddr})
	if err != nil && (kafkaAddr != ephemeralAddr || esAddr != ephemeralAddr) {
		// Another process can take a port between the probe and the start;
		// free ports cannot be lost that way.
		kafkaNote = fmt.Sprintf("%s could not be used (%v)", kafkaAddr, err)
		esNote = ""
		kafkaAddr, esAddr = ephemeralAddr, ephemeralAddr
		stack, err = devstack.Start(ctx, devstack.Options{KafkaAddr: kafkaAddr, ESAddr: esAddr})
	}
	if err != nil {
		return nil, fmt.Errorf("start dev stack: %w", err)
	}
	p.line("Kafka broker:   %s", stack.KafkaAddrs[0])
	p.line("Elasticsearch:  %s", stack.ESURL)
	for _, n := range []string{kafkaNote, esNote} {
		if n != "" {
			p.line("(%s: took a free port instead)", n)
		}
	}
	return stack, nil
}

// chooseAddr returns preferred when it can be listened on, else a free port
// and a note saying why. Probing first lets one service keep its usual port
// when only the other's is taken.
func chooseAddr(preferred string, ephemeral bool) (addr, note string) {
	if ephemeral {
		return ephemeralAddr, ""
	}
	ln, err := net.Listen("tcp", preferred)
	if err != nil {
		return ephemeralAddr, fmt.Sprintf("%s is taken", preferred)
	}
	if err := ln.Close(); err != nil {
		return ephemeralAddr, fmt.Sprintf("%s could not be released", preferred)
	}
	return preferred, ""
}

// newESClient returns a transport to the node for esapi requests and a
// function that drops its pooled connections, so the node's graceful
// shutdown does not wait on them. It is esclient's, not go-elasticsearch's
// client: that one links every API and makes the CLI slow to compile.
func newESClient(url string) (*esclient.Transport, func(), error) {
	cfg := esclient.LoadConfig(config.FromMap(map[string]string{esclient.EnvURL: url}))
	tr, err := esclient.New(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return tr, tr.CloseIdleConnections, nil
}
