package doctor

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// RevokeActions are the actions the role check simulates. Which of them
// the role must be allowed depends on the function's mode (requiredActions):
// the stack grants revokes only in enforce mode, and an egress revoke only
// when the policy reverts egress rules.
var RevokeActions = []string{
	"ec2:RevokeSecurityGroupIngress",
	"ec2:RevokeSecurityGroupEgress",
	"ec2:DescribeSecurityGroupRules",
}

// requiredActions are the RevokeActions a role of a function in mode must
// be allowed. An unknown mode is held to enforce.
func requiredActions(mode string) []string {
	if mode == "dry-run" {
		return []string{"ec2:DescribeSecurityGroupRules"}
	}
	return []string{"ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules"}
}

type run struct {
	cl  Clients
	cfg Config
	rep *Report

	ruleFound   bool
	pattern     string
	targets     []ebtypes.Target
	targetsRead bool
	target      *ebtypes.Target
	fnName      string // name or ARN to address the function with
	qualifier   string
	fn          *lambdatypes.FunctionConfiguration
	permFailed  bool
}

// ---- trail ----

func (d *run) checkTrail(ctx context.Context) {
	out, err := d.cl.CloudTrail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		if isAccessDenied(err) {
			d.skip(CheckTrail, "cannot list trails: "+errorCode(err))
			return
		}
		d.callFailed(CheckTrail, "cloudtrail:DescribeTrails", fmt.Sprintf("describe trails: %v", err))
		return
	}
	var problems []string
	fix := ""
	seen := 0
	for _, t := range out.TrailList {
		if aws.ToString(t.HomeRegion) != d.cfg.Region && !aws.ToBool(t.IsMultiRegionTrail) {
			continue
		}
		seen++
		id := aws.ToString(t.TrailARN)
		if id == "" {
			id = aws.ToString(t.Name)
		}
		name := aws.ToString(t.Name)
		st, err := d.cl.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(id)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("trail %q: status unknown (%s)", name, codeOr(err)))
			continue
		}
		if !aws.ToBool(st.IsLogging) {
			problems = append(problems, fmt.Sprintf("trail %q is not logging", name))
			if fix == "" {
				fix = fmt.Sprintf("aws cloudtrail start-logging --name %s", id)
			}
			continue
		}
		sel, err := d.cl.CloudTrail.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(id)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("trail %q: event selectors unknown (%s)", name, codeOr(err)))
			continue
		}
		if !logsEC2Writes(sel) {
			problems = append(problems, fmt.Sprintf("trail %q does not log write management events of ec2", name))
			if fix == "" {
				fix = fmt.Sprintf(`aws cloudtrail put-event-selectors --trail-name %s --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`, id)
			}
			continue
		}
		scope := "home region"
		if aws.ToBool(t.IsMultiRegionTrail) {
			scope = "multi-region"
		}
		d.add(CheckTrail, StatusPass, fmt.Sprintf("trail %q logs write management events (%s)", name, scope), "")
		return
	}
	if seen == 0 {
		d.add(CheckTrail, StatusFail,
			fmt.Sprintf("no trail logs %s: EventBridge receives no API calls, nothing is remediated", d.cfg.Region),
			"create a multi-region trail (cdk deploy -c createTrail=true, or aws cloudtrail create-trail --name sgwarden --s3-bucket-name BUCKET --is-multi-region-trail && aws cloudtrail start-logging --name sgwarden)")
		return
	}
	if fix == "" {
		fix = callFix("cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors")
	}
	d.add(CheckTrail, StatusFail, strings.Join(problems, "; "), fix)
}

// callFailed reports a check that failed because doctor's own call did.
func (d *run) callFailed(id, action, detail string) { d.add(id, StatusFail, detail, callFix(action)) }

func callFix(action string) string {
	return "doctor could not read this: check the network and the credentials, and that they allow " + action + " (docs/doctor.md lists the permissions doctor needs)"
}

func codeOr(err error) string {
	if c := errorCode(err); c != "" {
		return c
	}
	return err.Error()
}

