// Command hello is the smallest aws-lambda-go function: the reference the
// start-to-ready benchmark holds kafka-es-sink's bootstrap against, built
// the same way (lambda.norpc, -trimpath, stripped).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, event json.RawMessage) (string, error) {
		return "hello", nil
	})
}
