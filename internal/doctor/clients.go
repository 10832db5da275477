package doctor

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// EventsAPI is the EventBridge subset doctor reads. *eventbridge.Client
// satisfies it.
type EventsAPI interface {
	ListRules(context.Context, *eventbridge.ListRulesInput, ...func(*eventbridge.Options)) (*eventbridge.ListRulesOutput, error)
	DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// LambdaAPI is the Lambda subset doctor reads. *lambda.Client satisfies it.
type LambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
	GetFunctionEventInvokeConfig(context.Context, *lambda.GetFunctionEventInvokeConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error)
}

// CloudTrailAPI is the CloudTrail subset doctor reads. *cloudtrail.Client
// satisfies it.
type CloudTrailAPI interface {
	DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// MetricsAPI is the CloudWatch subset doctor reads. *cloudwatch.Client
// satisfies it.
type MetricsAPI interface {
	GetMetricStatistics(context.Context, *cloudwatch.GetMetricStatisticsInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
}

// QueueAPI is the SQS subset doctor reads. *sqs.Client satisfies it.
type QueueAPI interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// IAMAPI is the IAM subset doctor reads. *iam.Client satisfies it.
type IAMAPI interface {
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// Clients holds one client per service. All are required.
type Clients struct {
	Events     EventsAPI
	Lambda     LambdaAPI
	CloudTrail CloudTrailAPI
	Metrics    MetricsAPI
	Queue      QueueAPI
	IAM        IAMAPI
}

// NewClients builds the SDK clients from one configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		Events:     eventbridge.NewFromConfig(cfg),
		Lambda:     lambda.NewFromConfig(cfg),
		CloudTrail: cloudtrail.NewFromConfig(cfg),
		Metrics:    cloudwatch.NewFromConfig(cfg),
		Queue:      sqs.NewFromConfig(cfg),
		IAM:        iam.NewFromConfig(cfg),
	}
}

func (c Clients) validate() error {
	if c.Events == nil || c.Lambda == nil || c.CloudTrail == nil || c.Metrics == nil || c.Queue == nil || c.IAM == nil {
		return errors.New("doctor: every client must be set")
	}
	return nil
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

var notFoundCodes = []string{
	"ResourceNotFoundException", "TrailNotFoundException", "NoSuchEntity",
	"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
}

var accessDeniedCodes = []string{
	"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
	"AuthorizationError", "UnauthorizedException",
}

func isNotFound(err error) bool     { return slices.Contains(notFoundCodes, errorCode(err)) }
func isAccessDenied(err error) bool { return slices.Contains(accessDeniedCodes, errorCode(err)) }
