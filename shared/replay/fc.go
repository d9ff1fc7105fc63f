package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/esconnect/esconnect/shared/kafkaevent"
)

// FCPayloadLimit is Function Compute's synchronous invocation body limit
// (32 MB).
const FCPayloadLimit = 32 * 1024 * 1024

// fcAPIVersion is the Function Compute 3.0 API version.
const fcAPIVersion = "2023-03-30"

// FCOptions configures the fc:NAME destination. Empty fields are read from
// the environment variables named beside them.
type FCOptions struct {
	AccountID string // ALIBABA_CLOUD_ACCOUNT_ID, FC_ACCOUNT_ID
	Region    string // ALIBABA_CLOUD_REGION, FC_REGION
	// Endpoint overrides <account>.<region>.fc.aliyuncs.com (FC_ENDPOINT);
	// an http:// prefix selects plain HTTP, for tests.
	Endpoint string
	// AccessKeyID, AccessKeySecret and SecurityToken default to
	// ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
	// ALIBABA_CLOUD_SECURITY_TOKEN.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Qualifier selects a version or alias; empty means LATEST.
	Qualifier string
	// Format is the payload: kafkaevent.FormatAlibabaConnector (default),
	// FormatFCCloudEvents or FormatFCRawData.
	Format kafkaevent.Format
}

func (o FCOptions) withEnv() FCOptions {
	env := func(v *string, names ...string) {
		for _, n := range names {
			if *v == "" {
				*v = os.Getenv(n)
			}
		}
	}
	env(&o.AccountID, "ALIBABA_CLOUD_ACCOUNT_ID", "FC_ACCOUNT_ID")
	env(&o.Region, "ALIBABA_CLOUD_REGION", "FC_REGION")
	env(&o.Endpoint, "FC_ENDPOINT")
	env(&o.AccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_ID")
	env(&o.AccessKeySecret, "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	env(&o.SecurityToken, "ALIBABA_CLOUD_SECURITY_TOKEN")
	if o.Format == kafkaevent.FormatAuto {
		o.Format = kafkaevent.FormatAlibabaConnector
	}
	return o
}

type fcDest struct {
	name   string
	o      FCOptions
	client *openapi.Client
	encode func([]kafkaevent.Record) ([]byte, error)
}

// NewFC returns a destination that invokes a Function Compute 3.0 function
// synchronously (InvokeFunction, signed with ACS3-HMAC-SHA256).
func NewFC(name string, o FCOptions) (Destination, error) {
	o = o.withEnv()
	var errs []error
	protocol, host := "HTTPS", o.Endpoint
	if host == "" {
		if o.AccountID == "" || o.Region == "" {
			errs = append(errs, errors.New("no endpoint: set ALIBABA_CLOUD_ACCOUNT_ID and ALIBABA_CLOUD_REGION, or FC_ENDPOINT"))
		}
		host = o.AccountID + "." + o.Region + ".fc.aliyuncs.com"
	} else if u, err := url.Parse(host); err == nil && u.Host != "" {
		protocol, host = strings.ToUpper(u.Scheme), u.Host
	}
	if o.AccessKeyID == "" || o.AccessKeySecret == "" {
		errs = append(errs, errors.New("no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
	}
	d := &fcDest{name: name, o: o}
	switch o.Format {
	case kafkaevent.FormatAlibabaConnector:
		d.encode = kafkaevent.EncodeAlibabaConnector
	case kafkaevent.FormatFCCloudEvents:
		d.encode = kafkaevent.EncodeCloudEvents
	case kafkaevent.FormatFCRawData:
		d.encode = kafkaevent.EncodeRawData
	default:
		errs = append(errs, fmt.Errorf("format %s is not an FC payload format", o.Format))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: fc: %w", ErrBadDestination, errors.Join(errs...))
	}
	cfg := &openapi.Config{
		AccessKeyId:     dara.String(o.AccessKeyID),
		AccessKeySecret: dara.String(o.AccessKeySecret),
		Endpoint:        dara.String(host),
		Protocol:        dara.String(protocol),
	}
	if o.Region != "" {
		cfg.RegionId = dara.String(o.Region)
	}
	if o.SecurityToken != "" {
		cfg.SecurityToken = dara.String(o.SecurityToken)
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("fc client: %w", err)
	}
	d.client = c
	return d, nil
}

func (d *fcDest) Send(ctx context.Context, recs []kafkaevent.Record) (any, error) {
	payloads, err := splitPayloads(recs, FCPayloadLimit, d.encode)
	if err != nil {
		return nil, fmt.Errorf("fc %s: %w", d.name, err)
	}
	var results []json.RawMessage
	for _, p := range payloads {
		// The OpenAPI client takes no context; checking between calls keeps
		// an interrupted replay from starting another invocation.
		if err := ctx.Err(); err != nil {
			return results, err
		}
		body, err := d.invoke(p)
		if err != nil {
			return results, err
		}
		results = append(results, body)
	}
	return results, nil
}

func (d *fcDest) invoke(payload []byte) (json.RawMessage, error) {
	params := &openapi.Params{
		Action:      dara.String("InvokeFunction"),
		Version:     dara.String(fcAPIVersion),
		Protocol:    dara.String("HTTPS"),
		Pathname:    dara.String("/" + fcAPIVersion + "/functions/" + url.PathEscape(d.name) + "/invocations"),
		Method:      dara.String("POST"),
		AuthType:    dara.String("AK"),
		Style:       dara.String("ROA"),
		ReqBodyType: dara.String("binary"),
		BodyType:    dara.String("binary"),
	}
	req := &openapi.OpenApiRequest{
		Headers: map[string]*string{
			"x-fc-invocation-type": dara.String("Sync"),
			"content-type":         dara.String("application/json"),
		},
		Stream: strings.NewReader(string(payload)),
	}
	if d.o.Qualifier != "" {
		req.Query = map[string]*string{"qualifier": dara.String(d.o.Qualifier)}
	}
	// The client's own retries would repeat a possibly half-applied batch
	// behind our back; Run decides about failures instead.
	rt := &dara.RuntimeOptions{Autoretry: dara.Bool(false)}
	res, err := d.client.CallApi(params, req, rt)
	if err != nil {
		return nil, fmt.Errorf("invoke fc %s: %w", d.name, err)
	}
	var body []byte
	if r, ok := res["body"].(io.Reader); ok {
		if body, err = io.ReadAll(io.LimitReader(r, 1<<20)); err != nil {
			return nil, fmt.Errorf("fc %s response: %w", d.name, err)
		}
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
	}
	if h, ok := res["headers"].(map[string]*string); ok {
		if t := dara.StringValue(h["x-fc-error-type"]); t != "" {
			return nil, fmt.Errorf("fc %s: %w: %s: %s", d.name, ErrFunction, t, truncate(body))
		}
	}
	if !json.Valid(body) {
		body, _ = json.Marshal(string(body))
	}
	return body, nil
}

func (d *fcDest) Close() error { return nil }
