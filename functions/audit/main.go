// Command audit is the scheduled Lambda function: a full scan of every
// configured region, reverts in enforce mode (bounded per run), one summary
// to SNS and the full report to the log and S3. It is wiring only; the
// behaviour lives in internal/audit.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awsenv"
	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
)

// result is the function's response: the run's identity and counts. The
// full report goes to the log and S3.
type result struct {
	RunID    string       `json:"runId"`
	Complete bool         `json:"complete"`
	Counts   audit.Counts `json:"counts"`
}

func main() {
	logger := lambdaenv.NewLogger(os.Stdout, os.Getenv)
	a, err := setup(context.Background(), logger)
	if err != nil {
		logger.Error("init failed", "error", err.Error())
		fmt.Fprintln(os.Stderr, "sgwarden audit:", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context) (*result, error) {
		rep, err := a.Run(ctx)
		if rep == nil {
			return nil, err
		}
		defer rep.Close()
		return &result{RunID: rep.RunID, Complete: rep.Complete, Counts: rep.Counts}, err
	})
}

// setup reads the configuration once and builds the auditor. Every problem
// is returned as an error that says what to set.
func setup(ctx context.Context, logger *slog.Logger) (*audit.Auditor, error) {
	s, err := lambdaenv.Load(os.Getenv, os.ReadFile)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Config(os.Getenv, os.ReadFile, awsenv.RetryOptions{})
	if err != nil {
		return nil, err
	}
	regions := s.Regions
	if len(regions) == 0 {
		regions = []string{cfg.Region} // the function's own region (awsenv requires AWS_REGION)
	}
	clients := audit.NewClients(cfg, regions)
	opts := []audit.Option{
		audit.WithRegions(regions...),
		audit.WithLogger(logger),
		// A region's exposures wait in /tmp for the report, not in memory.
		audit.WithExposureSpool(""),
		audit.WithPublisher(sns.NewFromConfig(cfg), s.TopicARN),
		audit.WithReverter(audit.RemediateReverter(clients.Revoker, logger)),
	}
	if s.MaxReverts >= 0 {
		opts = append(opts, audit.WithMaxReverts(s.MaxReverts))
	}
	opts = append(opts, audit.WithEvents(eventbridge.NewFromConfig(cfg), s.EventBus))
	opts = append(opts, audit.WithChat(chat.Channel(s.ChatChannel)))
	if s.SecurityHub {
		opts = append(opts, audit.WithSecurityHub(audit.SecurityHubClients(cfg, regions)))
	}
	if s.ReportBucket != "" { // optional: without it the report goes to the log only
		opts = append(opts, audit.WithReportStore(s3.NewFromConfig(cfg), s.ReportBucket, s.ReportPrefix))
	}
	a, err := audit.New(s.Engine, clients.EC2, opts...)
	if err != nil {
		return nil, err
	}
	logger.Info("sgwarden audit ready", "policy", s.PolicySource, "mode", string(a.Mode()), "regions", regions, "report_bucket", s.ReportBucket,
		"security_hub", s.SecurityHub, "event_bus", s.EventBus)
	return a, nil
}
