package awslocal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

const (
	dlRule  = "Sgwarden-SecurityGroupChangeRule-1X2Y3Z"
	dlFn    = "Sgwarden-RemediateFunction7C4C5E7B-AbCdEf"
	dlQueue = "Sgwarden-FailedInvocationQueue5A6B7C-Q1"
)

func dlCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func dlServer(t *testing.T) (*awslocal.Server, aws.Config) {
	t.Helper()
	srv := awslocal.Start(t)
	acct := srv.Account()
	ruleARN := "arn:aws:events:us-east-1:" + acct + ":rule/" + dlRule
	err := srv.SeedDelivery("", awslocal.DeliverySpec{
		Trails: []awslocal.TrailSpec{
			{Name: "org", HomeRegion: "eu-west-1", MultiRegion: true},
			{Name: "local", ReadWriteType: "WriteOnly", Stopped: true},
			{Name: "elsewhere", HomeRegion: "eu-west-1"},
		},
		Rules: []awslocal.EventRuleSpec{
			{Name: "a-schedule", ScheduleExpression: "rate(1 day)"},
			{Name: dlRule, EventPattern: `{"source":["aws.ec2"]}`, Targets: []awslocal.EventTargetSpec{
				{ID: "remediate", ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:" + dlFn, DeadLetterARN: "arn:aws:sqs:us-east-1:" + acct + ":dlq"}}},
			{Name: "off", EventPattern: `{}`, Disabled: true, EventBus: "custom"},
		},
		Functions: []awslocal.FunctionSpec{
			{Name: dlFn, Role: "arn:aws:iam::" + acct + ":role/remediate", OnFailure: "arn:aws:sqs:us-east-1:" + acct + ":" + dlQueue,
				Permissions: []awslocal.PermissionSpec{{Sid: "InvokeFromChangeRule", Principal: "events.amazonaws.com", SourceARN: ruleARN, SourceAccount: acct}}},
			{Name: "bare"},
		},
		Queues: []awslocal.QueueSpec{{Name: dlQueue, Messages: 4}},
		Roles:  []awslocal.RoleSpec{{Name: "remediate", Allow: []string{"ec2:Revoke*", "ec2:Describe*"}, Deny: []string{"ec2:RevokeSecurityGroupEgress"}}},
		Metrics: []awslocal.MetricDatum{
			{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: map[string]string{"RuleName": dlRule}, Time: time.Now().Add(-2 * time.Hour), Value: 2},
			{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: map[string]string{"RuleName": dlRule}, Time: time.Now().Add(-time.Hour), Value: 3},
			{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: map[string]string{"RuleName": dlRule}, Time: time.Now().Add(-48 * time.Hour), Value: 100},
			{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: map[string]string{"RuleName": "other"}, Time: time.Now().Add(-time.Hour), Value: 100},
		},
	})
	if err != nil {
		t.Fatalf("SeedDelivery: %v", err)
	}
	return srv, srv.AWSConfig(context.Background())
}

func TestDeliveryCloudTrail(t *testing.T) {
	ctx := context.Background()
	_, cfg := dlServer(t)
	ct := cloudtrail.NewFromConfig(cfg)
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		t.Fatalf("DescribeTrails: %v", err)
	}
	var names []string
	for _, tr := range out.TrailList {
		names = append(names, aws.ToString(tr.Name)+"@"+aws.ToString(tr.HomeRegion))
	}
	if got := strings.Join(names, ","); got != "org@eu-west-1,local@us-east-1" {
		t.Errorf("DescribeTrails = %s, want the shadow org trail and the local one", got)
	}
	orgARN := aws.ToString(out.TrailList[0].TrailARN)
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgARN)})
	if err != nil || !aws.ToBool(st.IsLogging) {
		t.Errorf("GetTrailStatus(org) = %+v, %v, want logging", st, err)
	}
	st, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("local")})
	if err != nil || aws.ToBool(st.IsLogging) {
		t.Errorf("GetTrailStatus(local) = %+v, %v, want stopped", st, err)
	}
	sel, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("local")})
	if err != nil || len(sel.EventSelectors) != 1 || sel.EventSelectors[0].ReadWriteType != cttypes.ReadWriteTypeWriteOnly ||
		!aws.ToBool(sel.EventSelectors[0].IncludeManagementEvents) {
		t.Errorf("GetEventSelectors(local) = %+v, %v", sel, err)
	}
	_, err = ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("nope")})
	var nf *cttypes.TrailNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetTrailStatus(nope) error = %v, want TrailNotFoundException", err)
	}
}

