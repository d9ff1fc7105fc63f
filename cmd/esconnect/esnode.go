package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/esconnect/esconnect/shared/esnode"
	"github.com/esconnect/esconnect/shared/sigv4"
)

func init() {
	register("esnode", "run the in-memory Elasticsearch-API node (with optional faults) until interrupted", runESNode)
}

// apiKeyFlags collects repeated --api-key ID:KEY flags.
type apiKeyFlags []esnode.APIKey

func (a *apiKeyFlags) String() string {
	ids := make([]string, len(*a))
	for i, k := range *a {
		ids[i] = k.ID + ":***"
	}
	return strings.Join(ids, ",")
}

func (a *apiKeyFlags) Set(s string) error {
	id, key, ok := strings.Cut(s, ":")
	if !ok || id == "" || key == "" {
		return errors.New("want ID:KEY")
	}
	*a = append(*a, esnode.APIKey{ID: id, Key: key})
	return nil
}

// esnodeLine is the one line printed once the node listens.
type esnodeLine struct {
	ESNode struct {
		URL    string `json:"url"`
		CACert string `json:"ca_cert,omitempty"`
	} `json:"esnode"`
}

func runESNode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("esnode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts    esnode.Options
		keys    apiKeyFlags
		caOut   string
		refresh string
		sigKey  string
		sigReg  string
		sigSvc  string
	)
	addr := fs.String("addr", "127.0.0.1:9200", "listen address (port 0 picks a free port)")
	fs.StringVar(&opts.Username, "username", "", "require basic auth with this user")
	fs.StringVar(&opts.Password, "password", "", "password for --username")
	fs.Var(&keys, "api-key", "accept the API key ID:KEY (repeatable)")
	fs.StringVar(&opts.TLSCertFile, "tls-cert", "", "serve TLS with this certificate (PEM)")
	fs.StringVar(&opts.TLSKeyFile, "tls-key", "", "key (PEM) for --tls-cert")
	fs.BoolVar(&opts.SelfSignedTLS, "tls-self-signed", false, "serve TLS with a generated CA and a certificate for 127.0.0.1/localhost")
	fs.StringVar(&caOut, "ca-out", "", "write the generated CA certificate (PEM) to this file")
	fs.StringVar(&refresh, "refresh-interval", "1s", "default index refresh interval (-1 disables periodic refresh)")
	fs.Float64Var(&opts.Faults.Item429, "fault-item-429", 0, "fraction of bulk items rejected with 429 es_rejected_execution_exception")
	fs.Float64Var(&opts.Faults.Request503, "fault-request-503", 0, "fraction of requests answered 503")
	fs.Float64Var(&opts.Faults.Request502, "fault-request-502", 0, "fraction of requests answered 502 (proxy page)")
	fs.Float64Var(&opts.Faults.Request504, "fault-request-504", 0, "fraction of requests answered 504 (proxy page)")
	fs.Float64Var(&opts.Faults.Reset, "fault-reset", 0, "fraction of connections reset mid-request")
	fs.DurationVar(&opts.Faults.Latency, "latency", 0, "latency added to every request")
	fs.Int64Var(&opts.MaxContentLength, "max-content-length", 0, "largest request body in bytes; larger get 413 (0 means 100 MB)")
	fs.BoolVar(&opts.Blackhole, "blackhole", false, "answer bulk requests as successful without storing anything")
	fs.Int64Var(&opts.Faults.Seed, "seed", 0, "seed of the fault randomness (0 means 1)")
	fs.StringVar(&opts.Version, "version", esnode.DefaultVersion, "Elasticsearch version reported by GET /")
	fs.StringVar(&sigKey, "sigv4-key", "", "stand in for Amazon OpenSearch Service: require AWS SigV4 signatures by the key ACCESS_KEY_ID:SECRET")
	fs.StringVar(&sigReg, "sigv4-region", "us-east-1", "region SigV4 signatures must be scoped to (with --sigv4-key)")
	fs.StringVar(&sigSvc, "sigv4-service", sigv4.ServiceES, "service SigV4 signatures must be scoped to: es or aoss (with --sigv4-key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitCodeError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	opts.APIKeys = keys
	interval, err := parseRefreshFlag(refresh)
	if err != nil {
		return &exitCodeError{2, err}
	}
	opts.RefreshInterval = interval
	if sigKey != "" {
		id, secret, ok := strings.Cut(sigKey, ":")
		if !ok || id == "" || secret == "" {
			return &exitCodeError{2, errors.New("--sigv4-key: want ACCESS_KEY_ID:SECRET")}
		}
		if sigSvc != sigv4.ServiceES && sigSvc != sigv4.ServiceAOSS {
			return &exitCodeError{2, fmt.Errorf("--sigv4-service %q: want es or aoss", sigSvc)}
		}
		opts.SigV4 = &sigv4.Verifier{Region: sigReg, Service: sigSvc,
			Keys: map[string]aws.Credentials{id: {AccessKeyID: id, SecretAccessKey: secret}}}
	}
	if caOut != "" && !opts.SelfSignedTLS {
		return &exitCodeError{2, errors.New("--ca-out needs --tls-self-signed")}
	}
	srv, err := esnode.Start(*addr, opts)
	if err != nil {
		if errors.Is(err, esnode.ErrInvalidOptions) {
			return &exitCodeError{2, err}
		}
		return err
	}
	var line esnodeLine
	line.ESNode.URL = srv.URL
	if caOut != "" {
		if err := srv.WriteCACert(caOut); err != nil {
			return errors.Join(err, srv.Close())
		}
		line.ESNode.CACert = caOut
	}
	if err := json.NewEncoder(stdout).Encode(line); err != nil {
		return errors.Join(fmt.Errorf("writing address line: %w", err), srv.Close())
	}
	<-ctx.Done()
	return srv.Close()
}

// parseRefreshFlag reads --refresh-interval: a Go duration, or -1 for never.
func parseRefreshFlag(s string) (time.Duration, error) {
	if s == "-1" {
		return -1, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--refresh-interval %q: want a positive duration or -1", s)
	}
	return d, nil
}
