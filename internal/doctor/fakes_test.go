package doctor

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	sgct "github.com/sgwarden/sgwarden/internal/cloudtrail"
)

// Function-type fakes: each method calls its field.

type fakeEvents struct {
	listRules    func(*eventbridge.ListRulesInput) (*eventbridge.ListRulesOutput, error)
	describeRule func(*eventbridge.DescribeRuleInput) (*eventbridge.DescribeRuleOutput, error)
	listTargets  func(*eventbridge.ListTargetsByRuleInput) (*eventbridge.ListTargetsByRuleOutput, error)
}

func (f fakeEvents) ListRules(_ context.Context, in *eventbridge.ListRulesInput, _ ...func(*eventbridge.Options)) (*eventbridge.ListRulesOutput, error) {
	return f.listRules(in)
}
func (f fakeEvents) DescribeRule(_ context.Context, in *eventbridge.DescribeRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	return f.describeRule(in)
}
func (f fakeEvents) ListTargetsByRule(_ context.Context, in *eventbridge.ListTargetsByRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	return f.listTargets(in)
}

type fakeLambda struct {
	getFunction  func(*lambda.GetFunctionInput) (*lambda.GetFunctionOutput, error)
	getPolicy    func(*lambda.GetPolicyInput) (*lambda.GetPolicyOutput, error)
	invokeConfig func(*lambda.GetFunctionEventInvokeConfigInput) (*lambda.GetFunctionEventInvokeConfigOutput, error)
}

func (f fakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return f.getFunction(in)
}
func (f fakeLambda) GetPolicy(_ context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	return f.getPolicy(in)
}
func (f fakeLambda) GetFunctionEventInvokeConfig(_ context.Context, in *lambda.GetFunctionEventInvokeConfigInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionEventInvokeConfigOutput, error) {
	return f.invokeConfig(in)
}

type fakeTrail struct {
	describe  func(*cloudtrail.DescribeTrailsInput) (*cloudtrail.DescribeTrailsOutput, error)
	status    func(*cloudtrail.GetTrailStatusInput) (*cloudtrail.GetTrailStatusOutput, error)
	selectors func(*cloudtrail.GetEventSelectorsInput) (*cloudtrail.GetEventSelectorsOutput, error)
}

func (f fakeTrail) DescribeTrails(_ context.Context, in *cloudtrail.DescribeTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return f.describe(in)
}
func (f fakeTrail) GetTrailStatus(_ context.Context, in *cloudtrail.GetTrailStatusInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	return f.status(in)
}
func (f fakeTrail) GetEventSelectors(_ context.Context, in *cloudtrail.GetEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	return f.selectors(in)
}

type fakeMetrics func(*cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error)

func (f fakeMetrics) GetMetricStatistics(_ context.Context, in *cloudwatch.GetMetricStatisticsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error) {
	return f(in)
}

type fakeQueue struct {
	url   func(*sqs.GetQueueUrlInput) (*sqs.GetQueueUrlOutput, error)
	attrs func(*sqs.GetQueueAttributesInput) (*sqs.GetQueueAttributesOutput, error)
}

func (f fakeQueue) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return f.url(in)
}
func (f fakeQueue) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return f.attrs(in)
}

type fakeIAM func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error)

func (f fakeIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	return f(in)
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
	testRule    = "sgwarden-RemediateRule"
	testRuleARN = "arn:aws:events:us-east-1:123456789012:rule/sgwarden-RemediateRule"
	testFn      = "sgwarden-remediate"
	testFnARN   = "arn:aws:lambda:us-east-1:123456789012:function:sgwarden-remediate"
	testRole    = "arn:aws:iam::123456789012:role/sgwarden-remediate"
	testDLQ     = "arn:aws:sqs:us-east-1:123456789012:sgwarden-dlq"
)

// stackPattern is the pattern the stack deploys.
func stackPattern(names []string) string {
	p := map[string]any{
		"source":      []string{"aws.ec2"},
		"detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []string{"ec2.amazonaws.com"},
			"eventName":   names,
			"errorCode":   []any{map[string]bool{"exists": false}},
		},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func invokePolicy(sourceARN string) string {
	st := map[string]any{
		"Sid": "AllowEventBridge", "Effect": "Allow",
		"Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Action":    "lambda:InvokeFunction", "Resource": testFnARN,
	}
	if sourceARN != "" {
		st["Condition"] = map[string]any{"ArnLike": map[string]any{"AWS:SourceArn": sourceARN}}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": []any{st}})
	return string(b)
}

// world is the state of a fake account; fakes read it.
type world struct {
	trails      []cttypes.Trail
	logging     bool
	selectors   []cttypes.EventSelector
	rules       []ebtypes.Rule
	state       ebtypes.RuleState
	pattern     string
	targets     []ebtypes.Target
	fnExists    bool
	policy      string // "" = no policy
	onFailure   string
	depth       int
	metrics     map[string]float64 // namespace/metric -> sum
	decisions   map[string]iamtypes.PolicyEvaluationDecisionType
	simulateErr error
}

func healthy() *world {
	return &world{
		trails: []cttypes.Trail{{Name: aws.String("main"), TrailARN: aws.String("arn:aws:cloudtrail:us-east-1:123456789012:trail/main"),
			HomeRegion: aws.String("eu-west-1"), IsMultiRegionTrail: aws.Bool(true)}},
		logging:   true,
		selectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true)}},
		rules: []ebtypes.Rule{
			{Name: aws.String("other-rule"), EventPattern: aws.String(`{"source":["aws.s3"]}`)},
			{Name: aws.String("sgwarden-AuditSchedule"), ScheduleExpression: aws.String("rate(1 day)")},
			{Name: aws.String(testRule), EventPattern: aws.String("x")},
		},
		state:     ebtypes.RuleStateEnabled,
		pattern:   stackPattern(sgct.SupportedEventNames),
		targets:   []ebtypes.Target{{Id: aws.String("remediate"), Arn: aws.String(testFnARN)}},
		fnExists:  true,
		policy:    invokePolicy(testRuleARN),
		onFailure: testDLQ,
		metrics:   map[string]float64{},
		decisions: map[string]iamtypes.PolicyEvaluationDecisionType{},
	}
}

