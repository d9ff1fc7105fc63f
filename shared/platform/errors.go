package platform

import (
	"context"
	"errors"
	"fmt"
)

// ErrorResponse is the failure body both platforms use: Lambda's
// {"errorMessage", "errorType"} shape, which Function Compute shows the same
// way for custom runtimes. Local invoke returns it as the error.
type ErrorResponse struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *ErrorResponse) Error() string { return e.Type + ": " + e.Message }

// Error types the adapters assign themselves. Handler errors may name their
// own type by implementing interface{ ErrorType() string }.
const (
	TypeFunctionError   = "FunctionError"
	TypeInitError       = "InitError"
	TypeDeadline        = "DeadlineExceeded"
	TypeCanceled        = "Canceled"
	TypePayloadTooLarge = "PayloadTooLarge"
	TypeBadRequest      = "BadRequest"
	TypeResultEncoding  = "ResultEncodingError"
	TypePanic           = "Panic"
)

// ErrPayloadTooLarge is returned when an event body exceeds MaxPayloadBytes.
var ErrPayloadTooLarge = errors.New("event payload too large")

// MaxPayloadBytes caps an FC event body: 32 MiB is Function Compute's own
// limit for synchronous invocations, so anything larger did not come from FC
// and would only exhaust the instance's memory.
const MaxPayloadBytes = 32 << 20

// typedError is implemented by errors that name their category: the
// sentinels of shared/errtype, which the functions' packages declare.
type typedError interface{ ErrorType() string }

// fallbackTypedError names a category that counts only when nothing more
// specific in the chain names one (errtype.Fallback).
type fallbackTypedError interface{ FallbackErrorType() string }

// toErrorResponse turns a handler error into the platform failure body.
func toErrorResponse(err error) *ErrorResponse {
	var er *ErrorResponse
	if errors.As(err, &er) {
		return er
	}
	return &ErrorResponse{Message: err.Error(), Type: errorType(err)}
}

// errorType is the one place a failure becomes its errorType: the first
// typed error in err's chain (in errors.As order, so the outermost sentinel
// a package wrapped wins), then the adapters' own cases, then a fallback
// type, and FunctionError only for an error nothing classifies.
func errorType(err error) string {
	var te typedError
	var fe fallbackTypedError
	switch {
	case errors.As(err, &te) && te.ErrorType() != "":
		return te.ErrorType()
	case errors.Is(err, ErrPayloadTooLarge):
		return TypePayloadTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return TypeDeadline
	case errors.Is(err, context.Canceled):
		return TypeCanceled
	case errors.As(err, &fe) && fe.FallbackErrorType() != "":
		return fe.FallbackErrorType()
	}
	return TypeFunctionError
}

// panicError carries a recovered panic so that one bad invocation answers
// with an error instead of taking the whole instance down mid-batch.
type panicError struct{ value any }

func (p panicError) Error() string     { return fmt.Sprintf("handler panicked: %v", p.value) }
func (p panicError) ErrorType() string { return TypePanic }

// call runs h, converting a panic into an error.
func call(ctx context.Context, h Handler, payload []byte) (res any, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, panicError{v}
		}
	}()
	return h(ctx, payload)
}
