package stack

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func lookupOf(ctx map[string]any) func(string) any {
	return func(k string) any { return ctx[k] }
}

func TestParseSettingsDefaults(t *testing.T) {
	got, err := ParseSettings(lookupOf(nil))
	if err != nil {
		t.Fatalf("ParseSettings(no context) error: %v", err)
	}
	want := &Settings{
		Mode:             "dry-run",
		AuditSchedule:    "rate(1 hour)",
		AuditInterval:    time.Hour,
		ReportPrefix:     "reports/",
		PrefixListAction: "alert",
		LogRetentionDays: 90,
		MaxReverts:       -1,
		RevertsIngress:   true, // the embedded default reverts inbound rules only
		Deployment:       "account",
		StackSetCallAs:   "DELEGATED_ADMIN",
		EventBus:         "default",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSettings(no context) = %+v, want %+v", got, want)
	}
}

func TestParseSettingsGood(t *testing.T) {
	policyPath := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policyPath, []byte(customPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		ctx   map[string]any
		check func(*Settings) bool
	}{
		{"enforce", map[string]any{CtxMode: "enforce"}, func(s *Settings) bool { return s.Mode == "enforce" }},
		{"emails as a string", map[string]any{CtxAlertEmails: " a@example.com,b@example.org "},
			func(s *Settings) bool {
				return reflect.DeepEqual(s.AlertEmails, []string{"a@example.com", "b@example.org"})
			}},
		{"emails as a JSON list", map[string]any{CtxAlertEmails: []any{"a@example.com"}},
			func(s *Settings) bool { return reflect.DeepEqual(s.AlertEmails, []string{"a@example.com"}) }},
		{"regions", map[string]any{CtxRegions: "eu-west-1,us-gov-west-1"},
			func(s *Settings) bool { return reflect.DeepEqual(s.Regions, []string{"eu-west-1", "us-gov-west-1"}) }},
		{"rate in minutes", map[string]any{CtxAuditSchedule: "rate(15 minutes)"},
			func(s *Settings) bool { return s.AuditInterval == 15*time.Minute }},
		{"cron", map[string]any{CtxAuditSchedule: "cron(0 6 * * ? *)"},
			func(s *Settings) bool { return s.AuditSchedule == "cron(0 6 * * ? *)" && s.AuditInterval == 0 }},
		{"trail as a string", map[string]any{CtxCreateTrail: "true"}, func(s *Settings) bool { return s.CreateTrail }},
		{"report bucket created", map[string]any{CtxReportBucket: true},
			func(s *Settings) bool { return s.CreateReportBucket && s.ReportBucketName == "" }},
		{"report bucket named", map[string]any{CtxReportBucket: "acme-reports"},
			func(s *Settings) bool { return !s.CreateReportBucket && s.ReportBucketName == "acme-reports" }},
		{"retention from cdk.json", map[string]any{CtxLogRetentionDays: float64(365)},
			func(s *Settings) bool { return s.LogRetentionDays == 365 }},
		{"max reverts zero: the audit reports only", map[string]any{CtxMaxReverts: "0"}, func(s *Settings) bool { return s.MaxReverts == 0 }},
		{"policy file", map[string]any{CtxPolicyFile: policyPath}, func(s *Settings) bool { return s.PolicyFile == policyPath }},
		{"organization", map[string]any{CtxDeployment: "organization", CtxOrganizationalUnits: "ou-ab12-11111111, r-ab12",
			CtxOrganizationID: "o-abcdef1234", CtxStackSetCallAs: "SELF"},
			func(s *Settings) bool {
				return s.Organization() && reflect.DeepEqual(s.OrganizationalUnits, []string{"ou-ab12-11111111", "r-ab12"}) &&
					s.OrganizationID == "o-abcdef1234" && s.StackSetCallAs == "SELF"
			}},
		{"findings outlets", map[string]any{CtxSecurityHub: "true", CtxEventBus: "security-findings", CtxChatChannel: "teams"},
			func(s *Settings) bool {
				return s.SecurityHub && s.EventBus == "security-findings" && s.ChatChannel == "teams"
			}},
		{"event bus ARN", map[string]any{CtxEventBus: "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
			func(s *Settings) bool { return s.EventBus == "arn:aws:events:eu-west-1:210987654321:event-bus/central" }},
		{"prefix-list revert", map[string]any{CtxPrefixListAction: "revert"},
			func(s *Settings) bool { return s.PrefixListAction == "revert" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSettings(lookupOf(tc.ctx))
			if err != nil {
				t.Fatalf("ParseSettings(%v) error: %v", tc.ctx, err)
			}
			if !tc.check(got) {
				t.Errorf("ParseSettings(%v) = %+v", tc.ctx, got)
			}
		})
	}
}

// TestParseSettingsRefusesBadContext: each bad value is refused with a
// message naming its key and saying what is wrong.
func TestParseSettingsRefusesBadContext(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPolicy, []byte("version: 1\nmode: sometimes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  map[string]any
		want []string // substrings of the message
	}{
		{"unknown mode", map[string]any{CtxMode: "enforced"}, []string{"mode:", `"enforced"`, "enforce, dry-run"}},
		{"mode of the wrong type", map[string]any{CtxMode: true}, []string{"mode:", "want a string"}},
		{"missing policy file", map[string]any{CtxPolicyFile: filepath.Join(dir, "nope.yaml")}, []string{"policyFile:", "no such file"}},
		{"policy file is a directory", map[string]any{CtxPolicyFile: dir}, []string{"policyFile:", "not a regular file"}},
		{"invalid policy", map[string]any{CtxPolicyFile: badPolicy}, []string{"policyFile:", "not a valid policy"}},
		{"display-name e-mail", map[string]any{CtxAlertEmails: "Ops <ops@example.com>"}, []string{"alertEmails:", "not a bare e-mail address"}},
		{"e-mail without a domain", map[string]any{CtxAlertEmails: "ops@localhost"}, []string{"alertEmails:", `"ops@localhost"`}},
		{"e-mail twice", map[string]any{CtxAlertEmails: "a@example.com,a@example.com"}, []string{"alertEmails:", "listed twice"}},
		{"e-mail list element", map[string]any{CtxAlertEmails: []any{"a@example.com", 7.0}}, []string{"alertEmails:", "list of strings"}},
		{"region typo", map[string]any{CtxRegions: "eu-west1"}, []string{"regions:", `"eu-west1"`, "region name"}},
		{"region twice", map[string]any{CtxRegions: "eu-west-1, eu-west-1"}, []string{"regions:", "listed twice"}},
		{"plural rate of one", map[string]any{CtxAuditSchedule: "rate(1 hours)"}, []string{"auditSchedule:", "singular"}},
		{"singular rate of many", map[string]any{CtxAuditSchedule: "rate(5 minute)"}, []string{"auditSchedule:", "plural"}},
		{"zero rate", map[string]any{CtxAuditSchedule: "rate(0 minutes)"}, []string{"auditSchedule:", "whole number from 1"}},
		{"cron with five fields", map[string]any{CtxAuditSchedule: "cron(0 6 * * ?)"}, []string{"auditSchedule:", "6 fields"}},
		{"cron without ?", map[string]any{CtxAuditSchedule: "cron(0 6 * * * *)"}, []string{"auditSchedule:", "must be ?"}},
		{"not a schedule", map[string]any{CtxAuditSchedule: "hourly"}, []string{"auditSchedule:", "not rate(N unit) or cron(...)"}},
		{"trail yes", map[string]any{CtxCreateTrail: "yes"}, []string{"createTrail:", "not true or false"}},
		{"trail number", map[string]any{CtxCreateTrail: 1.0}, []string{"createTrail:", "want true or false"}},
		{"bad bucket name", map[string]any{CtxReportBucket: "My_Bucket"}, []string{"reportBucket:", "valid S3 bucket name"}},
		{"bucket looks like an IP", map[string]any{CtxReportBucket: "10.0.0.1"}, []string{"reportBucket:", "valid S3 bucket name"}},
		{"prefix without slash", map[string]any{CtxReportPrefix: "reports"}, []string{"reportPrefix:", "ending in /"}},
		{"absolute prefix", map[string]any{CtxReportPrefix: "/reports/"}, []string{"reportPrefix:"}},
		{"prefix-list action", map[string]any{CtxPrefixListAction: "delete"}, []string{"prefixListAction:", `"delete"`, "alert, revert"}},
		{"retention not allowed", map[string]any{CtxLogRetentionDays: 10.0}, []string{"logRetentionDays:", "not a CloudWatch Logs retention"}},
		{"retention not a number", map[string]any{CtxLogRetentionDays: "ninety"}, []string{"logRetentionDays:", "not a whole number"}},
		{"fractional retention", map[string]any{CtxLogRetentionDays: 7.5}, []string{"logRetentionDays:", "not a whole number"}},
		{"negative max reverts", map[string]any{CtxMaxReverts: "-1"}, []string{"maxReverts:", "outside 0..10000"}},
		{"too many max reverts", map[string]any{CtxMaxReverts: 10001.0}, []string{"maxReverts:", "outside 0..10000"}},
		{"unknown deployment", map[string]any{CtxDeployment: "org"}, []string{"deployment:", `"org"`, "account, organization"}},
		{"organization without OUs", map[string]any{CtxDeployment: "organization"}, []string{"organizationalUnits:", "at least one"}},
		{"OU typo", map[string]any{CtxDeployment: "organization", CtxOrganizationalUnits: "ou-ab12"}, []string{"organizationalUnits:", `"ou-ab12"`}},
		{"OUs in account shape", map[string]any{CtxOrganizationalUnits: "ou-ab12-11111111"}, []string{"organizationalUnits:", "only with deployment=organization"}},
		{"bad organization ID", map[string]any{CtxOrganizationID: "o-1"}, []string{"organizationId:", "not an organization ID"}},
		{"trail in organization shape", map[string]any{CtxDeployment: "organization", CtxOrganizationalUnits: "r-ab12", CtxCreateTrail: true},
			[]string{"createTrail:", "organization trail"}},
		{"call-as typo", map[string]any{CtxStackSetCallAs: "ADMIN"}, []string{"stackSetCallAs:", "DELEGATED_ADMIN, SELF"}},
		{"security hub yes", map[string]any{CtxSecurityHub: "yes"}, []string{"securityHub:", "not true or false"}},
		{"bad bus name", map[string]any{CtxEventBus: "my bus"}, []string{"eventBus:", "not an event bus name"}},
		{"bad bus ARN", map[string]any{CtxEventBus: "arn:aws:sns:eu-west-1:210987654321:topic"}, []string{"eventBus:", "not an event bus ARN"}},
		{"chat channel", map[string]any{CtxChatChannel: "discord"}, []string{"chatChannel:", `"discord"`, "slack, teams"}},
		{"every problem at once", map[string]any{CtxMode: "on", CtxRegions: "mars-1"}, []string{"mode:", "regions:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSettings(lookupOf(tc.ctx))
			if err == nil {
				t.Fatalf("ParseSettings(%v) = %+v, want an error", tc.ctx, got)
			}
			if !errors.Is(err, ErrInvalidContext) {
				t.Errorf("ParseSettings(%v) error %v does not wrap ErrInvalidContext", tc.ctx, err)
			}
			var ce *ContextError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Errorf("ParseSettings(%v) error %T lists no problems", tc.ctx, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseSettings(%v) error %q does not mention %q", tc.ctx, err, w)
				}
			}
		})
	}
}

