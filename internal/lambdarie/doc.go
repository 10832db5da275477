// Package lambdarie runs a Lambda bootstrap locally under the AWS Lambda
// Runtime Interface Emulator (RIE), for the end-to-end tests and the
// benchmark harness (cmd/sgwarden-bench).
//
// The RIE is a Go tool of the module (go.mod's tool directive, RIEPackage);
// build it with `go build -o DIR/aws-lambda-rie` RIEPackage. Build the
// function for the host with BuildFlags, GOOS/GOARCH native and
// CGO_ENABLED=0, as `make build` does for linux/arm64.
//
//	p, err := lambdarie.Start(ctx, rie, bootstrap, env)
//	defer p.Stop()
//	body, elapsed, err := p.Invoke(ctx, payload)
//
// The RIE execs the bootstrap on the first invoke, not when it starts, so
// the first Invoke includes the cold start. The environment given to Start
// is all the function sees, apart from PATH, HOME and TZ.
package lambdarie