// logsEC2Writes reports whether a trail's selectors record write
// management events from ec2.amazonaws.com.
func logsEC2Writes(out *cloudtrail.GetEventSelectorsOutput) bool {
	for _, s := range out.EventSelectors {
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			continue
		}
		if s.ReadWriteType == cttypes.ReadWriteTypeReadOnly {
			continue
		}
		if slices.Contains(s.ExcludeManagementEventSources, "ec2.amazonaws.com") {
			continue
		}
		return true
	}
	for _, a := range out.AdvancedEventSelectors {
		if advancedLogsEC2Writes(a.FieldSelectors) {
			return true
		}
	}
	return false
}

func advancedLogsEC2Writes(fs []cttypes.AdvancedFieldSelector) bool {
	management := false
	for _, f := range fs {
		switch aws.ToString(f.Field) {
		case "eventCategory":
			management = slices.Contains(f.Equals, "Management")
		case "readOnly":
			if (len(f.Equals) > 0 && !slices.Contains(f.Equals, "false")) || slices.Contains(f.NotEquals, "false") {
				return false
			}
		case "eventSource":
			if (len(f.Equals) > 0 && !slices.Contains(f.Equals, "ec2.amazonaws.com")) || slices.Contains(f.NotEquals, "ec2.amazonaws.com") {
				return false
			}
		}
	}
	return management
}

// ---- rule ----

func (d *run) checkRule(ctx context.Context) {
	if d.cfg.Rule == "" {
		if !d.discover(ctx) {
			return
		}
	}
	out, err := d.cl.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(d.cfg.Rule), EventBusName: aws.String(d.cfg.EventBus)})
	if err != nil {
		if isNotFound(err) {
			d.add(CheckRule, StatusFail, fmt.Sprintf("rule %q not found on event bus %q", d.cfg.Rule, d.cfg.EventBus),
				"deploy the stack (make deploy), or pass the right --rule / --event-bus")
			return
		}
		d.callFailed(CheckRule, "events:DescribeRule", fmt.Sprintf("describe rule %s: %v", d.cfg.Rule, err))
		return
	}
	d.ruleFound = true
	d.rep.Rule = aws.ToString(out.Name)
	d.rep.RuleARN = aws.ToString(out.Arn)
	if p := arnParts(d.rep.RuleARN); p != nil {
		d.rep.Account = p[4]
	}
	d.pattern = aws.ToString(out.EventPattern)
	switch out.State {
	case ebtypes.RuleStateEnabled, ebtypes.RuleStateEnabledWithAllCloudtrailManagementEvents:
		d.add(CheckRule, StatusPass, fmt.Sprintf("rule %q is %s", d.rep.Rule, out.State), "")
	default:
		d.add(CheckRule, StatusFail, fmt.Sprintf("rule %q is %s: no event reaches the function", d.rep.Rule, out.State),
			fmt.Sprintf("aws events enable-rule --name %s --event-bus-name %s", d.rep.Rule, d.cfg.EventBus))
	}
}

// discover finds the rule: the first one with an event pattern and a
// Lambda target whose name matches. It reports a failed rule check and
// returns false when there is none.
func (d *run) discover(ctx context.Context) bool {
	var token *string
	var candidates []string
	for {
		in := &eventbridge.ListRulesInput{EventBusName: aws.String(d.cfg.EventBus), NextToken: token}
		if d.cfg.Stack != "" {
			in.NamePrefix = aws.String(d.cfg.Stack + stackRuleID)
		}
		out, err := d.cl.Events.ListRules(ctx, in)
		if err != nil {
			d.callFailed(CheckRule, "events:ListRules", fmt.Sprintf("list rules on %s: %v", d.cfg.EventBus, err))
			return false
		}
		for _, r := range out.Rules {
			if aws.ToString(r.EventPattern) != "" {
				candidates = append(candidates, aws.ToString(r.Name))
			}
		}
		token = out.NextToken
		if aws.ToString(token) == "" {
			break
		}
	}
	slices.Sort(candidates)
	for _, name := range candidates {
		targets, err := d.listTargets(ctx, name)
		if err != nil {
			continue
		}
		if t := d.pickTarget(targets, false); t != nil {
			d.cfg.Rule = name
			d.targets, d.targetsRead = targets, true
			return true
		}
	}
	want := "*sgwarden*"
	switch {
	case d.cfg.Function != "":
		want = d.cfg.Function
	case d.cfg.Stack != "":
		want = d.cfg.Stack + stackFunctionID + "*"
	}
	d.add(CheckRule, StatusFail,
		fmt.Sprintf("no rule with an event pattern on bus %q targets a function named %s", d.cfg.EventBus, want),
		"deploy the stack (make deploy), or name the deployment with --rule NAME --function NAME")
	return false
}

