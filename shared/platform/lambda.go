package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// lambdaHandler adapts a Handler to aws-lambda-go's byte-level Handler
// interface, which skips the library's reflection and lets us choose the
// errorType Lambda records.
type lambdaHandler struct {
	h   Handler
	log *slog.Logger
}

func (l lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := call(ctx, l.h, payload)
	if err != nil {
		er := toErrorResponse(err)
		inv, _ := FromContext(ctx)
		l.log.ErrorContext(ctx, "invocation failed", "request_id", inv.RequestID, "error_type", er.Type, "error", er.Message)
		// aws-lambda-go passes an InvokeResponse_Error value through as is;
		// any other error would be typed by its Go type name (e.g. wrapError).
		return nil, messages.InvokeResponse_Error{Message: er.Message, Type: er.Type}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, messages.InvokeResponse_Error{Message: fmt.Sprintf("encoding the result as JSON: %v", err), Type: TypeResultEncoding}
	}
	return b, nil
}

// serveLambda runs the Runtime API loop. It returns only when the function
// could not start: aws-lambda-go's loop ends the process itself when the
// Runtime API goes away.
func serveLambda(ctx context.Context, api string, h Handler, openErr error, log *slog.Logger) error {
	if openErr != nil {
		if err := reportInitError(ctx, api, openErr); err != nil {
			return fmt.Errorf("%w (and reporting it to the Runtime API failed: %v)", openErr, err)
		}
		return openErr
	}
	base := WithInvocation(ctx, Invocation{Platform: AWS})
	lambda.StartWithOptions(lambdaHandler{h: h, log: log}, lambda.WithContext(base))
	return fmt.Errorf("lambda runtime loop returned")
}

// initErrorTimeout bounds the one init-error request; the Runtime API answers
// at once, and a hung call would hide the error behind Lambda's init timeout.
const initErrorTimeout = 5 * time.Second

// reportInitError posts the start-up failure to the Runtime API, so that
// Lambda shows the reason (every configuration problem) as the init error of
// the invocation instead of a bare "Runtime exited with error".
// aws-lambda-go has no API for this, hence the direct call.
func reportInitError(ctx context.Context, api string, cause error) error {
	er := toErrorResponse(cause)
	if er.Type == TypeFunctionError {
		er = &ErrorResponse{Message: er.Message, Type: TypeInitError}
	}
	body, err := json.Marshal(er)
	if err != nil {
		return fmt.Errorf("encoding init error: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, initErrorTimeout)
	defer cancel()
	url := "http://" + api + "/2018-06-01/runtime/init/error"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building init error request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", er.Type)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("posting init error to %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("posting init error to %s: unexpected status %d", url, resp.StatusCode)
	}
	return nil
}
