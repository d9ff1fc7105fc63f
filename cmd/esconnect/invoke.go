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
	"sort"
	"strings"
	"time"

	"github.com/esconnect/esconnect/shared/pgessync"
	"github.com/esconnect/esconnect/shared/platform"
	"github.com/esconnect/esconnect/shared/sink"
)

func init() {
	register("invoke", "run a function once in-process on an event file (local sam/s invoke)", runInvoke)
}

// functionOpeners are the deployed functions' own openers (their mains
// call the same ones), given the AWS SDK's credential chain for SigV4.
var functionOpeners = map[string]platform.Opener{
	"kafka-es-sink": sink.FromEnv(useAWSChain),
	"pg-es-sync":    pgessync.FromEnv(useAWSChain),
}

// defaultInvokeTimeout is Lambda's longest function timeout, so a local run
// is never allowed more time than a deployed one could have.
const defaultInvokeTimeout = 15 * time.Minute

func runInvoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	event := fs.String("event", "", fmt.Sprintf("event `file` (trigger payload, at most %d MiB); - reads stdin", maxEventBytes>>20))
	platformFlag := fs.String("platform", "", "adapter to run through: aws or fc (default: $PLATFORM, else aws)")
	timeout := fs.Duration("timeout", defaultInvokeTimeout, "function timeout, the handler's deadline")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: esconnect invoke <function> --event FILE [--platform aws|fc] [--timeout 15m]\n\nfunctions: %s\n\nflags:\n", strings.Join(functionNames(), ", "))
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nSettings are the deployed function's environment variables (ES_URL, ES_INDEX, ...).")
		fmt.Fprintf(stderr, "An event may be up to %d MiB, Function Compute's limit for a synchronous invocation (Lambda's is 6 MB).\n", maxEventBytes>>20)
	}
	name, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	open, ok := functionOpeners[name]
	if !ok {
		fs.Usage()
		return &exitCodeError{2, fmt.Errorf("unknown function %q (want one of %s)", name, strings.Join(functionNames(), ", "))}
	}
	if *event == "" {
		fs.Usage()
		return &exitCodeError{2, errors.New("--event is required")}
	}
	kind, err := invokePlatform(*platformFlag)
	if err != nil {
		return &exitCodeError{2, err}
	}
	payload, err := readEvent(*event)
	if err != nil {
		return err
	}

	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("function", name, "platform", string(kind))
	h, closeFn, err := open(ctx, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeFn(); cerr != nil {
			log.Error("closing the handler's clients", "error", cerr.Error())
		}
	}()
	body, err := platform.Invoke(ctx, kind, h, payload, *timeout, log, stderr)
	var er *platform.ErrorResponse
	if errors.As(err, &er) {
		// Print the failure body the platform would return, like sam/s local invoke.
		b, _ := json.Marshal(er) // two strings always encode
		fmt.Fprintf(stdout, "%s\n", b)
		return &exitCodeError{1, er}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", body)
	return nil
}

func invokePlatform(flagValue string) (platform.Kind, error) {
	v := flagValue
	if v == "" {
		v = os.Getenv(platform.EnvPlatform)
	}
	if v == "" {
		return platform.AWS, nil
	}
	k, err := platform.ParseKind(v)
	if err != nil {
		return "", fmt.Errorf("--platform: %w", err)
	}
	return k, nil
}

func functionNames() []string {
	names := make([]string, 0, len(functionOpeners))
	for n := range functionOpeners {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