func (d *run) listTargets(ctx context.Context, rule string) ([]ebtypes.Target, error) {
	var all []ebtypes.Target
	var token *string
	for {
		out, err := d.cl.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{
			Rule: aws.String(rule), EventBusName: aws.String(d.cfg.EventBus), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list targets of %s: %w", rule, err)
		}
		all = append(all, out.Targets...)
		token = out.NextToken
		if aws.ToString(token) == "" {
			return all, nil
		}
	}
}

// wantsFunction reports whether a Lambda function is the one to
// diagnose: Function (name or ARN), else the Stack's remediate function,
// else any function whose name contains "sgwarden".
func (d *run) wantsFunction(name, arn string) bool {
	switch {
	case d.cfg.Function != "":
		return name == d.cfg.Function || arn == d.cfg.Function
	case d.cfg.Stack != "":
		return strings.HasPrefix(name, d.cfg.Stack+stackFunctionID)
	}
	return strings.Contains(strings.ToLower(name), "sgwarden")
}

// pickTarget returns the wanted Lambda target, or with fallback and
// neither Function nor Stack set, the first Lambda target.
func (d *run) pickTarget(targets []ebtypes.Target, fallback bool) *ebtypes.Target {
	var first *ebtypes.Target
	for i := range targets {
		t := &targets[i]
		name, _, ok := functionNameOf(aws.ToString(t.Arn))
		if !ok {
			continue
		}
		if first == nil {
			first = t
		}
		if d.wantsFunction(name, aws.ToString(t.Arn)) {
			return t
		}
	}
	if fallback && d.cfg.Function == "" && d.cfg.Stack == "" {
		return first
	}
	return nil
}

// ---- pattern ----

func (d *run) checkPattern() {
	if !d.ruleFound {
		d.skip(CheckPattern, "no rule")
		return
	}
	if d.pattern == "" {
		d.add(CheckPattern, StatusFail, fmt.Sprintf("rule %q has no event pattern (a schedule rule?)", d.rep.Rule),
			"point --rule at the stack's CloudTrail rule")
		return
	}
	cov, err := AnalyzePattern(d.pattern, d.cfg.EventNames)
	if err != nil {
		d.add(CheckPattern, StatusWarn, fmt.Sprintf("cannot analyse the pattern: %v", err), "compare it with the stack's pattern (cdk synth)")
		return
	}
	redeploy := "redeploy the stack: its pattern is built from the decoder's event list"
	switch {
	case cov.WrongSource != "":
		d.add(CheckPattern, StatusFail, fmt.Sprintf("pattern's %s does not match EC2 CloudTrail events", cov.WrongSource), redeploy)
	case len(cov.Missing) > 0:
		d.add(CheckPattern, StatusFail, fmt.Sprintf("pattern misses %d of %d events: %s", len(cov.Missing), len(d.cfg.EventNames), strings.Join(cov.Missing, ", ")), redeploy)
	case !cov.ExcludesErrors:
		d.add(CheckPattern, StatusWarn, fmt.Sprintf("matches all %d events, but also failed calls (no errorCode exists:false)", len(d.cfg.EventNames)), redeploy)
	default:
		d.add(CheckPattern, StatusPass, fmt.Sprintf("matches all %d events; failed calls excluded", len(d.cfg.EventNames)), "")
	}
}