func TestDeliveryEventBridge(t *testing.T) {
	ctx := context.Background()
	srv, cfg := dlServer(t)
	eb := eventbridge.NewFromConfig(cfg)
	rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(1)})
	if err != nil || len(rules.Rules) != 1 || aws.ToString(rules.NextToken) == "" {
		t.Fatalf("ListRules(limit 1) = %+v, %v, want one rule and a token", rules, err)
	}
	rules, err = eb.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: rules.NextToken})
	if err != nil || len(rules.Rules) != 1 || aws.ToString(rules.Rules[0].Name) != dlRule {
		t.Fatalf("ListRules(page 2) = %+v, %v", rules, err)
	}
	d, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(dlRule)})
	if err != nil {
		t.Fatalf("DescribeRule: %v", err)
	}
	if aws.ToString(d.Arn) != "arn:aws:events:us-east-1:"+srv.Account()+":rule/"+dlRule || d.State != "ENABLED" || aws.ToString(d.EventPattern) != `{"source":["aws.ec2"]}` {
		t.Errorf("DescribeRule = %+v", d)
	}
	off, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("off"), EventBusName: aws.String("custom")})
	if err != nil || off.State != "DISABLED" || !strings.HasSuffix(aws.ToString(off.Arn), ":rule/custom/off") {
		t.Errorf("DescribeRule(custom/off) = %+v, %v", off, err)
	}
	ts, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(dlRule)})
	if err != nil || len(ts.Targets) != 1 || aws.ToString(ts.Targets[0].Id) != "remediate" || ts.Targets[0].DeadLetterConfig == nil {
		t.Errorf("ListTargetsByRule = %+v, %v", ts, err)
	}
	for _, name := range []string{"missing", "off"} {
		_, err = eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		if dlCode(err) != "ResourceNotFoundException" {
			t.Errorf("DescribeRule(%s) error = %v, want ResourceNotFoundException", name, err)
		}
	}
}

func TestDeliveryLambda(t *testing.T) {
	ctx := context.Background()
	srv, cfg := dlServer(t)
	lc := lambda.NewFromConfig(cfg)
	fnARN := "arn:aws:lambda:us-east-1:" + srv.Account() + ":function:" + dlFn
	for _, name := range []string{dlFn, fnARN} {
		f, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("GetFunction(%s): %v", name, err)
		}
		if aws.ToString(f.Configuration.FunctionArn) != fnARN || f.Configuration.State != "Active" || aws.ToString(f.Configuration.Role) == "" {
			t.Errorf("GetFunction(%s) = %+v", name, f.Configuration)
		}
	}
	p, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(dlFn)})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	for _, want := range []string{`"Service":"events.amazonaws.com"`, `"AWS:SourceArn":"arn:aws:events:us-east-1:`, `"Action":"lambda:InvokeFunction"`} {
		if !strings.Contains(aws.ToString(p.Policy), want) {
			t.Errorf("GetPolicy = %s, want it to contain %s", aws.ToString(p.Policy), want)
		}
	}
	ic, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(dlFn)})
	if err != nil || !strings.HasSuffix(aws.ToString(ic.DestinationConfig.OnFailure.Destination), dlQueue) {
		t.Errorf("GetFunctionEventInvokeConfig = %+v, %v", ic, err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"GetPolicy without a policy", func() error {
			_, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("bare")})
			return err
		}},
		{"GetFunction of a missing function", func() error {
			_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
			return err
		}},
		{"GetFunction of a missing version", func() error {
			_, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(dlFn), Qualifier: aws.String("7")})
			return err
		}},
		{"no event invoke config", func() error {
			_, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("bare")})
			return err
		}},
	}
	for _, tc := range tests {
		if err := tc.call(); dlCode(err) != "ResourceNotFoundException" {
			t.Errorf("%s: error = %v, want ResourceNotFoundException", tc.name, err)
		}
	}
}