// TestStackRefusesBadContext: the constructor returns the error and leaves
// the app empty, so `cdk synth` fails with the message instead of a panic.
func TestStackRefusesBadContext(t *testing.T) {
	app := newApp(tempDir(t, "bad-context"), map[string]any{CtxMode: "enforced", CtxAuditSchedule: "hourly"})
	st, err := NewSgwardenStack(app, "Sgwarden", &SgwardenStackProps{BuildDir: fakeBuild(t)})
	if err == nil || !errors.Is(err, ErrInvalidContext) {
		t.Fatalf("NewSgwardenStack(bad context) = %v, %v; want ErrInvalidContext", st, err)
	}
	for _, w := range []string{"mode:", "auditSchedule:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %s", err, w)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("app has %d children after a refused stack, want 0", n)
	}
}

func TestStackNeedsBuiltFunctions(t *testing.T) {
	build := fakeBuild(t)
	if err := os.Remove(filepath.Join(build, "audit", "bootstrap")); err != nil {
		t.Fatal(err)
	}
	app := newApp(tempDir(t, "not-built"), nil)
	_, err := NewSgwardenStack(app, "Sgwarden", &SgwardenStackProps{BuildDir: build})
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "audit") {
		t.Errorf("NewSgwardenStack(no audit bootstrap) error = %v, want ErrNotBuilt naming audit", err)
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("app has %d children after a refused stack, want 0", n)
	}
}

// TestDefaultBuildDir: the stack packages what `make build` writes.
func TestDefaultBuildDir(t *testing.T) {
	dir, err := DefaultBuildDir()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(dir, "..", "Makefile"))
	if err != nil {
		t.Fatalf("DefaultBuildDir() = %s, which is not beside the repository's Makefile: %v", dir, err)
	}
	if filepath.Base(dir) != "build" || !strings.Contains(string(makefile), "BUILD := build") {
		t.Errorf("DefaultBuildDir() = %s, but the Makefile does not build into build/", dir)
	}
}
