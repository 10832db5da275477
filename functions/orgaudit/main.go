// Command orgaudit is the organization audit's Lambda function: one
// bootstrap serving the three steps of the Step Functions state machine
// ({"step":"list"|"audit"|"report", ...}). It is wiring only; the behaviour
// lives in internal/orgaudit.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awsclients/assume"
	"github.com/sgwarden/sgwarden/internal/awsenv"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/orgaudit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

func main() {
	logger := lambdaenv.NewLogger(os.Stdout, os.Getenv)
	steps, err := setup(logger)
	if err != nil {
		logger.Error("init failed", "error", err.Error())
		fmt.Fprintln(os.Stderr, "sgwarden orgaudit:", err)
		os.Exit(1)
	}
	lambda.Start(steps.Handle)
}

// setup reads the configuration once and builds the steps. Every problem is
// returned as an error that says what to set.
func setup(logger *slog.Logger) (*orgaudit.Steps, error) {
	s, err := lambdaenv.LoadOrg(os.Getenv, os.ReadFile)
	if err != nil {
		return nil, fmt.Errorf("sgwarden configuration: %w", err)
	}
	cfg, err := awsenv.Config(os.Getenv, os.ReadFile, awsenv.RetryOptions{})
	if err != nil {
		return nil, err
	}
	regions := s.Regions
	if len(regions) == 0 {
		regions = []string{cfg.Region}
	}
	store := orgaudit.S3Store{Client: s3.NewFromConfig(cfg), Bucket: s.ReportBucket}
	worker := &orgaudit.Worker{
		Engine: s.Engine, Read: assume.Role(cfg, s.ReadRoleName),
		MaxReverts: s.MaxReverts, Store: store, Logger: logger,
	}
	if worker.MaxReverts < 0 {
		worker.MaxReverts = audit.DefaultMaxReverts
	}
	// The revert role is assumed only where it can be used.
	if s.Engine.Mode() == policy.ModeEnforce && worker.MaxReverts > 0 {
		worker.Revert = assume.Role(cfg, s.RevertRoleName)
	}
	steps := &orgaudit.Steps{
		Org: organizations.NewFromConfig(cfg), OUs: s.OUs, Regions: regions, Worker: worker,
		Reporter: &orgaudit.Reporter{Store: store, Publisher: sns.NewFromConfig(cfg), TopicARN: s.TopicARN, Logger: logger},
	}
	logger.Info("sgwarden orgaudit ready", "policy", s.PolicySource, "mode", string(s.Engine.Mode()), "regions", regions,
		"ous", s.OUs, "read_role", s.ReadRoleName, "revert_role", s.RevertRoleName, "report_bucket", s.ReportBucket)
	return steps, nil
}
