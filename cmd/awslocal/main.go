// Command awslocal runs the emulated AWS account as a standalone server:
//
//	go run ./cmd/awslocal --addr 127.0.0.1:4566 --fixture internal/awslocal/testdata/account.yaml
//
// It prints its URL; point SDK clients at it with AWS_ENDPOINT_URL, and
// drive its faults, call record and seeding under /_awslocal/
// (docs/awslocal.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "awslocal:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; it writes the server's URL to out as its
// first line once the listener is open.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("awslocal", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4566", "listen address")
	fixture := fs.String("fixture", "", "YAML or JSON fixture to seed")
	account := fs.String("account", "", "account ID (default: the fixture's, else "+awslocal.DefaultAccount+")")
	region := fs.String("region", "", "default region (default: the fixture's, else "+awslocal.DefaultRegion+")")
	pageSize := fs.Int("page-size", 0, "page size for Describe calls without MaxResults (0: everything, as AWS)")
	callLimit := fs.Int("call-limit", 100000, "calls kept in the call record (the oldest half is dropped at the limit)")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts []awslocal.Option
	if *fixture != "" {
		f, err := awslocal.LoadFixture(*fixture)
		if err != nil {
			return err
		}
		if *account == "" {
			*account = f.Account
		}
		if *region == "" {
			*region = f.Region
		}
		opts = append(opts, awslocal.WithFixture(f))
	}
	if *account != "" {
		opts = append(opts, awslocal.WithAccount(*account))
	}
	if *region != "" {
		opts = append(opts, awslocal.WithRegion(*region))
	}
	if *pageSize > 0 {
		opts = append(opts, awslocal.WithDefaultPageSize(*pageSize))
	}
	opts = append(opts, awslocal.WithCallLimit(*callLimit))
	if *verbose {
		opts = append(opts, awslocal.WithLogf(log.Printf))
	}
	srv, err := awslocal.New(opts...)
	if err != nil {
		return err
	}
	if err := srv.Listen(*addr); err != nil {
		return err
	}
	fmt.Fprintln(out, srv.URL())
	<-ctx.Done()
	if err := srv.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
