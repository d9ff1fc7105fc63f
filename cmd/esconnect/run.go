package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	// The group settings' variables are the flags' defaults, so a flag
	// given on the command line wins.
	ge := config.FromOS()
	instanceID := ge.String(envInstanceID, "")
	fs.StringVar(&brokers, "brokers", "", "bootstrap brokers, comma-separated (default: KAFKA_BROKERS)")
	fs.StringVar(&topics, "topic", "", "topics to consume, comma-separated")
	fs.StringVar(&cfg.Group, "group", consumer.DefaultGroup, "consumer group id")
	fs.StringVar(&from, "from", "earliest", "where partitions without a committed offset start: earliest or latest")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "handler calls in flight across partitions")
	fs.IntVar(&cfg.Batch, "batch", 100, "most records per handler call")
	fs.DurationVar(&cfg.Window, "window", 0, "how long a batch waits for more records after its first (default 500ms)")
	fs.StringVar(&instanceID, "instance-id", instanceID,
		"static group member id (group.instance.id): unique in the group, the same across restarts, so that a restarted consumer takes its partitions back at once; "+
			dynamicMember+" for a dynamic member (default: "+envInstanceID+", else the host name)")
	fs.DurationVar(&cfg.SessionTimeout, "session-timeout", ge.Duration(envSessionTimeout, consumer.DefaultSessionTimeout),
		"how long the group waits for a member that stopped heartbeating (a crashed consumer not restarted) before giving its partitions to others; within the broker's group.min/max.session.timeout.ms ("+envSessionTimeout+")")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", ge.Duration(envHeartbeatInterval, consumer.DefaultHeartbeatInterval),
		"time between heartbeats, shorter than --session-timeout ("+envHeartbeatInterval+")")
	fs.DurationVar(&cfg.RebalanceTimeout, "rebalance-timeout", ge.Duration(envRebalanceTimeout, consumer.DefaultRebalanceTimeout),
		"how long a rebalance waits for the batches in flight to finish and commit ("+envRebalanceTimeout+")")
	fs.StringVar(&controlFile, "control-file", "", "file holding paused or running, read every --control-interval to pause and resume consumption")
	fs.DurationVar(&controlInterval, "control-interval", consumer.DefaultControlInterval, "how often --control-file is read")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := ge.Err(); err != nil {
		return &exitCodeError{2, fmt.Errorf("run settings: %w", err)}
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
	var hostNote error
	cfg.InstanceID, hostNote = resolveInstanceID(instanceID)
	if err := cfg.Validate(); err != nil {
		return &exitCodeError{2, err}
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
	if hostNote != nil {
		log.Warn("joining as a dynamic group member: a restart after a crash waits for the session timeout; set --instance-id", "error", hostNote.Error())
	}
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

// Environment variables of the group settings of `esconnect run`.
const (
	envInstanceID        = "KAFKA_GROUP_INSTANCE_ID"
	envSessionTimeout    = "KAFKA_SESSION_TIMEOUT"
	envHeartbeatInterval = "KAFKA_HEARTBEAT_INTERVAL"
	envRebalanceTimeout  = "KAFKA_REBALANCE_TIMEOUT"
)

// dynamicMember as the instance id turns static membership off.
const dynamicMember = "none"

// errNoHostName is returned by resolveInstanceID when the host name cannot
// serve as the instance id.
var errNoHostName = errors.New("no host name usable as a group instance id")

// resolveInstanceID turns the --instance-id value into the consumer's
// InstanceID: dynamicMember gives none, an empty value the host name — the
// one name a restarted process on the same host, or a restarted container
// of a StatefulSet pod, is sure to share with the one it replaces. A host
// name that cannot be an instance id gives none and errNoHostName, which
// the caller logs; an explicit value is checked by Config.Validate.
func resolveInstanceID(flag string) (string, error) {
	switch flag {
	case dynamicMember:
		return "", nil
	case "":
		host, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("%w: %w", errNoHostName, err)
		}
		if err := consumer.ValidateInstanceID(host); err != nil {
			return "", fmt.Errorf("%w: %w", errNoHostName, err)
		}
		return host, nil
	default:
		return flag, nil
	}
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