// ---- target ----

func (d *run) checkTarget(ctx context.Context) {
	if !d.ruleFound {
		d.skip(CheckTarget, "no rule")
		return
	}
	if !d.targetsRead {
		ts, err := d.listTargets(ctx, d.rep.Rule)
		if err != nil {
			d.callFailed(CheckTarget, "events:ListTargetsByRule", err.Error())
			return
		}
		d.targets, d.targetsRead = ts, true
	}
	t := d.pickTarget(d.targets, true)
	if t == nil {
		var arns []string
		for _, x := range d.targets {
			arns = append(arns, aws.ToString(x.Arn))
		}
		what := "no targets"
		if len(arns) > 0 {
			what = "targets " + strings.Join(arns, ", ")
		}
		fn := d.cfg.Function
		switch {
		case fn == "":
			fn = "FUNCTION_ARN"
		case !strings.HasPrefix(fn, "arn:") && d.rep.Account != "":
			fn = "arn:aws:lambda:" + d.cfg.Region + ":" + d.rep.Account + ":function:" + fn
		}
		d.add(CheckTarget, StatusFail, fmt.Sprintf("rule %q has %s, not the function", d.rep.Rule, what),
			fmt.Sprintf("aws events put-targets --rule %s --targets Id=remediate,Arn=%s", d.rep.Rule, fn))
		if d.cfg.Function != "" {
			d.fnName = d.cfg.Function
		}
		return
	}
	d.target = t
	arn := aws.ToString(t.Arn)
	d.fnName, d.qualifier, _ = functionNameOf(arn)
	d.rep.FunctionARN = arn
	if t.Input != nil || t.InputPath != nil || t.InputTransformer != nil {
		d.add(CheckTarget, StatusFail, fmt.Sprintf("target %s rewrites the event (Input/InputPath/InputTransformer): the function cannot decode it", aws.ToString(t.Id)),
			fmt.Sprintf("aws events put-targets --rule %s --targets Id=%s,Arn=%s", d.rep.Rule, aws.ToString(t.Id), arn))
		return
	}
	d.add(CheckTarget, StatusPass, "target "+aws.ToString(t.Id)+" -> "+arn, "")
}

// ---- function ----

func (d *run) checkFunction(ctx context.Context) {
	if d.fnName == "" {
		d.skip(CheckFunction, "no function")
		return
	}
	in := &lambda.GetFunctionInput{FunctionName: aws.String(d.fnName)}
	if d.qualifier != "" {
		in.Qualifier = aws.String(d.qualifier)
	}
	out, err := d.cl.Lambda.GetFunction(ctx, in)
	if err != nil {
		if isNotFound(err) {
			d.add(CheckFunction, StatusFail, fmt.Sprintf("function %q does not exist: the rule invokes nothing", d.fnName), "redeploy the stack (make deploy)")
		} else {
			d.callFailed(CheckFunction, "lambda:GetFunction", fmt.Sprintf("get function %s: %v", d.fnName, err))
		}
		return
	}
	d.fn = out.Configuration
	if d.fn == nil {
		d.fn = &lambdatypes.FunctionConfiguration{}
	}
	d.rep.Function = aws.ToString(d.fn.FunctionName)
	if d.rep.Function == "" {
		d.rep.Function = d.fnName
	}
	if d.rep.FunctionARN == "" {
		d.rep.FunctionARN = aws.ToString(d.fn.FunctionArn)
	}
	if d.fn.State == lambdatypes.StateFailed || d.fn.State == lambdatypes.StateInactive {
		d.add(CheckFunction, StatusFail, fmt.Sprintf("function %q is %s: %s", d.rep.Function, d.fn.State, aws.ToString(d.fn.StateReason)), "redeploy the stack (make deploy)")
		return
	}
	state := string(d.fn.State)
	if state == "" {
		state = "Active"
	}
	d.add(CheckFunction, StatusPass, fmt.Sprintf("function %q is %s", d.rep.Function, state), "")
}

