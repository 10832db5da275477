package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/awslocal"
)

func orgEnv(t *testing.T, extra map[string]string) {
	t.Helper()
	env := map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "eu-central-1",
		"AWS_ACCESS_KEY_ID": "AKIDORGTEST", "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"SGWARDEN_TOPIC_ARN":     "arn:aws:sns:eu-central-1:" + awslocal.DefaultAccount + ":org-alerts",
		"SGWARDEN_REPORT_BUCKET": "org-reports", "SGWARDEN_REGIONS": "", "SGWARDEN_MODE": "", "SGWARDEN_POLICY_FILE": "",
		"SGWARDEN_MAX_REVERTS": "", "SGWARDEN_ORG_OUS": "", "SGWARDEN_READ_ROLE_NAME": "", "SGWARDEN_REVERT_ROLE_NAME": "",
	}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestSetupDefaults(t *testing.T) {
	orgEnv(t, map[string]string{"SGWARDEN_MODE": "dry-run"})
	s, err := setup(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Regions) != 1 || s.Regions[0] != "eu-central-1" || len(s.OUs) != 0 {
		t.Errorf("regions %v, OUs %v; want the function's region and the whole organization", s.Regions, s.OUs)
	}
	if s.Worker.Revert != nil {
		t.Error("dry-run mode built a revert provider")
	}
	orgEnv(t, map[string]string{"SGWARDEN_MODE": "enforce", "SGWARDEN_ORG_OUS": "ou-ab12-11111111", "SGWARDEN_REGIONS": "us-east-1,eu-west-1"})
	s, err = setup(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if s.Worker.Revert == nil || s.Worker.MaxReverts != 25 || len(s.Regions) != 2 || s.OUs[0] != "ou-ab12-11111111" {
		t.Errorf("enforce: %+v / worker %+v", s, s.Worker)
	}
}

func TestSetupReportsEveryProblem(t *testing.T) {
	orgEnv(t, map[string]string{"SGWARDEN_REPORT_BUCKET": "", "SGWARDEN_ORG_OUS": "root", "SGWARDEN_MODE": "loud"})
	_, err := setup(slog.New(slog.DiscardHandler))
	for _, want := range []string{"SGWARDEN_ORG_OUS", "SGWARDEN_MODE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("setup error = %v, want it to name %s", err, want)
		}
	}
}
