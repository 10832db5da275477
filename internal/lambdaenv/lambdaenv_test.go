package lambdaenv

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/sgwarden/sgwarden/internal/policy"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const topic = "arn:aws:sns:us-east-1:123456789012:sgwarden-alerts"

func TestLoadDefaults(t *testing.T) {
	s, err := Load(env(map[string]string{EnvTopicARN: topic}), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.PolicySource != "embedded default" || s.Engine == nil {
		t.Errorf("policy = %q, engine nil %v; want the embedded default", s.PolicySource, s.Engine == nil)
	}
	if s.PrefixListAction != policy.ActionAlert || s.ReportPrefix != DefaultReportPrefix || len(s.Regions) != 0 || s.MaxReverts != -1 {
		t.Errorf("defaults = %+v", s)
	}
}

func TestLoadAll(t *testing.T) {
	files := map[string]string{"/opt/policy.yaml": "version: 1\nmode: enforce\nbase: default\n"}
	read := func(name string) ([]byte, error) {
		if v, ok := files[name]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
	s, err := Load(env(map[string]string{
		EnvTopicARN: topic, EnvPolicyFile: "/opt/policy.yaml", EnvMode: "dry-run",
		EnvPrefixListAction: "revert", EnvRegions: "us-east-1, eu-west-1,,", EnvMaxReverts: "7",
		EnvReportBucket: "b", EnvReportPrefix: "/audit/",
	}), read)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Engine.Mode() != policy.ModeDryRun {
		t.Errorf("engine mode = %s, want the dry-run override", s.Engine.Mode())
	}
	if got := strings.Join(s.Regions, "|"); got != "us-east-1|eu-west-1" {
		t.Errorf("regions = %q", got)
	}
	if s.MaxReverts != 7 || s.ReportPrefix != "audit" || s.PrefixListAction != policy.ActionRevert || s.PolicySource != "/opt/policy.yaml" {
		t.Errorf("settings = %+v", s)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	read := func(string) ([]byte, error) { return []byte("version: 2\nchecks: nope\n"), nil }
	_, err := Load(env(map[string]string{
		EnvTopicARN: "not-an-arn", EnvPolicyFile: "p.yaml", EnvMode: "yolo",
		EnvPrefixListAction: "delete", EnvMaxReverts: "-1",
	}), read)
	if err == nil {
		t.Fatal("Load accepted a broken environment")
	}
	for _, name := range []string{EnvTopicARN, EnvPolicyFile, EnvMode, EnvPrefixListAction, EnvMaxReverts} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if !errors.Is(err, policy.ErrInvalidPolicy) {
		t.Errorf("error does not wrap policy.ErrInvalidPolicy: %v", err)
	}
}

func TestLoadMissingTopicAndFile(t *testing.T) {
	_, err := Load(env(map[string]string{EnvPolicyFile: "/nope.yaml"}), func(string) ([]byte, error) { return nil, fs.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), EnvTopicARN) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load = %v, want errors naming the topic and the missing file", err)
	}
}

func TestNewLoggerIsJSON(t *testing.T) {
	tests := []struct {
		level     string
		wantDebug bool
		wantInfo  bool
	}{
		{"", false, true},
		{"DEBUG", true, true},
		{"warn", false, false},
		{"nonsense", false, true},
	}
	for _, tt := range tests {
		var b strings.Builder
		l := NewLogger(&b, env(map[string]string{EnvLogLevel: tt.level}))
		l.Debug("d", "event_id", "e1")
		l.Info("i", "event_id", "e2")
		out := b.String()
		if strings.Contains(out, `"message":"d"`) != tt.wantDebug || strings.Contains(out, `"message":"i"`) != tt.wantInfo {
			t.Errorf("NewLogger(level %q) wrote %q; want debug %v, info %v", tt.level, out, tt.wantDebug, tt.wantInfo)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line != "" && (!strings.HasPrefix(line, `{"timestamp":`) || !strings.Contains(line, `"event_id":`)) {
				t.Errorf("log line %q is not Lambda-style JSON", line)
			}
		}
	}
}

func TestLoadMaxRevertsZeroMeansReportOnly(t *testing.T) {
	s, err := Load(env(map[string]string{EnvTopicARN: topic, EnvMaxReverts: "0"}), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.MaxReverts != 0 {
		t.Errorf("MaxReverts = %d, want 0 (report only), distinct from unset (-1)", s.MaxReverts)
	}
}

func TestLoadFindingsOutlets(t *testing.T) {
	s, err := Load(env(map[string]string{EnvTopicARN: topic}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.SecurityHub || s.EventBus != "default" || s.ChatChannel != "" {
		t.Errorf("defaults: hub %v bus %q chat %q; want off, default, off", s.SecurityHub, s.EventBus, s.ChatChannel)
	}
	s, err = Load(env(map[string]string{EnvTopicARN: topic, EnvSecurityHub: "true", EnvEventBus: "arn:aws:events:us-east-1:123456789012:event-bus/sec", EnvChatChannel: "teams"}), nil)
	if err != nil || !s.SecurityHub || s.EventBus != "arn:aws:events:us-east-1:123456789012:event-bus/sec" || s.ChatChannel != "teams" {
		t.Errorf("set: %+v, %v", s, err)
	}
	_, err = Load(env(map[string]string{EnvTopicARN: topic, EnvSecurityHub: "yes", EnvChatChannel: "discord"}), nil)
	if err == nil || !strings.Contains(err.Error(), EnvSecurityHub) || !strings.Contains(err.Error(), EnvChatChannel) {
		t.Errorf("bad values: err = %v, want both named", err)
	}
}
