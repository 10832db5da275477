package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	sgct "github.com/sgwarden/sgwarden/internal/cloudtrail"
)

var allChecks = []string{CheckTrail, CheckRule, CheckPattern, CheckTarget, CheckFunction, CheckPermission,
	CheckFailedInvocations, CheckFunctionErrors, CheckDLQ, CheckRole}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		mutate func(*world)
		// want lists every check that does not pass; the rest must pass.
		want map[string]Status
		// detail must appear in the detail of the first non-passing check.
		detail string
	}{
		{name: "healthy", mutate: func(*world) {}},
		{name: "healthy with explicit names", cfg: Config{Rule: testRule, Function: testFn}, mutate: func(*world) {}},
		{name: "missing permission", mutate: func(w *world) { w.policy = "" },
			want: map[string]Status{CheckPermission: StatusFail}, detail: "no resource policy"},
		{name: "missing permission shows as failed invocations", mutate: func(w *world) {
			w.policy = ""
			w.metrics["AWS/Events/FailedInvocations"] = 7
		}, want: map[string]Status{CheckPermission: StatusFail, CheckFailedInvocations: StatusFail}, detail: "no resource policy"},
		{name: "wrong SourceArn", mutate: func(w *world) { w.policy = invokePolicy("arn:aws:events:us-east-1:123456789012:rule/old-rule") },
			want: map[string]Status{CheckPermission: StatusFail}, detail: "rule/old-rule"},
		{name: "permission without SourceArn", mutate: func(w *world) { w.policy = invokePolicy("") },
			want: map[string]Status{CheckPermission: StatusWarn}, detail: "any rule"},
		{name: "disabled rule", mutate: func(w *world) { w.state = ebtypes.RuleStateDisabled },
			want: map[string]Status{CheckRule: StatusFail}, detail: "DISABLED"},
		{name: "no trail", mutate: func(w *world) { w.trails = nil },
			want: map[string]Status{CheckTrail: StatusFail}, detail: "no trail"},
		{name: "trail in another region only", mutate: func(w *world) { w.trails[0].IsMultiRegionTrail = aws.Bool(false) },
			want: map[string]Status{CheckTrail: StatusFail}, detail: "no trail"},
		{name: "trail stopped", mutate: func(w *world) { w.logging = false },
			want: map[string]Status{CheckTrail: StatusFail}, detail: "not logging"},
		{name: "trail logs reads only", mutate: func(w *world) { w.selectors[0].ReadWriteType = cttypes.ReadWriteTypeReadOnly },
			want: map[string]Status{CheckTrail: StatusFail}, detail: "write management"},
		{name: "pattern missing events", mutate: func(w *world) { w.pattern = stackPattern(sgct.SupportedEventNames[:4]) },
			want: map[string]Status{CheckPattern: StatusFail}, detail: "ModifySecurityGroupRules"},
		{name: "pattern lets errors through", mutate: func(w *world) {
			w.pattern = `{"source":["aws.ec2"],"detail":{"eventName":[{"anything-but":"DescribeInstances"}]}}`
		}, want: map[string]Status{CheckPattern: StatusWarn}, detail: "failed calls"},
		{name: "pattern for another source", mutate: func(w *world) { w.pattern = `{"source":["aws.s3"]}` },
			want: map[string]Status{CheckPattern: StatusFail}, detail: "source"},
		{name: "DLQ not empty", mutate: func(w *world) { w.depth = 3 },
			want: map[string]Status{CheckDLQ: StatusFail}, detail: "holds 3 failed events"},
		{name: "no DLQ", mutate: func(w *world) { w.onFailure = "" },
			want: map[string]Status{CheckDLQ: StatusWarn}, detail: "no DLQ"},
		{name: "function errors", mutate: func(w *world) { w.metrics["AWS/Lambda/Errors"] = 2 },
			want: map[string]Status{CheckFunctionErrors: StatusFail}, detail: "2 function errors"},
		{name: "role cannot revoke egress", mutate: func(w *world) {
			w.decisions["ec2:RevokeSecurityGroupEgress"] = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		}, want: map[string]Status{CheckRole: StatusFail}, detail: "ec2:RevokeSecurityGroupEgress (implicitDeny)"},
		{name: "simulate not allowed", mutate: func(w *world) { w.simulateErr = apiErr("AccessDenied") },
			want: map[string]Status{CheckRole: StatusSkip}, detail: "not allowed"},
		{name: "target rewrites the event", mutate: func(w *world) { w.targets[0].InputPath = aws.String("$.detail") },
			want: map[string]Status{CheckTarget: StatusFail}, detail: "rewrites"},
		{name: "function deleted", mutate: func(w *world) { w.fnExists = false },
			want:   map[string]Status{CheckFunction: StatusFail, CheckPermission: StatusSkip, CheckFunctionErrors: StatusSkip, CheckDLQ: StatusSkip, CheckRole: StatusSkip},
			detail: "does not exist"},
		{name: "rule targets another function", cfg: Config{Rule: testRule, Function: "other-fn"}, mutate: func(*world) {},
			want:   map[string]Status{CheckTarget: StatusFail, CheckFunction: StatusFail, CheckPermission: StatusSkip, CheckFunctionErrors: StatusSkip, CheckDLQ: StatusSkip, CheckRole: StatusSkip},
			detail: "not the function"},
		{name: "nothing deployed", mutate: func(w *world) { w.rules = w.rules[:2] },
			want: map[string]Status{CheckRule: StatusFail, CheckPattern: StatusSkip, CheckTarget: StatusSkip, CheckFunction: StatusSkip,
				CheckPermission: StatusSkip, CheckFailedInvocations: StatusSkip, CheckFunctionErrors: StatusSkip, CheckDLQ: StatusSkip, CheckRole: StatusSkip},
			detail: "*sgwarden*"},
	}
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := healthy()
			tc.mutate(w)
			cfg := tc.cfg
			cfg.Region = testRegion
			cfg.Now = func() time.Time { return now }
			rep, err := Run(context.Background(), w.clients(), cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(rep.Checks) != len(allChecks) {
				t.Fatalf("Run returned %d checks, want %d: %+v", len(rep.Checks), len(allChecks), rep.Checks)
			}
			firstDetail := ""
			for i, c := range rep.Checks {
				if c.ID != allChecks[i] {
					t.Errorf("check %d = %s, want %s", i, c.ID, allChecks[i])
				}
				want, ok := tc.want[c.ID]
				if !ok {
					want = StatusPass
				}
				if c.Status != want {
					t.Errorf("check %s = %s (%s), want %s", c.ID, c.Status, c.Detail, want)
				}
				if c.Status == StatusFail && c.Fix == "" {
					t.Errorf("check %s failed without a fix: %s", c.ID, c.Detail)
				}
				if c.Status != StatusPass && firstDetail == "" {
					firstDetail = c.Detail
				}
			}
			if !strings.Contains(firstDetail, tc.detail) {
				t.Errorf("first non-passing detail = %q, want it to contain %q", firstDetail, tc.detail)
			}
			wantFailed := false
			for _, s := range tc.want {
				wantFailed = wantFailed || s == StatusFail
			}
			if rep.Failed() != wantFailed || rep.OK == wantFailed {
				t.Errorf("Failed() = %v, OK = %v, want failed %v", rep.Failed(), rep.OK, wantFailed)
			}
			if len(tc.want) == 0 && (rep.Rule != testRule || rep.Function != testFn || rep.Account != testAccount) {
				t.Errorf("report names rule %q function %q account %q", rep.Rule, rep.Function, rep.Account)
			}
		})
	}
}

