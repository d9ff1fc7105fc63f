package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// LocalRequestID is the request id local invocations carry.
const LocalRequestID = "local-invoke"

// Invoke runs h once in-process through the same adapter code the platform
// kind uses in production (JSON encoding, error typing, FC's size cap and
// deadline header) and returns the response body. A failed invocation
// returns an *ErrorResponse. marks receives FC's invocation marker lines.
func Invoke(ctx context.Context, kind Kind, h Handler, payload []byte, timeout time.Duration, log *slog.Logger, marks io.Writer) ([]byte, error) {
	switch kind {
	case AWS:
		return invokeLambda(ctx, h, payload, timeout, log)
	case FC:
		return invokeFC(ctx, h, payload, timeout, log, marks)
	}
	return nil, fmt.Errorf("invoke: unknown platform %q", kind)
}

func invokeLambda(ctx context.Context, h Handler, payload []byte, timeout time.Duration, log *slog.Logger) ([]byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: LocalRequestID})
	ctx = WithInvocation(ctx, Invocation{Platform: AWS, RequestID: LocalRequestID})
	body, err := lambdaHandler{h: h, log: log}.Invoke(ctx, payload)
	var ie messages.InvokeResponse_Error
	if errors.As(err, &ie) {
		return nil, &ErrorResponse{Message: ie.Message, Type: ie.Type}
	}
	return body, err
}

func invokeFC(ctx context.Context, h Handler, payload []byte, timeout time.Duration, log *slog.Logger, marks io.Writer) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/invoke", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("building the local FC request: %w", err)
	}
	req.Header.Set(HeaderFCRequestID, LocalRequestID)
	if timeout > 0 {
		// FC's header has whole seconds; round up so a short timeout is not 0 (none).
		req.Header.Set(HeaderFCTimeout, strconv.FormatInt(int64((timeout+time.Second-1)/time.Second), 10))
	}
	rec := &recorder{header: http.Header{}}
	NewFCServer(h, nil, log, marks, 0).ServeHTTP(rec, req)
	if rec.status == http.StatusOK {
		return rec.body.Bytes(), nil
	}
	er := &ErrorResponse{}
	if err := json.Unmarshal(rec.body.Bytes(), er); err != nil {
		return nil, fmt.Errorf("FC adapter answered %d with an unreadable body: %w", rec.status, err)
	}
	return nil, er
}

// recorder is the minimal in-memory http.ResponseWriter local invoke needs.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
