package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"

	"github.com/esconnect/esconnect/shared/esclient"
	"github.com/esconnect/esconnect/shared/sigv4"
)

// credentialsHelper is the program that runs the AWS SDK's default
// credential chain (cmd/esconnect-aws-credentials). The chain is not linked
// here: its STS, SSO and sign-in clients cost every start of the CLI about
// 0.8 ms of package initialisation and 4.5 MB of binary, which made
// `esconnect invoke` of a small event slower than a plain program doing the
// same work (docs/performance.md).
const credentialsHelper = "esconnect-aws-credentials"

// helperTimeout bounds one run of the helper, which bounds its own chain to
// a minute; this is the backstop if it hangs.
const helperTimeout = 90 * time.Second

// useAWSChain gives a command the AWS SDK's default credential chain when
// its settings ask for SigV4 (ES_AUTH=aws-sigv4): the environment first,
// then the shared config and credentials files (AWS_PROFILE, SSO, assumed
// roles), then a container or instance role, so a self-hosted consumer on
// ECS or EC2 signs with its role. The deployed functions read only the
// environment, which is where Lambda puts the role's credentials.
//
// Credentials in the environment are the chain's first step, and are used
// as they are (the transport reads them). Otherwise the helper resolves
// them, once here, so that a missing profile or an expired SSO session is
// reported before any work, and again whenever they near their expiry.
func useAWSChain(ctx context.Context, es *esclient.Config) error {
	if es.Auth != esclient.AuthAWSSigV4 || es.AWSCredentials != nil {
		return nil
	}
	if os.Getenv(sigv4.EnvAccessKeyID) != "" && os.Getenv(sigv4.EnvSecretAccessKey) != "" {
		return nil
	}
	exe, _ := os.Executable()
	helper, err := findHelper(exe)
	if err != nil {
		return fmt.Errorf("%s=%s: no %s and %s in the environment, and %w",
			esclient.EnvAuth, esclient.AuthAWSSigV4, sigv4.EnvAccessKeyID, sigv4.EnvSecretAccessKey, err)
	}
	creds := aws.NewCredentialsCache(&helperProvider{path: helper, region: es.AWSRegion})
	if _, err := creds.Retrieve(ctx); err != nil {
		return fmt.Errorf("%s=%s: %w", esclient.EnvAuth, esclient.AuthAWSSigV4, err)
	}
	es.AWSCredentials = creds
	return nil
}

// findHelper looks for the helper beside the CLI's executable (where `go
// build -o DIR ./cmd/...` and an image's COPY put both), then on PATH.
func findHelper(exe string) (string, error) {
	if exe != "" {
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		beside := filepath.Join(filepath.Dir(exe), credentialsHelper)
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return beside, nil
		}
	}
	if p, err := exec.LookPath(credentialsHelper); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("the AWS SDK's credential chain (profiles, SSO, roles) runs in %s, which is neither beside %s nor on PATH: "+
		"build both with `go build -o DIR ./cmd/esconnect ./cmd/%s`, or put the credentials in the environment",
		credentialsHelper, exe, credentialsHelper)
}

// helperProvider runs the helper as a credential_process, read by the SDK's
// own provider for that format.
type helperProvider struct {
	path, region string
}

func (h *helperProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	var stderr tailBuffer
	p := processcreds.NewProviderCommand(processcreds.NewCommandBuilderFunc(func(ctx context.Context) (*exec.Cmd, error) {
		args := []string{}
		if h.region != "" {
			args = append(args, "--region", h.region)
		}
		cmd := exec.CommandContext(ctx, h.path, args...)
		// The environment is inherited (AWS_PROFILE and the rest). Standard
		// input is not: it may be the event being invoked.
		cmd.Stderr = &stderr
		return cmd, nil
	}), func(o *processcreds.Options) { o.Timeout = helperTimeout })
	c, err := p.Retrieve(ctx)
	if err != nil {
		// The helper's message says what is wrong (a missing profile, an
		// expired SSO session); the provider's says only that it exited.
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return aws.Credentials{}, errors.New(msg)
		}
		// When the provider cannot parse the helper's output it quotes all
		// of it, and that output is where the credentials are: only the
		// kind of problem goes on, to logs and results.
		var syntax *json.SyntaxError
		var wrongType *json.UnmarshalTypeError
		if errors.As(err, &syntax) || errors.As(err, &wrongType) {
			return aws.Credentials{}, fmt.Errorf("%s: its output is not credential_process JSON (not shown: it may hold credentials)", h.path)
		}
		return aws.Credentials{}, fmt.Errorf("%s: %w", h.path, err)
	}
	return c, nil
}

// tailBuffer keeps the last 4 KiB written to it: enough for an error
// message, bounded whatever the helper prints.
type tailBuffer struct{ b bytes.Buffer }

const tailLimit = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b.Write(p)
	if over := t.b.Len() - tailLimit; over > 0 {
		t.b.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return t.b.String() }
