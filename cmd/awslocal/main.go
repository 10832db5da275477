// Command awslocal runs the emulated AWS account as a standalone server:
//
//	go run ./cmd/awslocal --addr 127.0.0.1:4566 --fixture events/account.yaml
//
// It prints its URL; point SDK clients at it with AWS_ENDPOINT_URL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "awslocal:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("awslocal", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4566", "listen address")
	fixture := fs.String("fixture", "", "YAML or JSON fixture to seed")
	account := fs.String("account", "", "account ID (default: the fixture's, else "+awslocal.DefaultAccount+")")
	region := fs.String("region", "", "default region (default: the fixture's, else "+awslocal.DefaultRegion+")")
	pageSize := fs.Int("page-size", 0, "page size for Describe calls without MaxResults (0: everything, as AWS)")
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
	fmt.Println(srv.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := srv.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
