package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// decisions is the policy engine's test corpus.
const decisions = "../../internal/policy/testdata/decisions"

// events is the project's event corpus.
const events = "../../events"

// runCmd runs a subcommand and returns its exit code and output.
func runCmd(t *testing.T, f commandFunc, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = f(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join("testdata", name)
	}
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"no command", nil, exitUsage, "", "Commands:"},
		{"help", []string{"--help"}, exitOK, "Exit codes:", ""},
		{"help command", []string{"help", "check"}, exitOK, "Usage: sgwarden check", ""},
		{"unknown", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"command help", []string{"audit", "-h"}, exitOK, "--input file", ""},
		{"bad flag", []string{"check", "--nope", "x.json"}, exitUsage, "", "Run 'sgwarden check --help'"},
		{"bad choice", []string{"check", "--output", "yaml", "x.json"}, exitUsage, "", `"yaml" is not one of table, json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d (stderr %s)", tt.args, code, tt.wantCode, errb.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("run(%q) stdout lacks %q:\n%s", tt.args, tt.wantOut, out.String())
			}
			if !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("run(%q) stderr lacks %q:\n%s", tt.args, tt.wantErr, errb.String())
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		code, out, _ := runCmd(t, c.run, "--help")
		if code != exitOK || !strings.HasPrefix(out, "Usage: sgwarden "+c.name) || !strings.Contains(out, "Exit codes:") {
			t.Errorf("%s --help = %d, %q; want 0 and a usage text", c.name, code, out)
		}
	}
}

func TestInterspersedFlags(t *testing.T) {
	// Flags after the files, and "--" ending the flags.
	code, out, stderr := runCmd(t, cmdCheck, filepath.Join(decisions, "default-baseline", "input.json"), "--output", "json", "--fail-on", "never")
	if code != exitOK || !json.Valid([]byte(out)) {
		t.Fatalf("check FILE --output json --fail-on never = %d, valid JSON %v (stderr %s)", code, json.Valid([]byte(out)), stderr)
	}
	code, _, stderr = runCmd(t, cmdCheck, "--", "--output")
	if code != exitUsage || !strings.Contains(stderr, "--output") {
		t.Errorf("check -- --output = %d, %q; want 2 naming the missing file --output", code, stderr)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nchecks:\n  - id: x\n    severity: bad\n    action: revert\n    ports: [99999]\n    peer: world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("default", func(t *testing.T) {
		code, out, _ := runCmd(t, cmdValidate, "default")
		if code != exitOK {
			t.Fatalf("validate default = %d, want 0", code)
		}
		golden(t, "validate-default.txt", out)
	})
	t.Run("file", func(t *testing.T) {
		code, out, _ := runCmd(t, cmdValidate, filepath.Join(decisions, "custom-dry-run", "policy.yaml"))
		if code != exitOK || !strings.Contains(out, "valid, mode dry-run") {
			t.Errorf("validate custom-dry-run/policy.yaml = %d, %q; want 0 and mode dry-run", code, out)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		code, out, _ := runCmd(t, cmdValidate, bad)
		if code != exitFindings {
			t.Errorf("validate bad.yaml = %d, want %d", code, exitFindings)
		}
		for _, want := range []string{"invalid, 2 problem(s)", "bad.yaml:4:15: checks[0].severity", "bad.yaml:6:13: checks[0].ports[0]"} {
			if !strings.Contains(out, want) {
				t.Errorf("validate bad.yaml output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("invalid json", func(t *testing.T) {
		code, out, _ := runCmd(t, cmdValidate, "--output", "json", bad)
		var res validateResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("validate --output json: %v\n%s", err, out)
		}
		if code != exitFindings || res.Valid || len(res.Issues) != 2 || res.Issues[0].Line != 4 || res.Issues[0].Field != "checks[0].severity" {
			t.Errorf("validate --output json = %d, %+v; want 1, invalid, 2 issues, the first on line 4", code, res)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if code, _, _ := runCmd(t, cmdValidate, filepath.Join(dir, "nope.yaml")); code != exitUsage {
			t.Errorf("validate nope.yaml = %d, want %d", code, exitUsage)
		}
	})
	t.Run("two files", func(t *testing.T) {
		if code, _, _ := runCmd(t, cmdValidate, bad, bad); code != exitUsage {
			t.Errorf("validate bad bad = %d, want %d", code, exitUsage)
		}
	})
}

// TestCheckDecisions checks every case of the policy engine's decision
// corpus, with its policy and actor, against a golden table.
func TestCheckDecisions(t *testing.T) {
	cases, err := os.ReadDir(decisions)
	if err != nil {
		t.Fatal(err)
	}
	goldens, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(decisions) // so that the golden tables show short sources
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir := c.Name()
			args := []string{"--at", "2026-11-26"}
			if _, err := os.Stat(filepath.Join(dir, "policy.yaml")); err == nil {
				args = append(args, "--policy", filepath.Join(dir, "policy.yaml"))
			}
			if actor, err := os.ReadFile(filepath.Join(dir, "actor.txt")); err == nil {
				args = append(args, "--actor", strings.TrimSpace(string(actor)))
			}
			code, out, stderr := runCmd(t, cmdCheck, append(args, filepath.Join(dir, "input.json"))...)
			if code != exitFindings {
				t.Errorf("check %s = %d, want %d: every case has something to revert (stderr %s)", c.Name(), code, exitFindings, stderr)
			}
			golden(t, filepath.Join(goldens, "check-"+c.Name()+".txt"), out)
		})
	}
}

func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	https := write("https.json", `{"SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-1", "IsEgress": false, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "0.0.0.0/0"}]}`)
	defaultGroup := write("default.json", `{"SecurityGroupRules": [{"SecurityGroupRuleId": "sgr-2", "GroupId": "sg-d", "IsEgress": false, "IpProtocol": "-1", "ReferencedGroupInfo": {"GroupId": "sg-d"}}],
		"SecurityGroups": [{"GroupId": "sg-d", "GroupName": "default", "VpcId": "vpc-1"}]}`)
	world := filepath.Join(events, "01-authorize-ingress-world-ssh.json")
	office := filepath.Join(events, "02-authorize-ingress-compliant-office-cidr.json")
	failed := filepath.Join(events, "29-authorize-ingress-failed-unauthorized.json")
	tests := []struct {
		name    string
		args    []string
		want    int
		wantOut string
	}{
		{"compliant rules", []string{https}, exitOK, "compliant"},
		{"compliant event", []string{office}, exitOK, "1 rule in 1 input,"},
		{"violating event", []string{world}, exitFindings, "sgr-0ae404ccc4e3053b8  revert"},
		{"failed call is not judged", []string{failed}, exitOK, "failed call (UnauthorizedOperation): nothing changed"},
		{"several files", []string{https, world, office}, exitFindings, "3 rules in 3 inputs"},
		{"never fails", []string{"--fail-on", "never", world}, exitOK, "1 to revert"},
		{"dry-run policy still fails", []string{"--policy", filepath.Join(decisions, "custom-dry-run", "policy.yaml"), world}, exitFindings, "would-revert"},
		{"alert does not fail by default", []string{defaultGroup}, exitOK, "1 to alert on"},
		{"alert fails with fail-on alert", []string{"--fail-on", "alert", defaultGroup}, exitFindings, "default-group-rules"},
		{"not JSON", []string{write("bad.json", "{nope")}, exitUsage, ""},
		{"malformed event", []string{write("event.json", `{"source": "aws.ec2", "detail-type": "AWS API Call via CloudTrail", "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress"}}`)}, exitUsage, ""},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, exitUsage, ""},
		{"no file", nil, exitUsage, ""},
		{"bad policy", []string{"--policy", write("p.yaml", "version: 2\n"), https}, exitUsage, ""},
		{"bad date", []string{"--at", "tomorrow", https}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, cmdCheck, tt.args...)
			if code != tt.want {
				t.Errorf("check %q = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.want, out, stderr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("check %q output lacks %q:\n%s", tt.args, tt.wantOut, out)
			}
		})
	}
}

func TestCheckEventContainers(t *testing.T) {
	world, err := os.ReadFile(filepath.Join(events, "01-authorize-ingress-world-ssh.json"))
	if err != nil {
		t.Fatal(err)
	}
	var envelope struct{ Detail json.RawMessage }
	if err := json.Unmarshal(world, &envelope); err != nil {
		t.Fatal(err)
	}
	office, err := os.ReadFile(filepath.Join(events, "02-authorize-ingress-compliant-office-cidr.json"))
	if err != nil {
		t.Fatal(err)
	}
	lookup, _ := json.Marshal(map[string]any{"Events": []any{map[string]any{"EventId": "x", "CloudTrailEvent": string(envelope.Detail)}}})
	dir := t.TempDir()
	files := map[string]string{
		"records.json": `{"Records": [` + string(envelope.Detail) + `]}`,
		"lookup.json":  string(lookup),
		"array.json":   "[" + string(world) + "," + string(office) + "]",
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCmd(t, cmdCheck, "--output", "json", p)
			var rep checkReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("check %s: %v (stderr %s)", name, err, stderr)
			}
			if code != exitFindings || len(rep.Findings) == 0 || rep.Findings[0].RuleID != "sgr-0ae404ccc4e3053b8" || rep.Findings[0].EventID != "5ef9a959-e42a-5f85-a3e6-9c9595f52834" {
				t.Errorf("check %s = %d, %+v; want 1 and the revert of sgr-0ae404ccc4e3053b8 from event 5ef9a959-...", name, code, rep.Findings)
			}
		})
	}
	t.Run("stdin", func(t *testing.T) {
		old := stdin
		stdin = bytes.NewReader(world)
		defer func() { stdin = old }()
		if code, out, _ := runCmd(t, cmdCheck, "-"); code != exitFindings || !strings.Contains(out, "-  ") {
			t.Errorf("check - = %d, %q; want 1 with source -", code, out)
		}
	})
}

// startAccount serves the events/ account and points the AWS chain at it.
func startAccount(t *testing.T) *awslocal.Server {
	t.Helper()
	f, err := awslocal.LoadFixture(filepath.Join(events, "account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := awslocal.Start(t, awslocal.WithFixture(f), awslocal.WithAccount(f.Account), awslocal.WithRegion(f.Region))
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            srv.URL(),
		"AWS_ACCESS_KEY_ID":           "AKIACLITEST000000000",
		"AWS_SECRET_ACCESS_KEY":       "cli-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  f.Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return srv
}

// ruleExists asks the emulated account whether a rule is still there.
func ruleExists(t *testing.T, srv *awslocal.Server, id string) bool {
	t.Helper()
	out, err := ec2.NewFromConfig(srv.AWSConfig(context.Background())).DescribeSecurityGroupRules(context.Background(),
		&ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{id}})
	if err != nil {
		return false
	}
	return len(out.SecurityGroupRules) == 1 && aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId) == id
}

const topicARN = "arn:aws:sns:us-east-1:123456789012:sgwarden-alerts"

func TestReplay(t *testing.T) {
	world := filepath.Join(events, "01-authorize-ingress-world-ssh.json")
	office := filepath.Join(events, "02-authorize-ingress-compliant-office-cidr.json")
	const rule = "sgr-0ae404ccc4e3053b8"

	t.Run("dry-run by default", func(t *testing.T) {
		srv := startAccount(t)
		code, out, stderr := runCmd(t, cmdReplay, "--topic-arn", topicARN, world)
		if code != exitFindings || !strings.Contains(out, "would-revert") {
			t.Errorf("replay = %d, %q; want 1 and would-revert (stderr %s)", code, out, stderr)
		}
		if !ruleExists(t, srv, rule) {
			t.Errorf("replay in dry-run revoked %s", rule)
		}
		if n := len(srv.SNSMessages()); n != 1 {
			t.Errorf("replay published %d alerts, want 1", n)
		}
	})
	t.Run("enforce", func(t *testing.T) {
		srv := startAccount(t)
		code, out, stderr := runCmd(t, cmdReplay, "--mode", "enforce", "--topic-arn", topicARN, "--output", "json", world, office)
		var got []replayed
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("replay --output json: %v\n%s\n%s", err, out, stderr)
		}
		if code != exitFindings || len(got) != 2 {
			t.Fatalf("replay --mode enforce = %d with %d results, want 1 with 2", code, len(got))
		}
		if r := got[0].Result; r.Action != "reverted" || len(r.Revoked) != 1 || r.Revoked[0] != rule || !r.Published {
			t.Errorf("replay event 01 = %+v, want %s revoked and an alert", r, rule)
		}
		if r := got[1].Result; r.Ignored != "compliant" || r.AWSCalls != 0 {
			t.Errorf("replay event 02 = %+v, want compliant with no AWS call", r)
		}
		if ruleExists(t, srv, rule) {
			t.Errorf("replay --mode enforce left %s in place", rule)
		}
	})
	t.Run("compliant", func(t *testing.T) {
		startAccount(t)
		code, out, _ := runCmd(t, cmdReplay, "--topic-arn", topicARN, office)
		if code != exitOK || !strings.Contains(out, "ignored  0          compliant") {
			t.Errorf("replay compliant = %d, %q; want 0 and ignored compliant", code, out)
		}
	})
	t.Run("publish fails", func(t *testing.T) {
		startAccount(t)
		code, _, stderr := runCmd(t, cmdReplay, "--mode", "enforce", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:no-such-topic", world)
		if code != exitRuntime {
			t.Errorf("replay to a missing topic = %d, want %d (stderr %s)", code, exitRuntime, stderr)
		}
	})
	t.Run("at fixes the day", func(t *testing.T) {
		// bastion is tagged sgwarden:exempt=2026-11-27: exempt on the day of
		// the recording, not after it, whatever the real clock says.
		bastion := filepath.Join(events, "22-authorize-ingress-break-glass-exempt-group.json")
		for day, want := range map[string]string{"2026-11-26": "exempt", "2026-12-01": "would-revert"} {
			startAccount(t)
			_, out, stderr := runCmd(t, cmdReplay, "--at", day, "--topic-arn", topicARN, "--output", "json", bastion)
			var got []replayed
			if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
				t.Fatalf("replay --at %s: %v\n%s\n%s", day, err, out, stderr)
			}
			if a := string(got[0].Result.Action); a != want {
				t.Errorf("replay --at %s = %s, want %s", day, a, want)
			}
		}
		if code, _, _ := runCmd(t, cmdReplay, "--at", "tomorrow", "--topic-arn", topicARN, bastion); code != exitUsage {
			t.Errorf("replay --at tomorrow = %d, want %d", code, exitUsage)
		}
	})
	t.Run("usage", func(t *testing.T) {
		startAccount(t)
		t.Setenv("SGWARDEN_TOPIC_ARN", "")
		for _, args := range [][]string{{world}, {"--topic-arn", topicARN}, {"--topic-arn", "not-an-arn", world},
			{"--topic-arn", topicARN, filepath.Join(decisions, "default-baseline", "input.json")}} {
			if code, _, _ := runCmd(t, cmdReplay, args...); code != exitUsage {
				t.Errorf("replay %q = %d, want %d", args, code, exitUsage)
			}
		}
	})
}

func TestAuditDump(t *testing.T) {
	fixed := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	auditClock = func() time.Time { return fixed }
	t.Cleanup(func() { auditClock = time.Now })
	dump := "../../internal/audit/testdata/dump"
	files := []string{filepath.Join(dump, "groups.json"), filepath.Join(dump, "rules.json"), filepath.Join(dump, "enis.json")}
	for _, format := range []string{"table", "markdown"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := runCmd(t, cmdAudit, append([]string{"--output", format, "--input"}, files...)...)
			if code != exitFindings {
				t.Errorf("audit --input = %d, want %d (stderr %s)", code, exitFindings, stderr)
			}
			golden(t, "audit-dump."+format, out)
		})
	}
	t.Run("json", func(t *testing.T) {
		code, out, _ := runCmd(t, cmdAudit, append([]string{"--output", "json", "--fail-on", "never", "--input"}, files...)...)
		var rep struct {
			Kind       string
			Violations []struct{ Decision string }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if code != exitOK || rep.Kind != "sgwarden.audit.report" || len(rep.Violations) == 0 {
			t.Errorf("audit --output json --fail-on never = %d, %+v; want 0 and a report with violations", code, rep)
		}
		for _, v := range rep.Violations {
			if v.Decision == "revert" {
				t.Errorf("audit from the CLI decided revert; it never reverts, so want would-revert")
			}
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"groups.json"}, {"--input", filepath.Join(t.TempDir(), "nope.json")}} {
			if code, _, _ := runCmd(t, cmdAudit, args...); code != exitUsage {
				t.Errorf("audit %q = %d, want %d", args, code, exitUsage)
			}
		}
	})
}

func TestAuditLive(t *testing.T) {
	srv := startAccount(t)
	code, out, stderr := runCmd(t, cmdAudit)
	if code != exitFindings {
		t.Fatalf("audit = %d, want %d (stderr %s)", code, exitFindings, stderr)
	}
	for _, want := range []string{"us-east-1  scanned  14", "sgr-0ae404ccc4e3053b8", "eni-0de0d0c074d6170f5"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %q:\n%s", want, out)
		}
	}
	if stderr != "" {
		t.Errorf("audit wrote to stderr, which is not a terminal: %q", stderr)
	}
	if !ruleExists(t, srv, "sgr-0ae404ccc4e3053b8") {
		t.Error("audit from the CLI revoked a rule")
	}
	if n := srv.CallCount("RevokeSecurityGroupIngress"); n != 0 {
		t.Errorf("audit called RevokeSecurityGroupIngress %d times, want 0", n)
	}

	srv.Deny("DescribeSecurityGroups")
	if code, _, _ := runCmd(t, cmdAudit); code != exitRuntime {
		t.Errorf("audit with DescribeSecurityGroups denied = %d, want %d", code, exitRuntime)
	}
}

// The README's own example: the corpus glob exits 1 (it finds reverts),
// and the corpus's expected outcomes are skipped with a note, not an error.
func TestCheckEventsGlob(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(events, "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("glob events: %v, %d files", err, len(files))
	}
	code, out, stderr := runCmd(t, cmdCheck, files...)
	if code != exitFindings {
		t.Errorf("check events/*.json = %d, want %d\nstderr:\n%s", code, exitFindings, stderr)
	}
	if !strings.Contains(out, "expected.json: expected outcomes") || !strings.Contains(out, "skipped") {
		t.Errorf("check events/*.json does not say it skipped expected.json:\n%s", out)
	}
	if stderr != "" {
		t.Errorf("check events/*.json wrote errors:\n%s", stderr)
	}
	// An unreadable event of a supported API is what the function fails
	// closed on: a finding, not an input error.
	var ev map[string]any
	data, err := os.ReadFile(filepath.Join(events, "01-authorize-ingress-world-ssh.json"))
	if err != nil || json.Unmarshal(data, &ev) != nil {
		t.Fatalf("read event 01: %v", err)
	}
	detail := ev["detail"].(map[string]any)
	detail["requestParameters"] = map[string]any{"groupId": "sg-07de4ed24192540c9"}
	detail["responseElements"] = nil
	unreadable := filepath.Join(t.TempDir(), "unreadable.json")
	data, _ = json.Marshal(ev)
	if err := os.WriteFile(unreadable, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, cmdCheck, unreadable)
	if code != exitFindings || !strings.Contains(out, "would fail closed") {
		t.Errorf("check of an AuthorizeSecurityGroupIngress with no rule = %d, want %d and a note that the function fails closed:\n%s", code, exitFindings, out)
	}
}

// An input that cannot be judged makes check say so once: the verdict never
// reads "compliant" above exit 2, and the JSON lists the failed input.
func TestCheckFailedInput(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader("{}")
	code, out, stderr := runCmd(t, cmdCheck, "-")
	if code != exitUsage || strings.Contains(out, "compliant") || !strings.Contains(out, "1 input not judged") {
		t.Errorf("echo '{}' | check - = %d\nstdout:\n%s\nstderr:\n%s\nwant 2, no \"compliant\", \"1 input not judged\"", code, out, stderr)
	}
	stdin = strings.NewReader("{}")
	code, out, _ = runCmd(t, cmdCheck, "--output", "json", "-", filepath.Join(events, "01-authorize-ingress-world-ssh.json"))
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != exitUsage || len(rep.Failed) != 1 || rep.Failed[0].Source != "-" || !strings.Contains(rep.Failed[0].Error, "eventID") {
		t.Errorf("check --output json = %d, failed %+v; want 2 and the failed input with its error", code, rep.Failed)
	}
	if len(rep.Findings) == 0 {
		t.Error("a failed input hid the findings of the good one")
	}
}

// Flag errors use the documented --flag style with the command's prefix.
func TestFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--nope", "x.json"}, "sgwarden check: unknown flag --nope\n"},
		{[]string{"check", "-nope", "x.json"}, "sgwarden check: unknown flag --nope\n"},
		{[]string{"check", "x.json", "--policy"}, "sgwarden check: missing value for --policy\n"},
		{[]string{"replay", "--mode", "yes", "x.json"}, `sgwarden replay: invalid value "yes" for --mode: "yes" is not one of dry-run, enforce`},
		{[]string{"--nope"}, "sgwarden: unknown flag --nope"},
		{[]string{"doctor", "--nope"}, "sgwarden doctor: unknown flag --nope"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, errb.String(), exitUsage, c.want)
		}
		if strings.Contains(errb.String(), " -nope") || strings.Contains(errb.String(), "flag provided") {
			t.Errorf("run(%q) stderr uses the flag package's wording: %q", c.args, errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "sgwarden ") {
			t.Errorf("run(%q) = %d, %q; want 0 and \"sgwarden VERSION ...\"", args, code, out.String())
		}
	}
}

// Control characters in AWS data are escaped in tables, so a group name
// cannot clear the screen or forge a row.
func TestTableEscapesControlCharacters(t *testing.T) {
	var b strings.Builder
	tb := &table{header: []string{"GROUP", "NAME"}}
	tb.add("sg-1", "web\x1b[2J\nsg-2  revert")
	if err := tb.write(&b, false); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b") || strings.Count(b.String(), "\n") != 2 {
		t.Errorf("table output carries control characters:\n%q", b.String())
	}
	if !strings.Contains(b.String(), `web\x1b[2J\nsg-2`) {
		t.Errorf("table output = %q, want the name escaped", b.String())
	}
}

// validate lists the trusted peers and each exemption with its expiry
// status on the day judged.
func TestValidateExemptionStatus(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.yaml")
	src := `version: 1
base: default
trusted: {cidrs: [81.2.69.0/24], prefixLists: [pl-0vpn]}
exemptions:
  - {id: old, reason: migration, groupIds: [sg-1], expires: 2026-11-20}
  - {id: soon, reason: vendor test, groupIds: [sg-2], expires: 2026-11-29, checks: [remote-admin-world]}
  - {id: today, reason: cutover, groupIds: [sg-3], expires: 2026-11-26}
  - {id: later, reason: pentest, actorArn: "arn:aws:iam::*:role/Pentest", expires: 2027-01-31}
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, cmdValidate, "--at", "2026-11-26", "--output", "json", p)
	var res validateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
		t.Fatalf("validate = %d, %v (stderr %s)", code, err, stderr)
	}
	got := map[string]string{}
	for _, x := range res.Exemptions {
		got[x.ID] = x.Status
	}
	want := map[string]string{"group-tag-exempt": "no-expiry", "rule-tag-exempt": "no-expiry", "old": "expired", "soon": "expiring", "today": "expiring", "later": "active"}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("exemption %s status = %q, want %q", id, got[id], st)
		}
	}
	if strings.Join(res.Trusted, ",") != "81.2.69.0/24,pl-0vpn" {
		t.Errorf("trusted = %v", res.Trusted)
	}
	_, out, _ = runCmd(t, cmdValidate, "--at", "2026-11-26", p)
	for _, w := range []string{"expired: its last day was 2026-11-20", "expires in 3 days (last day 2026-11-29)", "expires today", "Trusted (no check flags them): 81.2.69.0/24, pl-0vpn"} {
		if !strings.Contains(out, w) {
			t.Errorf("validate table lacks %q:\n%s", w, out)
		}
	}
	// An exemption without a reason is invalid.
	if err := os.WriteFile(p, []byte("version: 1\nexemptions:\n  - {id: x, groupIds: [sg-1]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, cmdValidate, p); code != exitFindings || !strings.Contains(out, "exemptions[0].reason: missing") {
		t.Errorf("validate of an exemption without reason = %d:\n%s", code, out)
	}
}
