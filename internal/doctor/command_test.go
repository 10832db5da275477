package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sgwarden/sgwarden/internal/awslocal"
	sgct "github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/doctor"
)

// commandEnv points the AWS chain at srv the way a user would point it at
// LocalStack: AWS_ENDPOINT_URL and static credentials in the environment,
// no shared files.
func commandEnv(t *testing.T, endpoint string) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           "AKIAAWSLOCAL00000000",
		"AWS_SECRET_ACCESS_KEY":       "awslocal-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func runCommand(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = doctor.Command(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandAgainstEmulatedAccount(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		mutate func(*awslocal.DeliverySpec)
		code   int
		// want must appear in stdout, in order.
		want []string
	}{
		{name: "healthy", code: doctor.ExitPass, want: []string{
			"sgwarden doctor  account " + account + "  region us-east-1  bus default",
			"rule " + ruleName + " -> function " + fnName,
			"✓ trail ", `trail "Sgwarden-Trail1A2B3C4D-ABCDEFGHIJKL" logs write management events (home region)`,
			"✓ rule ", "✓ pattern ", "matches all " + strconv.Itoa(len(sgct.SupportedEventNames)) + " events; failed calls excluded",
			"✓ target ", "target remediate -> " + fnARN,
			"✓ function ", "✓ permission ", `statement "InvokeFromChangeRule" allows events.amazonaws.com from this rule`,
			"✓ failed-invocations ", "0 FailedInvocations in the last 24 h",
			"✓ function-errors ", "✓ dlq ", "rule target queue " + eventDLQ + " is empty; on-failure destination queue " + failureDLQ + " is empty",
			"✓ role ", "role " + roleName + " may revoke ingress and egress rules",
			"10 passed, 0 failed, 0 warnings, 0 skipped",
		}},
		{name: "healthy by stack", args: []string{"--stack", stackName}, code: doctor.ExitPass, want: []string{"10 passed, 0 failed"}},
		{name: "healthy by names", args: []string{"--rule", ruleName, "--function", fnARN, "--region", region}, code: doctor.ExitPass, want: []string{"10 passed"}},
		{name: "missing permission", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions = nil
			d.Metrics = append(d.Metrics, metric("AWS/Events", "FailedInvocations", "RuleName", ruleName, time.Hour, 4))
		}, code: doctor.ExitFailed, want: []string{
			"✗ permission ", "function has no resource policy: EventBridge cannot invoke it and fails silently",
			"fix: aws lambda add-permission --function-name " + fnName + " --statement-id sgwarden-events --action lambda:InvokeFunction --principal events.amazonaws.com --source-arn " + ruleARN,
			"✗ failed-invocations ", "4 FailedInvocations in the last 24 h", "fix: fix the permission above",
			"8 passed, 2 failed, 0 warnings, 0 skipped",
		}},
		{name: "no trail and a disabled rule", mutate: func(d *awslocal.DeliverySpec) {
			d.Trails = nil
			d.Rules[2].Disabled = true
		}, code: doctor.ExitFailed, want: []string{
			"✗ trail ", "fix: create a multi-region trail",
			"✗ rule ", "fix: aws events enable-rule --name " + ruleName + " --event-bus-name default",
			"8 passed, 2 failed",
		}},
		{name: "warnings only pass", mutate: func(d *awslocal.DeliverySpec) {
			d.Functions[0].Permissions[0].SourceARN = ""
		}, code: doctor.ExitPass, want: []string{"! permission ", "fix: scope it", "9 passed, 0 failed, 1 warnings"}},
		{name: "wrong region finds nothing", args: []string{"--region", "eu-west-1"}, code: doctor.ExitFailed, want: []string{
			"region eu-west-1", "✗ trail ", "✗ rule ", "- pattern ",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := awslocal.Start(t)
			spec := deployed()
			if tc.mutate != nil {
				tc.mutate(spec)
			}
			if err := srv.SeedDelivery(region, *spec); err != nil {
				t.Fatal(err)
			}
			commandEnv(t, srv.URL())
			code, stdout, stderr := runCommand(context.Background(), tc.args...)
			if code != tc.code {
				t.Errorf("doctor %v exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, stdout, stderr)
			}
			rest := stdout
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks %q (in order):\n%s", w, stdout)
					break
				}
				rest = rest[i+len(w):]
			}
			if stderr != "" {
				t.Errorf("stderr is not a terminal, yet got %q", stderr)
			}
		})
	}
}

func TestCommandJSON(t *testing.T) {
	srv := awslocal.Start(t)
	spec := deployed()
	spec.Queues[1].Messages = 2
	if err := srv.SeedDelivery(region, *spec); err != nil {
		t.Fatal(err)
	}
	commandEnv(t, srv.URL())
	code, stdout, _ := runCommand(context.Background(), "--output", "json")
	if code != doctor.ExitFailed {
		t.Errorf("exit = %d, want %d", code, doctor.ExitFailed)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--output json is not JSON: %v\n%s", err, stdout)
	}
	dlq := rep.Checks[8]
	if rep.OK || rep.Account != account || rep.FunctionARN != fnARN || dlq.ID != doctor.CheckDLQ || dlq.Status != doctor.StatusFail ||
		!strings.Contains(dlq.Detail, "holds 2 failed events") || dlq.Fix == "" {
		t.Errorf("JSON report = %+v", rep)
	}
}

func TestCommandUsageAndErrors(t *testing.T) {
	srv := awslocal.Start(t)
	if err := srv.SeedDelivery(region, *deployed()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		deny    string
		timeout time.Duration
		code    int
		stdout  string
		stderr  string
	}{
		{name: "help", args: []string{"--help"}, code: doctor.ExitPass, stdout: "Usage: sgwarden doctor [flags]"},
		{name: "help lists exit codes", args: []string{"-h"}, code: doctor.ExitPass, stdout: "Exit codes: 0 all checks pass, 1 a check failed, 2 usage error"},
		{name: "unknown flag", args: []string{"--bogus"}, code: doctor.ExitUsage, stderr: "sgwarden doctor: unknown flag --bogus"},
		{name: "bad output", args: []string{"--output", "xml"}, code: doctor.ExitUsage, stderr: `--output "xml" is not table or json`},
		{name: "argument", args: []string{"extra"}, code: doctor.ExitUsage, stderr: "unexpected argument extra"},
		{name: "stack and rule", args: []string{"--stack", "S", "--rule", "r"}, code: doctor.ExitUsage, stderr: "do not combine"},
		{name: "short window", args: []string{"--window", "10s"}, code: doctor.ExitUsage, stderr: "--window"},
		{name: "no region", env: map[string]string{"AWS_REGION": ""}, code: doctor.ExitUsage, stderr: "no AWS region"},
		{name: "credentials rejected", deny: "GetCallerIdentity", code: doctor.ExitNoRun, stderr: "check credentials"},
		{name: "endpoint unreachable", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, timeout: 300 * time.Millisecond,
			code: doctor.ExitNoRun, stderr: "check credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			commandEnv(t, srv.URL())
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			srv.ClearFaults()
			if tc.deny != "" {
				srv.Deny(tc.deny)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			code, stdout, stderr := runCommand(ctx, tc.args...)
			if code != tc.code {
				t.Errorf("doctor %v exit = %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("doctor %v: stdout %q, stderr %q; want them to contain %q and %q", tc.args, stdout, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}
