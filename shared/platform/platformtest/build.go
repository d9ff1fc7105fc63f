// Package platformtest drives built function binaries the way the platforms
// do: a Lambda Runtime API implementation, Function Compute custom-runtime
// requests, and helpers that build a binary with the production flags and
// watch the process's output. Tests of shared/platform and of functions/*
// use it.
package platformtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BuildFlags are the Makefile's flags for the function binaries.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Build compiles the main package pkg (an import path) for the host into
// tb.TempDir()/bootstrap with the production flags and returns its path.
func Build(tb testing.TB, pkg string) string {
	tb.Helper()
	return BuildFor(tb, pkg, "")
}

// BuildFor is Build for another GOARCH ("" means the host's).
func BuildFor(tb testing.TB, pkg, goarch string) string {
	tb.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("building %s needs the go command on PATH: %v", pkg, err)
	}
	out := filepath.Join(tb.TempDir(), "bootstrap")
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command(gobin, args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if goarch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+goarch)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return out
}
