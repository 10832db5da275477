package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
)

// lambdaEnv sets the environment a deployed function gets, pointed at srv.
func lambdaEnv(t *testing.T, srv *awslocal.Server, region string) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL(), "AWS_REGION": region,
		"AWS_ACCESS_KEY_ID": "AKIDAUDITTEST", "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "",
		"SGWARDEN_TOPIC_ARN": "arn:aws:sns:" + region + ":" + awslocal.DefaultAccount + ":sgwarden-alerts",
		"SGWARDEN_REGIONS":   "", "SGWARDEN_MODE": "", "SGWARDEN_POLICY_FILE": "", "SGWARDEN_MAX_REVERTS": "",
		"SGWARDEN_REPORT_BUCKET": "", "SGWARDEN_REPORT_PREFIX": "",
	} {
		t.Setenv(k, v)
	}
}

// TestSetupDefaults: with only the topic set, the function audits its own
// region, with no report bucket, and its run publishes one summary.
func TestSetupDefaults(t *testing.T) {
	srv := awslocal.Start(t, awslocal.WithRegion("eu-central-1"), awslocal.WithFixture(&awslocal.Fixture{
		Region: "eu-central-1",
		Groups: []awslocal.GroupSpec{{ID: "sg-0main00000000001", Name: "web", VPC: "vpc-0main0000000001",
			Ingress: []awslocal.RuleSpec{awslocal.TCP(22, "0.0.0.0/0")}}},
	}))
	srv.CreateTopic("eu-central-1", "sgwarden-alerts")
	lambdaEnv(t, srv, "eu-central-1")
	t.Setenv("SGWARDEN_MODE", "dry-run")

	a, err := setup(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if got := a.Regions(); len(got) != 1 || got[0] != "eu-central-1" {
		t.Errorf("regions = %v, want the function's region [eu-central-1]", got)
	}
	if a.Mode() != "dry-run" {
		t.Errorf("mode = %s, want dry-run from SGWARDEN_MODE", a.Mode())
	}
	rep, err := a.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Counts.ByCheck["remote-admin-world"].Total != 1 {
		t.Errorf("counts = %+v, want the open ssh rule found", rep.Counts.ByCheck)
	}
	msgs := srv.SNSMessages()
	if len(msgs) != 1 {
		t.Fatalf("%d summaries published, want 1", len(msgs))
	}
	var s audit.Summary
	if err := json.Unmarshal([]byte(msgs[0].DefaultMessage()), &s); err != nil || s.Report != "" {
		t.Errorf("summary %+v (%v): want one with no stored report (no bucket configured)", s.Report, err)
	}
}

// TestSetupRegions: SGWARDEN_REGIONS overrides the function's region.
func TestSetupRegions(t *testing.T) {
	srv := awslocal.Start(t)
	lambdaEnv(t, srv, "us-east-1")
	t.Setenv("SGWARDEN_REGIONS", "us-east-1, eu-west-1")
	t.Setenv("SGWARDEN_REPORT_BUCKET", "sgwarden-reports")
	a, err := setup(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	if got := strings.Join(a.Regions(), ","); got != "us-east-1,eu-west-1" {
		t.Errorf("regions = %s, want us-east-1,eu-west-1", got)
	}
}

// TestSetupErrors: bad configuration fails at init with errors that name
// what to set, all at once.
func TestSetupErrors(t *testing.T) {
	srv := awslocal.Start(t)
	lambdaEnv(t, srv, "us-east-1")
	t.Setenv("SGWARDEN_TOPIC_ARN", "")
	t.Setenv("SGWARDEN_MODE", "yolo")
	t.Setenv("SGWARDEN_MAX_REVERTS", "-3")
	_, err := setup(context.Background(), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("setup accepted a bad configuration")
	}
	for _, want := range []string{"SGWARDEN_TOPIC_ARN", "SGWARDEN_MODE", "SGWARDEN_MAX_REVERTS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("setup error %q does not name %s", err, want)
		}
	}

	lambdaEnv(t, srv, "")
	_, err = setup(context.Background(), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION: not set") {
		t.Errorf("setup without any region: %v, want an error saying what to set", err)
	}
}
