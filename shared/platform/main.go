package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit statuses of Main.
const (
	ExitOK    = 0
	ExitError = 1
	// ExitUsage: started outside any platform, or PLATFORM is wrong.
	ExitUsage = 2
)

// defaultGrace is how long SIGTERM waits for an in-flight FC invocation when
// FC_TIMEOUT does not say how long one may take.
const defaultGrace = 10 * time.Minute

// Main runs function on the platform the environment names and returns the
// process exit status; functions/<name>/main.go passes it to os.Exit.
func Main(function string, open Opener) int {
	return Run(context.Background(), os.LookupEnv, os.Stdout, os.Stderr, function, open)
}

// Run is Main with its environment, output streams and context explicit.
// Logs go to stderr as JSON; stdout carries FC's invocation marker lines.
//
// The platform's variables are read here rather than through shared/config:
// they are set by the platform, not the user, and this package stays
// independent of every function's settings.
func Run(ctx context.Context, lookup func(string) (string, bool), stdout, stderr io.Writer, function string, open Opener) int {
	env := platformEnv{lookup: lookup}
	kind, err := Detect(lookup)
	if errors.Is(err, ErrNoPlatform) {
		fmt.Fprint(stderr, usageHint(function))
		return ExitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", function, err)
		return ExitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("function", function, "platform", string(kind))
	switch kind {
	case AWS:
		api := env.get(EnvLambdaAPI)
		h, _, openErr := open(ctx, log)
		// Lambda freezes and kills the process itself; nothing to close.
		err := serveLambda(ctx, api, h, openErr, log)
		log.Error("function stopped", "error", err.Error())
		return ExitError
	default:
		return runFC(ctx, env, stdout, log, open)
	}
}

func runFC(ctx context.Context, env platformEnv, stdout io.Writer, log *slog.Logger, open Opener) int {
	host := env.get(EnvListenHost)
	if host == "" {
		host = defaultHost
	}
	port, portErr := env.int(EnvFCListenPort, defaultFCPort, 65535)
	timeoutSecs, timeoutErr := env.int(EnvFCTimeout, 0, maxFCTimeout)
	platformErr := errors.Join(portErr, timeoutErr)

	// SIGTERM starts a graceful stop: FC sends it before recycling an
	// instance, and the running invocation must still answer.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	h, closeFn, openErr := open(ctx, log)
	initErr := errors.Join(platformErr, openErr)
	if initErr != nil {
		// Keep serving: FC then shows this message on /initialize and every
		// /invoke, instead of a restart loop with no reason given.
		log.Error("function failed to start; every invocation will report why", "error", initErr.Error())
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("listening for the FC custom runtime", "addr", addr, "error", err.Error())
		closeQuietly(closeFn, log)
		return ExitError
	}
	log.Info("listening", "addr", ln.Addr().String())
	timeout := time.Duration(timeoutSecs) * time.Second
	grace := defaultGrace
	if timeout > 0 {
		grace = timeout
	}
	srv := NewFCServer(h, initErr, log, stdout, timeout)
	serveErr := ServeFC(ctx, ln, srv, grace)
	closeQuietly(closeFn, log)
	if serveErr != nil {
		log.Error("stopped", "error", serveErr.Error())
		return ExitError
	}
	log.Info("stopped")
	return ExitOK
}

// maxFCTimeout is FC's longest function timeout (24 hours), in seconds.
const maxFCTimeout = 24 * 3600

type platformEnv struct{ lookup func(string) (string, bool) }

func (e platformEnv) get(name string) string {
	v, _ := e.lookup(name)
	return strings.TrimSpace(v)
}

// int reads a non-negative integer no larger than max, or def when unset.
func (e platformEnv) int(name string, def, max int) (int, error) {
	v := e.get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		return def, fmt.Errorf("%s: %q is not an integer in [0, %d]", name, v, max)
	}
	return n, nil
}

func closeQuietly(closeFn func() error, log *slog.Logger) {
	if closeFn == nil {
		return
	}
	if err := closeFn(); err != nil {
		log.Error("closing the handler's clients", "error", err.Error())
	}
}
