package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/esconnect/esconnect/shared/devstack"
)

func init() {
	register("devstack", "run an embedded Kafka broker and Elasticsearch-API node until interrupted", runDevstack)
}

// topicFlags collects repeated --topic T[:partitions] flags.
type topicFlags struct {
	specs []string
}

func (t *topicFlags) String() string     { return strings.Join(t.specs, ",") }
func (t *topicFlags) Set(s string) error { t.specs = append(t.specs, s); return nil }

func runDevstack(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts   devstack.Options
		topics topicFlags
	)
	fs.StringVar(&opts.KafkaAddr, "kafka", devstack.DefaultKafkaAddr, "Kafka listen address (port 0 picks a free port)")
	fs.StringVar(&opts.ESAddr, "es", devstack.DefaultESAddr, "Elasticsearch-API listen address (port 0 picks a free port)")
	fs.Var(&topics, "topic", "topic to create, as NAME or NAME:PARTITIONS (repeatable)")
	fs.IntVar(&opts.DefaultPartitions, "partitions", devstack.DefaultPartitions, "partitions of auto-created topics and of --topic without a count")
	fs.DurationVar(&opts.ES.Faults.Latency, "es-latency", 0, "latency the node adds to every request")
	fs.Float64Var(&opts.ES.Faults.Item429, "es-item-429", 0, "fraction of bulk items the node rejects with 429")
	fs.Float64Var(&opts.ES.Faults.Request503, "es-request-503", 0, "fraction of requests the node answers with 503")
	fs.Int64Var(&opts.ES.Faults.Seed, "es-fault-seed", 0, "seed of the fault randomness (0 means 1)")
	fs.StringVar(&opts.ES.Username, "es-username", "", "require basic auth with this user")
	fs.StringVar(&opts.ES.Password, "es-password", "", "password for --es-username")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitCodeError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	for _, spec := range topics.specs {
		t, err := devstack.ParseTopic(spec, opts.DefaultPartitions)
		if err != nil {
			return &exitCodeError{2, err}
		}
		opts.Topics = append(opts.Topics, t)
	}
	stack, err := devstack.Start(ctx, opts)
	if err != nil {
		return err
	}
	// One line on stdout, printed only when both servers accept
	// connections, so scripts can wait for it and parse the addresses.
	line, err := json.Marshal(stack.Info(opts.Topics))
	if err == nil {
		_, err = fmt.Fprintf(stdout, "%s\n", line)
	}
	if err != nil {
		stack.Close()
		return fmt.Errorf("print addresses: %w", err)
	}
	<-ctx.Done()
	return stack.Close()
}