func TestDeliveryCloudWatch(t *testing.T) {
	ctx := context.Background()
	_, cfg := dlServer(t)
	cw := cloudwatch.NewFromConfig(cfg)
	end := time.Now()
	in := &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/Events"), MetricName: aws.String("FailedInvocations"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("RuleName"), Value: aws.String(dlRule)}},
		StartTime:  aws.Time(end.Add(-24 * time.Hour)), EndTime: aws.Time(end), Period: aws.Int32(1440),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticMaximum},
	}
	out, err := cw.GetMetricStatistics(ctx, in)
	if err != nil {
		t.Fatalf("GetMetricStatistics: %v", err)
	}
	sum, maxV := 0.0, 0.0
	for _, p := range out.Datapoints {
		sum += aws.ToFloat64(p.Sum)
		maxV = max(maxV, aws.ToFloat64(p.Maximum))
		if p.Timestamp == nil || p.Timestamp.Before(*in.StartTime) {
			t.Errorf("datapoint timestamp %v outside the window", p.Timestamp)
		}
	}
	if sum != 5 || maxV != 3 || aws.ToString(out.Label) != "FailedInvocations" {
		t.Errorf("GetMetricStatistics sum %v max %v label %q, want 5, 3 and FailedInvocations", sum, maxV, aws.ToString(out.Label))
	}
	in.Period = aws.Int32(60) // 1,440 datapoints is the limit: 24 h at 60 s is exactly that
	if _, err := cw.GetMetricStatistics(ctx, in); err != nil {
		t.Errorf("GetMetricStatistics at the datapoint limit: %v", err)
	}
	in.StartTime = aws.Time(end.Add(-25 * time.Hour))
	if _, err := cw.GetMetricStatistics(ctx, in); dlCode(err) != "InvalidParameterCombination" {
		t.Errorf("GetMetricStatistics over the datapoint limit: error = %v, want InvalidParameterCombination", err)
	}
	in.Period = aws.Int32(90)
	if _, err := cw.GetMetricStatistics(ctx, in); dlCode(err) != "InvalidParameterValue" {
		t.Errorf("GetMetricStatistics with period 90: error = %v, want InvalidParameterValue", err)
	}
}

func TestDeliverySQS(t *testing.T) {
	ctx := context.Background()
	_, cfg := dlServer(t)
	q := sqs.NewFromConfig(cfg)
	u, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(dlQueue)})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if err != nil || a.Attributes["ApproximateNumberOfMessages"] != "4" || len(a.Attributes) != 1 {
		t.Errorf("GetQueueAttributes = %+v, %v, want depth 4 only", a, err)
	}
	_, err = q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	if dlCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("GetQueueUrl(nope) error = %v, want AWS.SimpleQueueService.NonExistentQueue", err)
	}
	_, err = q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"Bogus"}})
	if dlCode(err) != "InvalidAttributeName" {
		t.Errorf("GetQueueAttributes(Bogus) error = %v, want InvalidAttributeName", err)
	}
}

func TestDeliveryIAM(t *testing.T) {
	ctx := context.Background()
	srv, cfg := dlServer(t)
	ic := iam.NewFromConfig(cfg)
	out, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + srv.Account() + ":role/remediate"),
		ActionNames:     []string{"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "sns:Publish"},
	})
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	var got []string
	for _, r := range out.EvaluationResults {
		got = append(got, aws.ToString(r.EvalActionName)+"="+string(r.EvalDecision))
	}
	want := "ec2:RevokeSecurityGroupIngress=allowed,ec2:RevokeSecurityGroupEgress=explicitDeny,sns:Publish=implicitDeny"
	if strings.Join(got, ",") != want {
		t.Errorf("SimulatePrincipalPolicy = %v, want %s", got, want)
	}
	_, err = ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + srv.Account() + ":role/nope"), ActionNames: []string{"ec2:RevokeSecurityGroupIngress"}})
	if dlCode(err) != "NoSuchEntity" {
		t.Errorf("SimulatePrincipalPolicy(nope) error = %v, want NoSuchEntity", err)
	}
}