func TestRunMetricWindow(t *testing.T) {
	w := healthy()
	cl := w.clients()
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	var seen []string
	inner := cl.Metrics.(fakeMetrics)
	cl.Metrics = fakeMetrics(func(in *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
		if got := in.EndTime.Sub(*in.StartTime); got != 24*time.Hour {
			t.Errorf("metric window = %v, want 24h", got)
		}
		if !in.EndTime.Equal(now) {
			t.Errorf("metric end = %v, want %v", in.EndTime, now)
		}
		seen = append(seen, aws.ToString(in.Namespace)+"/"+aws.ToString(in.MetricName)+"/"+aws.ToString(in.Dimensions[0].Value))
		return inner(in)
	})
	if _, err := Run(context.Background(), cl, Config{Region: testRegion, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	want := []string{"AWS/Events/FailedInvocations/" + testRule, "AWS/Lambda/Errors/" + testFn}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("metrics read = %v, want %v", seen, want)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	if _, err := Run(context.Background(), Clients{}, Config{Region: testRegion}); err == nil {
		t.Error("Run with no clients: want error")
	}
	if _, err := Run(context.Background(), healthy().clients(), Config{}); err == nil {
		t.Error("Run with no region: want error")
	}
}

func TestWriteTableAndJSON(t *testing.T) {
	w := healthy()
	w.policy = ""
	rep, err := Run(context.Background(), w.clients(), Config{Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"✗ permission", "fix: aws lambda add-permission --function-name sgwarden-remediate",
		"--source-arn " + testRuleARN, "✓ trail", "9 passed, 1 failed, 0 warnings, 0 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("JSON output does not parse: %v", err)
	}
	if back.OK || len(back.Checks) != len(allChecks) || back.Checks[5].Status != StatusFail {
		t.Errorf("JSON round trip = %+v", back)
	}
}
