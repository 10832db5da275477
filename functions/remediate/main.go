// Command remediate is the event-driven Lambda function: one CloudTrail
// event in, at most one precise revert and one SNS alert out. It is wiring
// only; the behaviour lives in internal/remediate.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/awsenv"
	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/lambdaenv"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

func main() {
	logger := lambdaenv.NewLogger(os.Stdout, os.Getenv)
	r, err := setup(context.Background(), logger)
	if err != nil {
		// A clear init failure: Lambda reports it and retries the cold start.
		logger.Error("init failed", "error", err.Error())
		fmt.Fprintln(os.Stderr, "sgwarden remediate:", err)
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}

// setup reads the configuration once and builds the Remediator. Every
// configuration error is returned, none panics.
func setup(ctx context.Context, logger *slog.Logger) (*remediate.Remediator, error) {
	s, err := lambdaenv.Load(os.Getenv, os.ReadFile)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Config(os.Getenv, os.ReadFile, awsenv.RetryOptions{})
	if err != nil {
		return nil, err
	}
	account, err := ownAccount(s.RoleARN)
	if err != nil {
		return nil, err
	}
	// Findings go to the function's own account and region, the only
	// ones its events can come from.
	outlets := remediate.Outlets{Events: eventbridge.NewFromConfig(cfg), EventBus: s.EventBus, Chat: chat.Channel(s.ChatChannel)}
	if s.SecurityHub {
		outlets.SecurityHub = securityhub.NewFromConfig(cfg)
	}
	r, err := remediate.New(remediate.Config{
		Engine: s.Engine,
		// Only the function's own account and region: an event of any
		// other fails closed (see docs/remediate.md).
		Clients:          remediate.ClientsFrom(awsclients.Local(cfg, account)),
		SNS:              sns.NewFromConfig(cfg, topicRegion(s.TopicARN)),
		TopicARN:         s.TopicARN,
		RoleARN:          s.RoleARN,
		PrefixListAction: s.PrefixListAction,
		Logger:           logger,
		Metrics:          os.Stdout,
		FunctionName:     os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		Outlets:          outlets,
	})
	if err != nil {
		return nil, err
	}
	logger.Info("sgwarden remediate ready", "policy", s.PolicySource, "mode", string(r.Engine().Mode()),
		"prefix_list_action", string(s.PrefixListAction), "account", account, "region", cfg.Region,
		"security_hub", s.SecurityHub, "event_bus", s.EventBus, "chat", s.ChatChannel)
	return r, nil
}

// ownAccount is the function's own account: the account of its role (the
// stack always sets it). Lambda's environment names no account.
func ownAccount(roleARN string) (string, error) {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || len(parts[4]) != 12 {
		return "", fmt.Errorf("%s: %q is not a role ARN; it names the function's own account, the only one it acts in", lambdaenv.EnvRoleARN, roleARN)
	}
	return parts[4], nil
}

// topicRegion sends the publishes to the topic's own region: in the
// organization shape a member function alerts to the central topic, which
// may live in another region than the function.
func topicRegion(topicARN string) func(*sns.Options) {
	return func(o *sns.Options) {
		if parts := strings.SplitN(topicARN, ":", 6); len(parts) == 6 && parts[3] != "" {
			o.Region = parts[3]
		}
	}
}
