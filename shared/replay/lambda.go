package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// LambdaPayloadLimit is the synchronous Invoke request payload limit (6 MB).
const LambdaPayloadLimit = 6 * 1024 * 1024

// LambdaOptions configures the lambda:NAME destination. Empty fields are
// read from the standard AWS environment variables.
type LambdaOptions struct {
	Region string // AWS_REGION, AWS_DEFAULT_REGION
	// Endpoint overrides the service endpoint (AWS_ENDPOINT_URL_LAMBDA,
	// AWS_ENDPOINT_URL), for tests and local emulators.
	Endpoint string
	// AccessKeyID, SecretAccessKey and SessionToken default to
	// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
	AccessKeyID, SecretAccessKey, SessionToken string
	// EventSource is kafkaevent.EventSourceMSK (default) or
	// kafkaevent.EventSourceSelfManaged; BootstrapServers goes into the event.
	EventSource, BootstrapServers string
	// HTTPClient overrides the HTTP client.
	HTTPClient *http.Client
}

func (o LambdaOptions) withEnv() LambdaOptions {
	env := func(v *string, names ...string) {
		for _, n := range names {
			if *v == "" {
				*v = os.Getenv(n)
			}
		}
	}
	env(&o.Region, "AWS_REGION", "AWS_DEFAULT_REGION")
	env(&o.Endpoint, "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL")
	env(&o.AccessKeyID, "AWS_ACCESS_KEY_ID")
	env(&o.SecretAccessKey, "AWS_SECRET_ACCESS_KEY")
	env(&o.SessionToken, "AWS_SESSION_TOKEN")
	if o.EventSource == "" {
		o.EventSource = kafkaevent.EventSourceMSK
	}
	return o
}

// ErrFunction is wrapped when the function ran but reported an error or
// failed records.
var ErrFunction = errors.New("function reported a failure")

type lambdaDest struct {
	name   string
	client *lambda.Client
	o      LambdaOptions
}

// NewLambda returns a destination that invokes function name synchronously
// with AWS Kafka events.
func NewLambda(name string, o LambdaOptions) (Destination, error) {
	o = o.withEnv()
	var errs []error
	if o.Region == "" {
		errs = append(errs, errors.New("no region: set AWS_REGION"))
	}
	if o.AccessKeyID == "" || o.SecretAccessKey == "" {
		errs = append(errs, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: lambda: %w", ErrBadDestination, errors.Join(errs...))
	}
	creds := aws.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.SessionToken, Source: "environment"}
	cfg := aws.Config{
		Region:      o.Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = o.HTTPClient
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	return &lambdaDest{name: name, client: lambda.NewFromConfig(cfg), o: o}, nil
}

// lambdaResponse is what the kafka-es-sink function answers; a non-empty
// batchItemFailures means some records were not written.
type lambdaResponse struct {
	BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
}

func (d *lambdaDest) Send(ctx context.Context, recs []kafkaevent.Record) (any, error) {
	payloads, err := splitPayloads(recs, LambdaPayloadLimit, func(rs []kafkaevent.Record) ([]byte, error) {
		return kafkaevent.EncodeAWS(rs, d.o.EventSource, d.o.BootstrapServers)
	})
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", d.name, err)
	}
	var results []json.RawMessage
	for _, p := range payloads {
		out, err := d.client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   aws.String(d.name),
			InvocationType: types.InvocationTypeRequestResponse,
			Payload:        p,
		})
		if err != nil {
			return results, fmt.Errorf("invoke lambda %s: %w", d.name, err)
		}
		if out.FunctionError != nil {
			return results, fmt.Errorf("lambda %s: %w: %s: %s", d.name, ErrFunction, aws.ToString(out.FunctionError), truncate(out.Payload))
		}
		var resp lambdaResponse
		if json.Unmarshal(out.Payload, &resp) == nil && len(resp.BatchItemFailures) > 0 {
			return results, fmt.Errorf("lambda %s: %w: %d records in batchItemFailures", d.name, ErrFunction, len(resp.BatchItemFailures))
		}
		results = append(results, json.RawMessage(out.Payload))
	}
	return results, nil
}

func (d *lambdaDest) Close() error { return nil }

// truncate keeps error messages readable when a function answers with a
// large body.
func truncate(b []byte) string {
	const n = 512
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
