package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	sgct "github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/doctor"
)

// The names CloudFormation gives the resources of infra/cdk/stack when the
// stack is called "Sgwarden": STACK-LOGICALID[HASH]-SUFFIX.
const (
	region     = "us-east-1"
	account    = awslocal.DefaultAccount
	stackName  = "Sgwarden"
	ruleName   = "Sgwarden-SecurityGroupChangeRule-1AB2CD3EF4GH5"
	ruleARN    = "arn:aws:events:" + region + ":" + account + ":rule/" + ruleName
	auditRule  = "Sgwarden-AuditScheduleRule-9ZY8XW7VU6TS"
	fnName     = "Sgwarden-RemediateFunction7C4C5E7B-Ab1Cd2Ef3Gh4"
	fnARN      = "arn:aws:lambda:" + region + ":" + account + ":function:" + fnName
	auditFn    = "Sgwarden-AuditFunction1F2E3D4C-Zz9Yy8Xx7Ww6"
	auditFnARN = "arn:aws:lambda:" + region + ":" + account + ":function:" + auditFn
	roleName   = "Sgwarden-RemediateRole3A4B5C6D-QWERTY123456"
	eventDLQ   = "Sgwarden-EventDeadLetterQueue1234ABCD-abcdEFGH1234"
	failureDLQ = "Sgwarden-FailedInvocationQueue5678EFGH-ijklMNOP5678"
)

func queueARN(name string) string { return "arn:aws:sqs:" + region + ":" + account + ":" + name }

// stackPattern is the pattern the stack deploys (stack.RulePattern).
func stackPattern(names []string) string {
	b, _ := json.Marshal(map[string]any{
		"source":      []string{"aws.ec2"},
		"detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []string{"ec2.amazonaws.com"},
			"eventName":   names,
			"errorCode":   []any{map[string]bool{"exists": false}},
		},
	})
	return string(b)
}