func (w *world) clients() Clients {
	return Clients{
		Events: fakeEvents{
			listRules: func(*eventbridge.ListRulesInput) (*eventbridge.ListRulesOutput, error) {
				return &eventbridge.ListRulesOutput{Rules: w.rules}, nil
			},
			describeRule: func(in *eventbridge.DescribeRuleInput) (*eventbridge.DescribeRuleOutput, error) {
				if aws.ToString(in.Name) != testRule {
					return nil, apiErr("ResourceNotFoundException")
				}
				return &eventbridge.DescribeRuleOutput{Name: aws.String(testRule), Arn: aws.String(testRuleARN),
					EventPattern: aws.String(w.pattern), State: w.state}, nil
			},
			listTargets: func(in *eventbridge.ListTargetsByRuleInput) (*eventbridge.ListTargetsByRuleOutput, error) {
				if aws.ToString(in.Rule) != testRule {
					return &eventbridge.ListTargetsByRuleOutput{Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")}}}, nil
				}
				return &eventbridge.ListTargetsByRuleOutput{Targets: w.targets}, nil
			},
		},
		Lambda: fakeLambda{
			getFunction: func(in *lambda.GetFunctionInput) (*lambda.GetFunctionOutput, error) {
				if !w.fnExists || aws.ToString(in.FunctionName) != testFn {
					return nil, apiErr("ResourceNotFoundException")
				}
				return &lambda.GetFunctionOutput{Configuration: &lambdatypes.FunctionConfiguration{
					FunctionName: aws.String(testFn), FunctionArn: aws.String(testFnARN), Role: aws.String(testRole), State: lambdatypes.StateActive}}, nil
			},
			getPolicy: func(*lambda.GetPolicyInput) (*lambda.GetPolicyOutput, error) {
				if w.policy == "" {
					return nil, apiErr("ResourceNotFoundException")
				}
				return &lambda.GetPolicyOutput{Policy: aws.String(w.policy)}, nil
			},
			invokeConfig: func(*lambda.GetFunctionEventInvokeConfigInput) (*lambda.GetFunctionEventInvokeConfigOutput, error) {
				if w.onFailure == "" {
					return nil, apiErr("ResourceNotFoundException")
				}
				return &lambda.GetFunctionEventInvokeConfigOutput{DestinationConfig: &lambdatypes.DestinationConfig{
					OnFailure: &lambdatypes.OnFailure{Destination: aws.String(w.onFailure)}}}, nil
			},
		},
		CloudTrail: fakeTrail{
			describe: func(*cloudtrail.DescribeTrailsInput) (*cloudtrail.DescribeTrailsOutput, error) {
				return &cloudtrail.DescribeTrailsOutput{TrailList: w.trails}, nil
			},
			status: func(*cloudtrail.GetTrailStatusInput) (*cloudtrail.GetTrailStatusOutput, error) {
				return &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(w.logging)}, nil
			},
			selectors: func(*cloudtrail.GetEventSelectorsInput) (*cloudtrail.GetEventSelectorsOutput, error) {
				return &cloudtrail.GetEventSelectorsOutput{EventSelectors: w.selectors}, nil
			},
		},
		Metrics: fakeMetrics(func(in *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
			sum := w.metrics[aws.ToString(in.Namespace)+"/"+aws.ToString(in.MetricName)]
			if sum == 0 {
				return &cloudwatch.GetMetricStatisticsOutput{}, nil
			}
			return &cloudwatch.GetMetricStatisticsOutput{Datapoints: []cwtypes.Datapoint{{Sum: aws.Float64(sum - 1)}, {Sum: aws.Float64(1)}}}, nil
		}),
		Queue: fakeQueue{
			url: func(in *sqs.GetQueueUrlInput) (*sqs.GetQueueUrlOutput, error) {
				return &sqs.GetQueueUrlOutput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/" + aws.ToString(in.QueueOwnerAWSAccountId) + "/" + aws.ToString(in.QueueName))}, nil
			},
			attrs: func(*sqs.GetQueueAttributesInput) (*sqs.GetQueueAttributesOutput, error) {
				return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"ApproximateNumberOfMessages": strconv.Itoa(w.depth)}}, nil
			},
		},
		IAM: fakeIAM(func(in *iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
			if w.simulateErr != nil {
				return nil, w.simulateErr
			}
			out := &iam.SimulatePrincipalPolicyOutput{}
			for _, a := range in.ActionNames {
				dec, ok := w.decisions[a]
				if !ok {
					dec = iamtypes.PolicyEvaluationDecisionTypeAllowed
				}
				out.EvaluationResults = append(out.EvaluationResults, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: dec})
			}
			return out, nil
		}),
	}
}