// ---- permission (the seed lesson) ----

func (d *run) checkPermission(ctx context.Context) {
	if !d.ruleFound || d.fn == nil {
		d.skip(CheckPermission, "no rule or function")
		return
	}
	fix := fmt.Sprintf("aws lambda add-permission --function-name %s --statement-id sgwarden-events --action lambda:InvokeFunction --principal events.amazonaws.com --source-arn %s",
		d.rep.Function, d.rep.RuleARN)
	if d.qualifier != "" {
		fix += " --qualifier " + d.qualifier
	}
	in := &lambda.GetPolicyInput{FunctionName: aws.String(d.fnName)}
	if d.qualifier != "" {
		in.Qualifier = aws.String(d.qualifier)
	}
	out, err := d.cl.Lambda.GetPolicy(ctx, in)
	if err != nil {
		if isNotFound(err) {
			d.permFailed = true
			d.add(CheckPermission, StatusFail, "function has no resource policy: EventBridge cannot invoke it and fails silently", fix)
			return
		}
		if isAccessDenied(err) {
			d.skip(CheckPermission, "cannot read the resource policy: "+errorCode(err))
			return
		}
		d.callFailed(CheckPermission, "lambda:GetPolicy", fmt.Sprintf("get policy of %s: %v", d.fnName, err))
		return
	}
	res, err := AnalyzePermission(aws.ToString(out.Policy), d.rep.RuleARN, d.rep.Account)
	if err != nil {
		d.add(CheckPermission, StatusWarn, err.Error(), "check the policy by hand: aws lambda get-policy --function-name "+d.rep.Function)
		return
	}
	switch res.Grant {
	case GrantRule:
		d.add(CheckPermission, StatusPass, fmt.Sprintf("statement %q allows events.amazonaws.com from this rule", res.Statement), "")
	case GrantUnscoped:
		d.add(CheckPermission, StatusWarn, fmt.Sprintf("statement %q allows events.amazonaws.com from any rule (no SourceArn)", res.Statement),
			"scope it: remove that statement and "+fix)
	case GrantOtherSource:
		d.permFailed = true
		if res.Statement != "" {
			fix = fmt.Sprintf("aws lambda remove-permission --function-name %s --statement-id %s && ", d.rep.Function, res.Statement) + fix
		}
		d.add(CheckPermission, StatusFail, fmt.Sprintf("events.amazonaws.com may invoke only from %s, not from %s", strings.Join(res.Sources, ", "), d.rep.RuleARN), fix)
	case GrantDenied:
		d.permFailed = true
		d.add(CheckPermission, StatusFail, fmt.Sprintf("statement %q denies events.amazonaws.com", res.Statement), "remove the Deny statement (aws lambda remove-permission)")
	default:
		d.permFailed = true
		d.add(CheckPermission, StatusFail, "no statement allows events.amazonaws.com to invoke the function: EventBridge fails silently", fix)
	}
}

// ---- metrics ----

func (d *run) metricSum(ctx context.Context, namespace, metric string, dims []cwtypes.Dimension) (float64, error) {
	end := d.cfg.Now()
	start := end.Add(-d.cfg.Window)
	period := int32(math.Max(60, math.Round(d.cfg.Window.Seconds()/60)*60))
	out, err := d.cl.Metrics.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(namespace), MetricName: aws.String(metric), Dimensions: dims,
		StartTime: aws.Time(start), EndTime: aws.Time(end), Period: aws.Int32(period),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	if err != nil {
		return 0, fmt.Errorf("get %s %s: %w", namespace, metric, err)
	}
	sum := 0.0
	for _, p := range out.Datapoints {
		sum += aws.ToFloat64(p.Sum)
	}
	return sum, nil
}

func (d *run) window() string {
	h := d.cfg.Window.Hours()
	if h == math.Trunc(h) {
		return strconv.Itoa(int(h)) + " h"
	}
	return d.cfg.Window.String()
}