// deployed is the account right after `cdk deploy -c createTrail=true`.
func deployed() *awslocal.DeliverySpec {
	permission := func(sid, rule string) awslocal.PermissionSpec {
		return awslocal.PermissionSpec{Sid: sid, Principal: "events.amazonaws.com",
			SourceARN: "arn:aws:events:" + region + ":" + account + ":rule/" + rule, SourceAccount: account}
	}
	target := func(id, arn string) awslocal.EventTargetSpec {
		return awslocal.EventTargetSpec{ID: id, ARN: arn, DeadLetterARN: queueARN(eventDLQ)}
	}
	return &awslocal.DeliverySpec{
		Trails: []awslocal.TrailSpec{{Name: "Sgwarden-Trail1A2B3C4D-ABCDEFGHIJKL", ReadWriteType: "WriteOnly"}},
		Rules: []awslocal.EventRuleSpec{
			{Name: "aws-backup-rule", EventPattern: `{"source":["aws.backup"]}`,
				Targets: []awslocal.EventTargetSpec{{ID: "q", ARN: queueARN("backup-events")}}},
			{Name: auditRule, ScheduleExpression: "rate(1 day)", Targets: []awslocal.EventTargetSpec{target("audit", auditFnARN)}},
			{Name: ruleName, EventPattern: stackPattern(sgct.SupportedEventNames), Targets: []awslocal.EventTargetSpec{target("remediate", fnARN)}},
		},
		Functions: []awslocal.FunctionSpec{
			{Name: fnName, Role: "arn:aws:iam::" + account + ":role/" + roleName, OnFailure: queueARN(failureDLQ),
				Permissions: []awslocal.PermissionSpec{permission("InvokeFromChangeRule", ruleName)}},
			{Name: auditFn, Role: "arn:aws:iam::" + account + ":role/audit", OnFailure: queueARN(failureDLQ),
				Permissions: []awslocal.PermissionSpec{permission("InvokeFromAuditRule", auditRule)}},
		},
		Queues: []awslocal.QueueSpec{{Name: eventDLQ}, {Name: failureDLQ}, {Name: "backup-events", Messages: 12}},
		Roles: []awslocal.RoleSpec{{Name: roleName, Allow: []string{
			"ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkInterfaces",
			"ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries",
			"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "sns:Publish", "sqs:SendMessage"}}},
		// Old failures, outside the 24 h window.
		Metrics: []awslocal.MetricDatum{
			{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: map[string]string{"RuleName": ruleName}, Time: testNow.Add(-25 * time.Hour), Value: 40},
			{Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: map[string]string{"FunctionName": fnName}, Time: testNow.Add(-30 * time.Hour), Value: 3},
		},
	}
}

var testNow = time.Now().UTC().Truncate(time.Minute)

func metric(namespace, name, dim, value string, ago time.Duration, v float64) awslocal.MetricDatum {
	return awslocal.MetricDatum{Namespace: namespace, MetricName: name, Dimensions: map[string]string{dim: value}, Time: testNow.Add(-ago), Value: v}
}

var allChecks = []string{doctor.CheckTrail, doctor.CheckRule, doctor.CheckPattern, doctor.CheckTarget, doctor.CheckFunction,
	doctor.CheckPermission, doctor.CheckFailedInvocations, doctor.CheckFunctionErrors, doctor.CheckDLQ, doctor.CheckRole}

// skipsAfterFunction are the checks that need the function.
func skipsAfterFunction(m map[string]doctor.Status) map[string]doctor.Status {
	for _, id := range []string{doctor.CheckPermission, doctor.CheckFunctionErrors, doctor.CheckDLQ, doctor.CheckRole} {
		if _, ok := m[id]; !ok {
			m[id] = doctor.StatusSkip
		}
	}
	return m
}

func TestRunAgainstEmulatedAccount(t *testing.T) {
	type S = doctor.Status
	const fail, warn, skip = doctor.StatusFail, doctor.StatusWarn, doctor.StatusSkip
	tests := []struct {
		name   string
		cfg    doctor.Config
		opts   []awslocal.Option
		mutate func(*awslocal.DeliverySpec)
		fault  string // operation to deny
		// want lists every check that does not pass; the others must pass.
		want map[string]S
		// detail and fix must appear in the first non-passing check.
		detail, fix string
	}{
		{name: "healthy, discovered"},
		{name: "healthy, discovered across pages", opts: []awslocal.Option{awslocal.WithDefaultPageSize(1)}},
		{name: "healthy, by stack name", cfg: doctor.Config{Stack: stackName}},
		{name: "healthy, by rule and function name", cfg: doctor.Config{Rule: ruleName, Function: fnName}},
		{name: "healthy, multi-region trail from another region", mutate: func(d *awslocal.DeliverySpec) {
			d.Trails = []awslocal.TrailSpec{{Name: "org", HomeRegion: "eu-west-1", MultiRegion: true}}
		}},

		{name: "no trail", mutate: func(d *awslocal.DeliverySpec) { d.Trails = nil },
			want: map[string]S{doctor.CheckTrail: fail}, detail: "no trail logs us-east-1", fix: "aws cloudtrail create-trail"},
		{name: "trail of another region only", mutate: func(d *awslocal.DeliverySpec) { d.Trails[0].HomeRegion = "eu-west-1" },
			want: map[string]S{doctor.CheckTrail: fail}, detail: "no trail", fix: "--is-multi-region-trail"},
		{name: "trail not logging", mutate: func(d *awslocal.DeliverySpec) { d.Trails[0].Stopped = true },
			want: map[string]S{doctor.CheckTrail: fail}, detail: "is not logging", fix: "aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:"},
		{name: "trail logs reads only", mutate: func(d *awslocal.DeliverySpec) { d.Trails[0].ReadWriteType = "ReadOnly" },
			want: map[string]S{doctor.CheckTrail: fail}, detail: "does not log write management events", fix: "put-event-selectors"},
		{name: "trail excludes no management events but ec2", mutate: func(d *awslocal.DeliverySpec) {
			d.Trails[0].ExcludeManagementEventSources = []string{"ec2.amazonaws.com"}
		}, want: map[string]S{doctor.CheckTrail: fail}, detail: "does not log write management events", fix: "put-event-selectors"},

		{name: "disabled rule", mutate: func(d *awslocal.DeliverySpec) { d.Rules[2].Disabled = true },
			want: map[string]S{doctor.CheckRule: fail}, detail: "is DISABLED", fix: "aws events enable-rule --name " + ruleName},
		{name: "rule named but missing", cfg: doctor.Config{Rule: "Sgwarden-Old"},
			want:   skipsAfterFunction(map[string]S{doctor.CheckRule: fail, doctor.CheckPattern: skip, doctor.CheckTarget: skip, doctor.CheckFunction: skip, doctor.CheckFailedInvocations: skip}),
			detail: `rule "Sgwarden-Old" not found`, fix: "make deploy"},
		{name: "nothing deployed", mutate: func(d *awslocal.DeliverySpec) { d.Rules = d.Rules[:2] },
			want:   skipsAfterFunction(map[string]S{doctor.CheckRule: fail, doctor.CheckPattern: skip, doctor.CheckTarget: skip, doctor.CheckFunction: skip, doctor.CheckFailedInvocations: skip}),
			detail: "*sgwarden*", fix: "--rule NAME --function NAME"},
		{name: "another stack", cfg: doctor.Config{Stack: "Sgwarden-eu-west-1"},
			want:   skipsAfterFunction(map[string]S{doctor.CheckRule: fail, doctor.CheckPattern: skip, doctor.CheckTarget: skip, doctor.CheckFunction: skip, doctor.CheckFailedInvocations: skip}),
			detail: "Sgwarden-eu-west-1-RemediateFunction*"},

		{name: "pattern missing event names", mutate: func(d *awslocal.DeliverySpec) {
			d.Rules[2].EventPattern = stackPattern(sgct.SupportedEventNames[:2])
		}, want: map[string]S{doctor.CheckPattern: fail}, detail: "ModifySecurityGroupRules", fix: "redeploy the stack"},
		{name: "pattern lets failed calls through", mutate: func(d *awslocal.DeliverySpec) {
			d.Rules[2].EventPattern = `{"source":["aws.ec2"],"detail":{"eventName":[{"prefix":""}]}}`
		}, want: map[string]S{doctor.CheckPattern: warn}, detail: "also failed calls", fix: "redeploy"},
		{name: "pattern for another source", mutate: func(d *awslocal.DeliverySpec) { d.Rules[2].EventPattern = `{"source":["aws.s3"]}` },
			want: map[string]S{doctor.CheckPattern: fail}, detail: "pattern's source", fix: "redeploy"},

		{name: "target is not the function", cfg: doctor.Config{Rule: ruleName, Function: fnName}, mutate: func(d *awslocal.DeliverySpec) {
			d.Rules[2].Targets[0].ARN = auditFnARN
		}, want: map[string]S{doctor.CheckTarget: fail}, detail: "targets " + auditFnARN + ", not the function",
			fix: "aws events put-targets --rule " + ruleName + " --targets Id=remediate,Arn=" + fnARN},
		{name: "target rewrites the event", mutate: func(d *awslocal.DeliverySpec) { d.Rules[2].Targets[0].InputPath = "$.detail" },
			want: map[string]S{doctor.CheckTarget: fail}, detail: "rewrites the event", fix: "put-targets"},
		{name: "function deleted", mutate: func(d *awslocal.DeliverySpec) { d.Functions = d.Functions[1:] },
			want: skipsAfterFunction(map[string]S{doctor.CheckFunction: fail}), detail: "does not exist", fix: "redeploy"},
		{name: "function failed", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].State, d.Functions[0].StateReason = "Failed", "bootstrap: exec format error"
		}, want: map[string]S{doctor.CheckFunction: fail}, detail: "exec format error", fix: "redeploy"},

		{name: "missing invoke permission", mutate: func(d *awslocal.DeliverySpec) { d.Functions[0].Permissions = nil },
			want: map[string]S{doctor.CheckPermission: fail}, detail: "no resource policy",
			fix: "aws lambda add-permission --function-name " + fnName + " --statement-id sgwarden-events --action lambda:InvokeFunction --principal events.amazonaws.com --source-arn " + ruleARN},
		{name: "missing permission shows as failed invocations", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions = nil
			d.Metrics = append(d.Metrics, metric("AWS/Events", "FailedInvocations", "RuleName", ruleName, time.Hour, 7))
		}, want: map[string]S{doctor.CheckPermission: fail, doctor.CheckFailedInvocations: fail}, detail: "no resource policy", fix: "add-permission"},
		{name: "permission for another service only", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions = []awslocal.PermissionSpec{{Sid: "s3", Principal: "s3.amazonaws.com"}}
		}, want: map[string]S{doctor.CheckPermission: fail}, detail: "no statement allows events.amazonaws.com", fix: "--source-arn " + ruleARN},
		{name: "permission with the wrong SourceArn", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions[0].SourceARN = "arn:aws:events:us-east-1:" + account + ":rule/Sgwarden-SecurityGroupChangeRule-OLD"
		}, want: map[string]S{doctor.CheckPermission: fail}, detail: "rule/Sgwarden-SecurityGroupChangeRule-OLD, not from " + ruleARN,
			fix: "aws lambda remove-permission --function-name " + fnName + " --statement-id InvokeFromChangeRule && aws lambda add-permission"},
		{name: "permission with the wrong SourceAccount", mutate: func(d *awslocal.DeliverySpec) { d.Functions[0].Permissions[0].SourceAccount = "999999999999" },
			want: map[string]S{doctor.CheckPermission: fail}, detail: "may invoke only from", fix: "add-permission"},
		{name: "permission without SourceArn", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions[0].SourceARN, d.Functions[0].Permissions[0].SourceAccount = "", ""
		}, want: map[string]S{doctor.CheckPermission: warn}, detail: "from any rule", fix: "scope it"},
		{name: "resource policy not readable", fault: "GetPolicy",
			want: map[string]S{doctor.CheckPermission: skip}, detail: "AccessDeniedException"},

		{name: "failed invocations in the last 24 h", mutate: func(d *awslocal.DeliverySpec) {
			d.Metrics = append(d.Metrics,
				metric("AWS/Events", "FailedInvocations", "RuleName", ruleName, 23*time.Hour, 2),
				metric("AWS/Events", "FailedInvocations", "RuleName", ruleName, time.Minute*5, 1))
		}, want: map[string]S{doctor.CheckFailedInvocations: fail}, detail: "3 FailedInvocations in the last 24 h", fix: "check the function, its permission"},
		{name: "failed invocations of another rule do not count", mutate: func(d *awslocal.DeliverySpec) {
			d.Metrics = append(d.Metrics, metric("AWS/Events", "FailedInvocations", "RuleName", "aws-backup-rule", time.Hour, 9))
		}},
		{name: "function errors", mutate: func(d *awslocal.DeliverySpec) {
			d.Metrics = append(d.Metrics, metric("AWS/Lambda", "Errors", "FunctionName", fnName, 2*time.Hour, 2))
		}, want: map[string]S{doctor.CheckFunctionErrors: fail}, detail: "2 function errors", fix: "aws logs tail /aws/lambda/" + fnName + " --since 24h"},
		{name: "metrics not readable", fault: "GetMetricStatistics",
			want: map[string]S{doctor.CheckFailedInvocations: skip, doctor.CheckFunctionErrors: skip}, detail: "cannot read metrics"},

		{name: "DLQ depth", mutate: func(d *awslocal.DeliverySpec) { d.Queues[1].Messages = 3 },
			want: map[string]S{doctor.CheckDLQ: fail}, detail: "on-failure destination queue " + failureDLQ + " holds 3 failed events", fix: "sgwarden replay"},
		{name: "event DLQ depth", mutate: func(d *awslocal.DeliverySpec) { d.Queues[0].Messages = 1 },
			want: map[string]S{doctor.CheckDLQ: fail}, detail: "rule target queue " + eventDLQ + " holds 1 failed events", fix: "aws sqs receive-message --queue-url "},
		{name: "DLQ deleted", mutate: func(d *awslocal.DeliverySpec) { d.Queues = d.Queues[:1] },
			want: map[string]S{doctor.CheckDLQ: fail}, detail: failureDLQ + " does not exist", fix: "redeploy"},
		{name: "no DLQ", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].OnFailure = ""
			d.Rules[2].Targets[0].DeadLetterARN = ""
		}, want: map[string]S{doctor.CheckDLQ: warn}, detail: "no DLQ", fix: "put-function-event-invoke-config"},

		{name: "role cannot revoke", mutate: func(d *awslocal.DeliverySpec) {
			d.Roles[0].Allow = []string{"ec2:Describe*", "sns:Publish"}
		}, want: map[string]S{doctor.CheckRole: fail}, detail: "ec2:RevokeSecurityGroupIngress (implicitDeny)", fix: "grant the role"},
		{name: "role denied ingress revoke", mutate: func(d *awslocal.DeliverySpec) {
			d.Roles[0].Deny = []string{"ec2:RevokeSecurityGroupIngress"}
		}, want: map[string]S{doctor.CheckRole: fail}, detail: "ec2:RevokeSecurityGroupIngress (explicitDeny)", fix: "grant the role"},
		// The stack grants an egress revoke only when the policy reverts
		// egress rules (infra/cdk), so its absence is no failure.
		{name: "role without egress revoke", mutate: func(d *awslocal.DeliverySpec) {
			d.Roles[0].Deny = []string{"ec2:RevokeSecurityGroupEgress"}
		}, want: map[string]S{}, detail: "egress revokes are granted only when the policy reverts egress rules"},
		// In dry-run the stack grants no revoke at all.
		{name: "dry-run role without revokes", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Environment = map[string]string{"SGWARDEN_MODE": "dry-run"}
			d.Roles[0].Allow = []string{"ec2:Describe*", "sns:Publish"}
		}, want: map[string]S{}, detail: "dry-run, so it needs no revoke"},
		{name: "dry-run role that cannot read rules", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Environment = map[string]string{"SGWARDEN_MODE": "dry-run"}
			d.Roles[0].Allow = []string{"sns:Publish"}
		}, want: map[string]S{doctor.CheckRole: fail}, detail: "ec2:DescribeSecurityGroupRules (implicitDeny)", fix: "grant the role"},
		{name: "role deleted", mutate: func(d *awslocal.DeliverySpec) { d.Roles = nil },
			want: map[string]S{doctor.CheckRole: fail}, detail: "NoSuchEntity", fix: "iam:SimulatePrincipalPolicy"},
		{name: "simulation not allowed", fault: "SimulatePrincipalPolicy",
			want: map[string]S{doctor.CheckRole: skip}, detail: "iam:SimulatePrincipalPolicy not allowed"},
		{name: "trails not readable", fault: "DescribeTrails",
			want: map[string]S{doctor.CheckTrail: skip}, detail: "cannot list trails"},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := awslocal.Start(t, tc.opts...)
			spec := deployed()
			if tc.mutate != nil {
				tc.mutate(spec)
			}
			if err := srv.SeedDelivery(region, *spec); err != nil {
				t.Fatalf("SeedDelivery: %v", err)
			}
			if tc.fault != "" {
				srv.Deny(tc.fault)
			}
			cfg := tc.cfg
			cfg.Region, cfg.Account = region, account
			cfg.Now = func() time.Time { return testNow }
			rep, err := doctor.Run(ctx, doctor.NewClients(srv.AWSConfig(ctx)), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(rep.Checks) != len(allChecks) {
				t.Fatalf("Run returned %d checks, want %d: %+v", len(rep.Checks), len(allChecks), rep.Checks)
			}
			var first *doctor.Check
			for i, c := range rep.Checks {
				if c.ID != allChecks[i] {
					t.Errorf("check %d = %s, want %s", i, c.ID, allChecks[i])
				}
				want, ok := tc.want[c.ID]
				if !ok {
					want = doctor.StatusPass
				}
				if c.Status != want {
					t.Errorf("check %s = %s (%s), want %s", c.ID, c.Status, c.Detail, want)
				}
				if (c.Status == doctor.StatusFail || c.Status == doctor.StatusWarn) && c.Fix == "" {
					t.Errorf("check %s is %s without a fix: %s", c.ID, c.Status, c.Detail)
				}
				if c.Status != doctor.StatusPass && first == nil {
					first = &rep.Checks[i]
				}
			}
			if first == nil && tc.detail != "" {
				// All pass: some check's detail must say it.
				if !slices.ContainsFunc(rep.Checks, func(c doctor.Check) bool { return strings.Contains(c.Detail, tc.detail) }) {
					t.Errorf("no check detail contains %q: %+v", tc.detail, rep.Checks)
				}
			}
			if first != nil {
				if !strings.Contains(first.Detail, tc.detail) {
					t.Errorf("check %s detail = %q, want it to contain %q", first.ID, first.Detail, tc.detail)
				}
				if !strings.Contains(first.Fix, tc.fix) {
					t.Errorf("check %s fix = %q, want it to contain %q", first.ID, first.Fix, tc.fix)
				}
			}
			wantFailed := false
			for _, s := range tc.want {
				wantFailed = wantFailed || s == doctor.StatusFail
			}
			if rep.Failed() != wantFailed || rep.OK == wantFailed {
				t.Errorf("Failed() = %v, OK = %v, want failed %v", rep.Failed(), rep.OK, wantFailed)
			}
			if len(tc.want) == 0 && (rep.Rule != ruleName || rep.Function != fnName || rep.Account != account || rep.RuleARN != ruleARN) {
				t.Errorf("report names rule %q (%s) function %q account %q", rep.Rule, rep.RuleARN, rep.Function, rep.Account)
			}
		})
	}
}

