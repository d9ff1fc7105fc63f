package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/consumer"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/sink"
)

func init() {
	register("run", "run kafka-es-sink as a self-hosted Kafka consumer group", runConsumer)
}

func runConsumer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "kafka-es-sink" {
		fmt.Fprintln(stderr, "usage: esconnect run kafka-es-sink --brokers B --topic T[,T] [flags]")
		return &exitCodeError{2, errors.New("the only runnable function is kafka-es-sink")}
	}
	fs := flag.NewFlagSet("run kafka-es-sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg             consumer.Config
		brokers, topics string
		from            string
		controlFile     string
		controlInterval time.Duration
	)
	fs.StringVar(&brokers, "brokers", "", "bootstrap brokers, comma-separated (default: KAFKA_BROKERS)")
	fs.StringVar(&topics, "topic", "", "topics to consume, comma-separated")
	fs.StringVar(&cfg.Group, "group", consumer.DefaultGroup, "consumer group id")
	fs.StringVar(&from, "from", "earliest", "where partitions without a committed offset start: earliest or latest")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "handler calls in flight across partitions")
	fs.IntVar(&cfg.Batch, "batch", 100, "most records per handler call")
	fs.DurationVar(&cfg.Window, "window", 0, "how long a batch waits for more records after its first (default 500ms)")
	fs.StringVar(&controlFile, "control-file", "", "file holding paused or running, read every --control-interval to pause and resume consumption")
	fs.DurationVar(&controlInterval, "control-interval", consumer.DefaultControlInterval, "how often --control-file is read")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	e := config.FromOS()
	if brokers == "" {
		brokers = strings.Join(e.List(sink.EnvKafkaBrokers, nil), ",")
	}
	cfg.Brokers = splitList(brokers)
	cfg.Topics = splitList(topics)
	switch from {
	case "earliest":
		cfg.FromEarliest = true
	case "latest":
	default:
		return &exitCodeError{2, fmt.Errorf("--from %q is not earliest or latest", from)}
	}
	if controlFile != "" && (controlInterval < consumer.MinControlInterval || controlInterval > consumer.MaxControlInterval) {
		return &exitCodeError{2, fmt.Errorf("--control-interval %v is not between %v and %v", controlInterval, consumer.MinControlInterval, consumer.MaxControlInterval)}
	}
	scfg, err := sink.LoadConfig(e)
	if err != nil {
		return &exitCodeError{2, fmt.Errorf("kafka-es-sink settings: %w", err)}
	}
	if err := useAWSChain(ctx, &scfg.Elasticsearch); err != nil {
		return err
	}
	// ON_FAILURE=log makes the handler succeed past records it gives up on,
	// so the consumer keeps going; dlq and fail leave a failed batch failed,
	// and the consumer then stops that partition instead of skipping it.
	cfg.OnFailure = consumer.OnFailureFail
	if scfg.OnFailure == sink.OnFailureLog {
		cfg.OnFailure = consumer.OnFailureLog
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	h, closeSink, err := sink.Open(ctx, scfg, log)
	if err != nil {
		return err
	}
	defer closeSink()
	c, err := consumer.New(cfg, func(ctx context.Context, recs []kafkaevent.Record) (any, error) {
		return h.HandleRecords(ctx, recs)
	}, log)
	if err != nil {
		return &exitCodeError{2, err}
	}
	// The control file's poller and the signal handler end with ctx, which
	// ends when Run has returned at the latest.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := c.HandleSignals(ctx)
	defer stopSignals()
	if controlFile != "" {
		if err := c.WatchControlFile(ctx, controlFile, controlInterval); err != nil {
			return &exitCodeError{2, err}
		}
	}
	if err := c.Run(ctx); err != nil {
		return err
	}
	if stopped := c.Stopped(); len(stopped) > 0 {
		return &exitCodeError{1, fmt.Errorf("%d partitions stopped after failed batches: %w", len(stopped), consumer.ErrPartitionStopped)}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
