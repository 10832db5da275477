// Command hello is the cold-start and invoke-latency baseline of make bench:
// the smallest useful aws-lambda-go function. It is built with the same flags
// as the sgwarden functions and measured the same way under the Runtime
// Interface Emulator, so that the ratio cancels the machine and the emulator.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	Message string `json:"message"`
	Bytes   int    `json:"bytes"`
}

func handle(_ context.Context, event json.RawMessage) (response, error) {
	return response{Message: "hello", Bytes: len(event)}, nil
}

func main() {
	lambda.Start(handle)
}
