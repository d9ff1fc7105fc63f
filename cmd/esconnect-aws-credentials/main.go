// Command esconnect-aws-credentials resolves AWS credentials with the AWS
// SDK's default chain (the environment, the shared config and credentials
// files with AWS_PROFILE, SSO and assumed roles, web identity, then an ECS
// container or EC2 instance role) and prints them in the credential_process
// format on standard output.
//
// The esconnect CLI runs it when ES_AUTH=aws-sigv4 finds no credentials in
// the environment. It is a program of its own because the chain links the
// SDK's STS, SSO, SSO OIDC and sign-in clients, whose package initialisation
// and size would otherwise be paid by every start of the CLI, by `esconnect
// invoke` above all, whether it signs or not. Being a credential_process, it
// also serves any other AWS tool from a profile's credential_process line.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// timeout bounds one resolution: an unreachable instance metadata service
// or SSO endpoint must not hang the command that waits for it.
const timeout = time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("esconnect-aws-credentials", flag.ContinueOnError)
	fs.SetOutput(stderr)
	region := fs.String("region", "", "the region of the STS and SSO calls (default: AWS_REGION, then the profile's)")
	profile := fs.String("profile", "", "the shared config profile (default: AWS_PROFILE, then default)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: esconnect-aws-credentials [--region R] [--profile P]")
		fmt.Fprintln(stderr, "prints the AWS SDK default chain's credentials as credential_process JSON (Version 1)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "esconnect-aws-credentials: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	out, err := resolve(ctx, *region, *profile)
	if err != nil {
		fmt.Fprintf(stderr, "esconnect-aws-credentials: %v\n", err)
		return 1
	}
	// Written only once complete: a reader gets whole credentials or none.
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "esconnect-aws-credentials: writing the credentials: %v\n", err)
		return 1
	}
	return 0
}

// resolve runs the chain once and encodes what it found.
func resolve(ctx context.Context, region, profile string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, errors.New("the AWS configuration names no credentials")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	return encode(c)
}

// process is the credential_process format (Version 1). The SDK's type for
// it (processcreds.CredentialProcessResponse) writes empty fields as "" and
// null; some readers take an empty SessionToken for a token to send, so
// absent fields are left out.
type process struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string     `json:",omitempty"`
	Expiration      *time.Time `json:",omitempty"`
	AccountID       string     `json:"AccountId,omitempty"`
}

// encode writes c in the format the SDKs' credential_process providers read.
func encode(c aws.Credentials) ([]byte, error) {
	out := process{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, AccountID: c.AccountID}
	if c.CanExpire {
		exp := c.Expires.UTC()
		out.Expiration = &exp
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
