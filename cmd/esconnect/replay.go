package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/esconnect/esconnect/shared/config"
	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/kafkaevent"
	"github.com/esconnect/esconnect/shared/replay"
	"github.com/esconnect/esconnect/shared/sink"
)

func init() {
	register("replay", "replay events, archives, Kafka ranges or dead letters into a function", runReplay)
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		from, to, format string
		opts             replay.Options
		dopts            replay.DestinationOptions
		lambdaSource     string
		fcFormat         string
		verbose          bool
	)
	fs.StringVar(&from, "from", "", "source: event file or directory, archive.jsonl, kafka://host:port/topic?partition=P&from=X&to=Y[&deadletter=true], or es://index (dead letters)")
	fs.StringVar(&to, "to", "", "destination: local, stdout, jsonl:FILE, lambda:NAME or fc:NAME")
	fs.Float64Var(&opts.Rate, "rate", 0, "records per second (0: unlimited)")
	fs.IntVar(&opts.Batch, "batch", 500, "records per batch sent")
	fs.BoolVar(&opts.DryRun, "dry-run", false, "read and count the source without sending")
	fs.StringVar(&format, "format", "auto", "format of event files: "+fmt.Sprint(kafkaevent.FormatNames()))
	fs.StringVar(&dopts.Lambda.Endpoint, "lambda-endpoint", "", "Lambda API endpoint (default: AWS_ENDPOINT_URL_LAMBDA or the regional endpoint)")
	fs.StringVar(&dopts.Lambda.Region, "region", "", "AWS region (default: AWS_REGION)")
	fs.StringVar(&lambdaSource, "lambda-event-source", "msk", "Lambda event shape: msk or self-managed")
	fs.StringVar(&dopts.Lambda.BootstrapServers, "bootstrap-servers", "", "bootstrapServers written into Lambda events")
	fs.StringVar(&dopts.FC.Endpoint, "fc-endpoint", "", "Function Compute endpoint (default: FC_ENDPOINT or <account>.<region>.fc.aliyuncs.com)")
	fs.StringVar(&fcFormat, "fc-format", "alibaba-connector", "FC payload: alibaba-connector, fc-cloudevents or fc-rawdata")
	fs.StringVar(&dopts.FC.Qualifier, "fc-qualifier", "", "FC version or alias")
	fs.BoolVar(&verbose, "v", false, "log every batch (JSON) to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if from == "" || to == "" || fs.NArg() > 0 {
		fs.Usage()
		return &exitCodeError{2, errors.New("--from and --to are required")}
	}
	f, err := kafkaevent.ParseFormat(format)
	if err != nil {
		return &exitCodeError{2, err}
	}
	switch lambdaSource {
	case "msk":
		dopts.Lambda.EventSource = kafkaevent.EventSourceMSK
	case "self-managed":
		dopts.Lambda.EventSource = kafkaevent.EventSourceSelfManaged
	default:
		return &exitCodeError{2, fmt.Errorf("--lambda-event-source %q is not msk or self-managed", lambdaSource)}
	}
	if dopts.FC.Format, err = kafkaevent.ParseFormat(fcFormat); err != nil {
		return &exitCodeError{2, err}
	}
	if verbose {
		opts.Log = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	if isTerminal(stderr) {
		opts.Progress = stderr
	}
	dopts.Stdout = stdout
	dopts.Local = func(ctx context.Context) (replay.Destination, error) { return openLocalSink(ctx, opts.Log) }

	src, err := replay.OpenSource(ctx, from, f, openESDeadLetters)
	if err != nil {
		return &exitCodeError{2, err}
	}
	defer src.Close()
	var dst replay.Destination
	if opts.DryRun {
		dst = discard{}
	} else if dst, err = replay.OpenDestination(ctx, to, dopts); err != nil {
		return &exitCodeError{2, err}
	}
	sum, runErr := replay.Run(ctx, src, dst, opts)
	closeErr := dst.Close()
	// With --to stdout the records own stdout, so the summary goes to
	// stderr there.
	out := stdout
	if to == "stdout" && !opts.DryRun {
		out = stderr
	}
	line, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\n", line)
	if runErr != nil {
		return runErr
	}
	if closeErr != nil {
		return fmt.Errorf("close destination: %w", closeErr)
	}
	return nil
}

// localSink is the `local` destination: the kafka-es-sink handler, built
// from the environment exactly as the deployed function builds it.
type localSink struct {
	h     *sink.Handler
	close func() error
}

func openLocalSink(ctx context.Context, log *slog.Logger) (replay.Destination, error) {
	cfg, err := sink.LoadConfig(config.FromOS())
	if err != nil {
		return nil, fmt.Errorf("kafka-es-sink settings: %w", err)
	}
	if err := useAWSChain(ctx, &cfg.Elasticsearch); err != nil {
		return nil, err
	}
	h, closeFn, err := sink.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return &localSink{h: h, close: closeFn}, nil
}

func (l *localSink) Send(ctx context.Context, recs []kafkaevent.Record) (any, error) {
	return l.h.HandleRecords(ctx, recs)
}

func (l *localSink) Close() error { return l.close() }

// openESDeadLetters reads an es:// dead-letter index from the cluster the
// ES_* settings name.
func openESDeadLetters(ctx context.Context, index string) (replay.Source, error) {
	e := config.FromOS()
	cfg := esclient.LoadConfig(e)
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("elasticsearch settings: %w", err)
	}
	if cfg.AWSService == esclient.AWSServiceAOSS {
		return nil, fmt.Errorf("es://%s: dead letters are read back with the scroll API, which OpenSearch Serverless (%s=%s) does not offer",
			index, esclient.EnvAWSService, esclient.AWSServiceAOSS)
	}
	if err := useAWSChain(ctx, &cfg); err != nil {
		return nil, err
	}
	es, err := esclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch transport: %w", err)
	}
	return replay.OpenESDeadLetters(es, index), nil
}

// discard is the destination of a dry run.
type discard struct{}

func (discard) Send(context.Context, []kafkaevent.Record) (any, error) { return nil, nil }
func (discard) Close() error                                           { return nil }

// isTerminal reports whether w is a character device, where a progress line
// rewritten in place is readable; logs and pipes get none.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