func (d *run) checkFailedInvocations(ctx context.Context) {
	if !d.ruleFound {
		d.skip(CheckFailedInvocations, "no rule")
		return
	}
	dims := []cwtypes.Dimension{{Name: aws.String("RuleName"), Value: aws.String(d.rep.Rule)}}
	if d.cfg.EventBus != "default" {
		dims = append(dims, cwtypes.Dimension{Name: aws.String("EventBusName"), Value: aws.String(d.cfg.EventBus)})
	}
	n, err := d.metricSum(ctx, "AWS/Events", "FailedInvocations", dims)
	if err != nil {
		d.metricError(CheckFailedInvocations, err)
		return
	}
	if n > 0 {
		fix := "EventBridge could not invoke the target: check the function, its permission and its throttling"
		if d.permFailed {
			fix = "fix the permission above"
		}
		d.add(CheckFailedInvocations, StatusFail, fmt.Sprintf("%s FailedInvocations in the last %s: those events were never remediated", fmtCount(n), d.window()), fix)
		return
	}
	d.add(CheckFailedInvocations, StatusPass, "0 FailedInvocations in the last "+d.window(), "")
}

func (d *run) checkFunctionErrors(ctx context.Context) {
	if d.fn == nil {
		d.skip(CheckFunctionErrors, "no function")
		return
	}
	n, err := d.metricSum(ctx, "AWS/Lambda", "Errors", []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(d.rep.Function)}})
	if err != nil {
		d.metricError(CheckFunctionErrors, err)
		return
	}
	if n > 0 {
		d.add(CheckFunctionErrors, StatusFail, fmt.Sprintf("%s function errors in the last %s", fmtCount(n), d.window()),
			fmt.Sprintf("read the logs: aws logs tail /aws/lambda/%s --since %s", d.rep.Function, strings.ReplaceAll(d.window(), " ", "")))
		return
	}
	d.add(CheckFunctionErrors, StatusPass, "0 errors in the last "+d.window(), "")
}

func (d *run) metricError(id string, err error) {
	if isAccessDenied(err) {
		d.skip(id, "cannot read metrics: "+errorCode(err))
		return
	}
	d.callFailed(id, "cloudwatch:GetMetricStatistics", err.Error())
}

func fmtCount(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ---- DLQ ----

func (d *run) checkDLQ(ctx context.Context) {
	if d.fn == nil {
		d.skip(CheckDLQ, "no function")
		return
	}
	type dlq struct{ arn, from string }
	var queues []dlq
	if d.target != nil && d.target.DeadLetterConfig != nil && aws.ToString(d.target.DeadLetterConfig.Arn) != "" {
		queues = append(queues, dlq{aws.ToString(d.target.DeadLetterConfig.Arn), "rule target"})
	}
	if d.fn.DeadLetterConfig != nil && aws.ToString(d.fn.DeadLetterConfig.TargetArn) != "" {
		queues = append(queues, dlq{aws.ToString(d.fn.DeadLetterConfig.TargetArn), "function"})
	}
	in := &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(d.fnName)}
	if d.qualifier != "" {
		in.Qualifier = aws.String(d.qualifier)
	}
	cfg, err := d.cl.Lambda.GetFunctionEventInvokeConfig(ctx, in)
	switch {
	case err == nil:
		if cfg.DestinationConfig != nil && cfg.DestinationConfig.OnFailure != nil && aws.ToString(cfg.DestinationConfig.OnFailure.Destination) != "" {
			queues = append(queues, dlq{aws.ToString(cfg.DestinationConfig.OnFailure.Destination), "on-failure destination"})
		}
	case isNotFound(err):
	default:
		d.callFailed(CheckDLQ, "lambda:GetFunctionEventInvokeConfig", fmt.Sprintf("get event invoke config of %s: %v", d.fnName, err))
		return
	}
	if len(queues) == 0 {
		d.add(CheckDLQ, StatusWarn, "no DLQ or on-failure destination: events that fail every retry are dropped",
			fmt.Sprintf("aws lambda put-function-event-invoke-config --function-name %s --destination-config '{\"OnFailure\":{\"Destination\":\"QUEUE_ARN\"}}'", d.rep.Function))
		return
	}
	var parts []string
	var full []string
	fix := ""
	for _, q := range queues {
		p := arnParts(q.arn)
		if p == nil || p[2] != "sqs" {
			parts = append(parts, fmt.Sprintf("%s %s (not SQS, depth not checked)", q.from, q.arn))
			continue
		}
		name := p[5]
		url, err := d.cl.Queue.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(p[4])})
		if err != nil {
			if isNotFound(err) {
				full = append(full, fmt.Sprintf("%s queue %s does not exist", q.from, name))
				fix = "redeploy the stack (make deploy)"
				continue
			}
			d.callFailed(CheckDLQ, "sqs:GetQueueUrl", fmt.Sprintf("get queue url of %s: %v", name, err))
			return
		}
		attrs, err := d.cl.Queue.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: url.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			d.callFailed(CheckDLQ, "sqs:GetQueueAttributes", fmt.Sprintf("get attributes of %s: %v", name, err))
			return
		}
		n, _ := strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		if n > 0 {
			full = append(full, fmt.Sprintf("%s queue %s holds %d failed events", q.from, name, n))
			if fix == "" {
				fix = fmt.Sprintf("inspect them (aws sqs receive-message --queue-url %s), fix the cause, then replay their events with sgwarden replay", aws.ToString(url.QueueUrl))
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%s queue %s is empty", q.from, name))
	}
	if len(full) > 0 {
		d.add(CheckDLQ, StatusFail, strings.Join(full, "; "), fix)
		return
	}
	d.add(CheckDLQ, StatusPass, strings.Join(parts, "; "), "")
}