func TestDeliveryFaults(t *testing.T) {
	ctx := context.Background()
	srv, cfg := dlServer(t)
	tests := []struct {
		op, code string
		call     func() error
	}{
		{"SimulatePrincipalPolicy", "AccessDenied", func() error {
			_, err := iam.NewFromConfig(cfg).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String("arn:aws:iam::" + srv.Account() + ":role/remediate"), ActionNames: []string{"ec2:RevokeSecurityGroupIngress"}})
			return err
		}},
		{"GetPolicy", "AccessDeniedException", func() error {
			_, err := lambda.NewFromConfig(cfg).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(dlFn)})
			return err
		}},
		{"DescribeTrails", "AccessDeniedException", func() error {
			_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}},
		{"GetMetricStatistics", "AccessDenied", func() error {
			_, err := cloudwatch.NewFromConfig(cfg).GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String("AWS/Events"), MetricName: aws.String("FailedInvocations"), Period: aws.Int32(60),
				StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
			return err
		}},
		{"ListRules", "AccessDeniedException", func() error {
			_, err := eventbridge.NewFromConfig(cfg).ListRules(ctx, &eventbridge.ListRulesInput{})
			return err
		}},
		{"GetQueueUrl", "AccessDenied", func() error {
			_, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(dlQueue)})
			return err
		}},
	}
	for _, tc := range tests {
		srv.Deny(tc.op)
		if err := tc.call(); dlCode(err) != tc.code {
			t.Errorf("%s denied: error = %v, want %s", tc.op, err, tc.code)
		}
		srv.ClearFaults()
	}
}

func TestSeedDeliveryRejectsBadSpecs(t *testing.T) {
	srv := awslocal.Start(t)
	tests := []struct {
		name string
		spec awslocal.DeliverySpec
	}{
		{"rule with neither pattern nor schedule", awslocal.DeliverySpec{Rules: []awslocal.EventRuleSpec{{Name: "r"}}}},
		{"rule pattern not JSON", awslocal.DeliverySpec{Rules: []awslocal.EventRuleSpec{{Name: "r", EventPattern: "{"}}}},
		{"function name with a colon", awslocal.DeliverySpec{Functions: []awslocal.FunctionSpec{{Name: "a:b"}}}},
		{"bad read/write type", awslocal.DeliverySpec{Trails: []awslocal.TrailSpec{{Name: "t", ReadWriteType: "Writes"}}}},
		{"negative depth", awslocal.DeliverySpec{Queues: []awslocal.QueueSpec{{Name: "q", Messages: -1}}}},
		{"metric without time", awslocal.DeliverySpec{Metrics: []awslocal.MetricDatum{{Namespace: "n", MetricName: "m"}}}},
	}
	for _, tc := range tests {
		if err := srv.SeedDelivery("", tc.spec); err == nil {
			t.Errorf("SeedDelivery(%s) = nil, want an error", tc.name)
		}
	}
}

func TestDeliveryFromFixture(t *testing.T) {
	f, err := awslocal.ParseFixture([]byte(`
region: eu-west-1
delivery:
  trails:
    - name: main
      multiRegion: true
  rules:
    - name: Sgwarden-SecurityGroupChangeRule-X
      eventPattern: '{"source":["aws.ec2"]}'
      disabled: true
      targets:
        - {id: remediate, arn: "arn:aws:lambda:eu-west-1:123456789012:function:fn"}
  queues:
    - {name: dlq, messages: 2}
`))
	if err != nil {
		t.Fatalf("ParseFixture: %v", err)
	}
	srv := awslocal.Start(t, awslocal.WithFixture(f))
	cfg := srv.AWSConfig(context.Background())
	cfg.Region = "eu-west-1"
	d, err := eventbridge.NewFromConfig(cfg).DescribeRule(context.Background(), &eventbridge.DescribeRuleInput{Name: aws.String("Sgwarden-SecurityGroupChangeRule-X")})
	if err != nil || d.State != "DISABLED" {
		t.Errorf("DescribeRule after a fixture = %+v, %v, want the disabled rule", d, err)
	}
	if _, err := awslocal.ParseFixture([]byte("delivery:\n  rules:\n    - name: r\n      bogus: 1\n")); err == nil {
		t.Error("ParseFixture accepted an unknown delivery field")
	}
	bad, _ := awslocal.ParseFixture([]byte("delivery:\n  rules:\n    - name: r\n"))
	if _, err := awslocal.New(awslocal.WithFixture(bad)); err == nil || !strings.Contains(err.Error(), "delivery rules[0]") {
		t.Errorf("New with a rule lacking a pattern: error = %v, want delivery rules[0]", err)
	}
}
