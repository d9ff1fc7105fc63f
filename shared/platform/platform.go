// Package platform runs esconnect's function handlers on a serverless
// platform: AWS Lambda through aws-lambda-go's Runtime API client, and Alibaba
// Cloud Function Compute 3.0 as a custom-runtime HTTP server. It also runs a
// handler in-process for local invoke.
//
// A function is a Handler: it takes the trigger payload as bytes and returns a
// value that is sent back as JSON. Handlers know nothing about the platform;
// the adapters here translate request ids, deadlines, errors and size limits
// into each platform's conventions.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Handler is one function invocation: the trigger payload in, a result that
// is marshalled as JSON out. A returned error fails the invocation, so that the
// platform re-delivers the event; the result is then discarded.
type Handler func(ctx context.Context, payload []byte) (any, error)

// Opener builds a function's handler once per process (a cold start). It
// returns the handler and a close function releasing the handler's clients.
// An error, typically every configuration problem joined, is reported through
// the platform's init-error channel instead of crashing without a reason.
type Opener func(ctx context.Context, log *slog.Logger) (Handler, func() error, error)

// Kind names a platform.
type Kind string

// The platforms esconnect runs on.
const (
	AWS Kind = "aws"
	FC  Kind = "fc"
)

// Environment variables the platforms set, and the override.
const (
	EnvPlatform     = "PLATFORM"
	EnvLambdaAPI    = "AWS_LAMBDA_RUNTIME_API"
	EnvFCFunction   = "FC_FUNCTION_NAME"
	EnvFCListenPort = "FC_CUSTOM_LISTEN_PORT"
	EnvFCRuntime    = "FC_RUNTIME"
	EnvFCTimeout    = "FC_TIMEOUT"
	// EnvListenHost is the address the FC server binds; FC needs all
	// interfaces, local runs and tests use 127.0.0.1.
	EnvListenHost = "LISTEN_HOST"
	defaultFCPort = 9000
	defaultHost   = "0.0.0.0"
)

// ErrNoPlatform means neither the Lambda nor the FC environment was found, so
// the binary was most likely started by hand.
var ErrNoPlatform = errors.New("no serverless platform detected")

// ParseKind accepts "aws" or "fc" in any case (and "lambda" as an alias).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "aws", "lambda":
		return AWS, nil
	case "fc", "aliyun", "alibaba":
		return FC, nil
	}
	return "", fmt.Errorf("unknown platform %q (want aws or fc)", s)
}

// Detect finds the platform from the environment: PLATFORM overrides, then
// AWS_LAMBDA_RUNTIME_API means Lambda, then any of FC_FUNCTION_NAME,
// FC_CUSTOM_LISTEN_PORT or FC_RUNTIME means Function Compute.
func Detect(lookup func(string) (string, bool)) (Kind, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	if p := get(EnvPlatform); p != "" {
		k, err := ParseKind(p)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvPlatform, err)
		}
		// Lambda's client has no default address, so forcing aws without the
		// Runtime API would only fail later with a less useful message.
		if k == AWS && get(EnvLambdaAPI) == "" {
			return "", fmt.Errorf("%s=aws needs %s (the Lambda Runtime API address)", EnvPlatform, EnvLambdaAPI)
		}
		return k, nil
	}
	if get(EnvLambdaAPI) != "" {
		return AWS, nil
	}
	for _, name := range []string{EnvFCFunction, EnvFCListenPort, EnvFCRuntime} {
		if get(name) != "" {
			return FC, nil
		}
	}
	return "", ErrNoPlatform
}

// usageHint is printed when the binary is started outside any platform.
func usageHint(function string) string {
	return fmt.Sprintf(`%s is a serverless function: %v (neither %s nor %s, %s, %s is set).
To run it locally, invoke the same handler in-process:
    esconnect invoke %s --event events/<fixture>.json
or serve the Function Compute custom-runtime protocol on port %d:
    %s=fc %s=127.0.0.1 ./bootstrap
`, function, ErrNoPlatform, EnvLambdaAPI, EnvFCFunction, EnvFCListenPort, EnvFCRuntime,
		function, defaultFCPort, EnvPlatform, EnvListenHost)
}