// ---- role ----

func (d *run) checkRole(ctx context.Context) {
	if d.fn == nil || aws.ToString(d.fn.Role) == "" {
		d.skip(CheckRole, "no function role")
		return
	}
	role := aws.ToString(d.fn.Role)
	out, err := d.cl.IAM.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(role), ActionNames: RevokeActions})
	if err != nil {
		if isAccessDenied(err) {
			d.skip(CheckRole, "iam:SimulatePrincipalPolicy not allowed for the caller ("+errorCode(err)+")")
			return
		}
		d.callFailed(CheckRole, "iam:SimulatePrincipalPolicy", fmt.Sprintf("simulate %s: %v", role, err))
		return
	}
	mode := ""
	if d.fn.Environment != nil {
		mode = d.fn.Environment.Variables["SGWARDEN_MODE"]
	}
	required := requiredActions(mode)
	allowed := map[string]bool{}
	var denied []string
	for _, r := range out.EvaluationResults {
		name := aws.ToString(r.EvalActionName)
		if r.EvalDecision == "allowed" {
			allowed[name] = true
		} else if slices.Contains(required, name) {
			denied = append(denied, fmt.Sprintf("%s (%s)", name, r.EvalDecision))
		}
	}
	for _, a := range required {
		if !allowed[a] && !slices.ContainsFunc(denied, func(s string) bool { return strings.HasPrefix(s, a+" ") }) {
			denied = append(denied, a+" (not evaluated)")
		}
	}
	if len(denied) > 0 {
		d.add(CheckRole, StatusFail, fmt.Sprintf("role %s is denied %s", shortRole(role), strings.Join(denied, ", ")),
			"grant the role these actions (redeploy the stack)")
		return
	}
	var can string
	switch {
	case mode == "dry-run":
		can = "may read rules; dry-run, so it needs no revoke"
	case allowed["ec2:RevokeSecurityGroupEgress"]:
		can = "may revoke ingress and egress rules"
	default:
		can = "may revoke ingress rules (egress revokes are granted only when the policy reverts egress rules)"
	}
	d.add(CheckRole, StatusPass, fmt.Sprintf("role %s %s", shortRole(role), can), "")
}

func shortRole(arn string) string {
	if p := arnParts(arn); p != nil {
		return strings.TrimPrefix(p[5], "role/")
	}
	return arn
}