func TestRunReadsOnly(t *testing.T) {
	ctx := context.Background()
	srv := awslocal.Start(t)
	if err := srv.SeedDelivery(region, *deployed()); err != nil {
		t.Fatal(err)
	}
	if _, err := doctor.Run(ctx, doctor.NewClients(srv.AWSConfig(ctx)), doctor.Config{Region: region}); err != nil {
		t.Fatal(err)
	}
	for _, c := range srv.Calls() {
		if !strings.HasPrefix(c.Operation, "Get") && !strings.HasPrefix(c.Operation, "List") &&
			!strings.HasPrefix(c.Operation, "Describe") && c.Operation != "SimulatePrincipalPolicy" {
			t.Errorf("doctor called %s %s, which is not a read", c.Service, c.Operation)
		}
		if c.ErrorCode != "" {
			t.Errorf("doctor's %s call failed with %s on a healthy account", c.Operation, c.ErrorCode)
		}
	}
	if n := len(srv.Calls()); n > 20 {
		t.Errorf("doctor made %d calls on a healthy account, want at most 20", n)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := doctor.Run(ctx, doctor.Clients{}, doctor.Config{Region: region}); err == nil {
		t.Error("Run with no clients: want error")
	}
	srv := awslocal.Start(t)
	if _, err := doctor.Run(ctx, doctor.NewClients(srv.AWSConfig(ctx)), doctor.Config{}); err == nil {
		t.Error("Run with no region: want error")
	}
}

func TestWriteTableAndJSON(t *testing.T) {
	ctx := context.Background()
	srv := awslocal.Start(t)
	spec := deployed()
	spec.Functions[0].Permissions = nil
	if err := srv.SeedDelivery(region, *spec); err != nil {
		t.Fatal(err)
	}
	rep, err := doctor.Run(ctx, doctor.NewClients(srv.AWSConfig(ctx)), doctor.Config{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := doctor.WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"account " + account + "  region us-east-1", "rule " + ruleName + " -> function " + fnName,
		"✗ permission", "fix: aws lambda add-permission --function-name " + fnName, "--source-arn " + ruleARN,
		"✓ trail", "9 passed, 1 failed, 0 warnings, 0 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := doctor.WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var back doctor.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("JSON output does not parse: %v", err)
	}
	if back.OK || len(back.Checks) != len(allChecks) || back.Checks[5].Status != doctor.StatusFail || back.Checks[5].Fix == "" {
		t.Errorf("JSON round trip = %+v", back)
	}
}

// TestDeployedFixture keeps testdata/deployed.yaml (the one docs/doctor.md
// runs against cmd/awslocal) a healthy deployment.
func TestDeployedFixture(t *testing.T) {
	f, err := awslocal.LoadFixture("testdata/deployed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv := awslocal.Start(t, awslocal.WithFixture(f))
	rep, err := doctor.Run(ctx, doctor.NewClients(srv.AWSConfig(ctx)), doctor.Config{Region: region, Stack: stackName})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Status != doctor.StatusPass {
			t.Errorf("check %s = %s (%s), want pass", c.ID, c.Status, c.Detail)
		}
	}
}
