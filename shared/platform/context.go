package platform

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

type invocationKey struct{}

// Invocation describes the current invocation to a handler that wants to know
// (for logging, or to shape its response for the platform).
type Invocation struct {
	Platform  Kind
	RequestID string
}

// WithInvocation returns ctx carrying inv.
func WithInvocation(ctx context.Context, inv Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// FromContext returns the invocation ctx carries. On Lambda the request id
// comes from aws-lambda-go's context, which the adapter cannot set itself.
func FromContext(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	if lc, lok := lambdacontext.FromContext(ctx); lok {
		if inv.RequestID == "" {
			inv.RequestID = lc.AwsRequestID
		}
		if inv.Platform == "" {
			inv.Platform = AWS
		}
		ok = true
	}
	return inv, ok
}
