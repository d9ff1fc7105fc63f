package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// functionFlags are the Makefile's flags for the function binaries (make
// build): Lambda's provided.al2023 runtime starts a static bootstrap.
var functionFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// binaries are the programs the benchmarks run, built once per run.
type binaries struct {
	// ESConnect is the CLI as `go build ./cmd/esconnect` makes it; Naive
	// the baseline built the same way.
	ESConnect, Naive string
	// Sink and Hello are kafka-es-sink's bootstrap and the aws-lambda-go
	// hello world, both built like `make build` for the host's
	// architecture; NaiveLambda is the baseline built that way too.
	Sink, Hello, NaiveLambda string
}

// build compiles every binary into dir.
func build(ctx context.Context, dir string) (binaries, error) {
	b := binaries{
		ESConnect:   filepath.Join(dir, "esconnect"),
		Naive:       filepath.Join(dir, "naive"),
		Sink:        filepath.Join(dir, "kafka-es-sink", "bootstrap"),
		Hello:       filepath.Join(dir, "hello", "bootstrap"),
		NaiveLambda: filepath.Join(dir, "naive-lambda", "bootstrap"),
	}
	steps := []struct {
		out, pkg string
		function bool
	}{
		{b.ESConnect, "./cmd/esconnect", false},
		{b.Naive, "./cmd/esconnect-bench/naive", false},
		{b.Sink, "./functions/kafka-es-sink", true},
		{b.Hello, "./cmd/esconnect-bench/hello", true},
		{b.NaiveLambda, "./cmd/esconnect-bench/naive", true},
	}
	for _, s := range steps {
		var flags []string
		env := os.Environ()
		if s.function {
			flags = functionFlags
			env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		}
		if err := goBuild(ctx, env, s.out, s.pkg, flags...); err != nil {
			return b, err
		}
	}
	return b, nil
}

// goBuild runs go build -o out pkg with flags in the module's root.
func goBuild(ctx context.Context, env []string, out, pkg string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}
