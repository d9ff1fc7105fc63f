// Command esconnect-demo is `esconnect demo` on its own, and what `make demo`
// runs. It links only what the demo uses, leaving out the AWS and Alibaba
// Cloud API clients of replay and the other subcommands: on a fresh machine
// the demo's time is almost all the first build.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/esconnect/esconnect/shared/demo"
)

func main() {
	// SIGINT and SIGTERM cancel the context; the demo stops what it started.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := demo.Command(ctx, "esconnect-demo", args, stdout, stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "esconnect-demo: %v\n", err)
	}
	return demo.ExitCode(err)
}
