package lambdaenv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Names of the environment variables.
const (
	EnvPolicyFile       = "SGWARDEN_POLICY_FILE"
	EnvMode             = "SGWARDEN_MODE"
	EnvTopicARN         = "SGWARDEN_TOPIC_ARN"
	EnvRoleARN          = "SGWARDEN_ROLE_ARN"
	EnvPrefixListAction = "SGWARDEN_PREFIX_LIST_ACTION"
	EnvRegions          = "SGWARDEN_REGIONS"
	EnvMaxReverts       = "SGWARDEN_MAX_REVERTS"
	EnvReportBucket     = "SGWARDEN_REPORT_BUCKET"
	EnvReportPrefix     = "SGWARDEN_REPORT_PREFIX"
	// Findings outlets (docs/findings.md).
	EnvSecurityHub = "SGWARDEN_SECURITY_HUB"
	EnvEventBus    = "SGWARDEN_EVENT_BUS"
	EnvChatChannel = "SGWARDEN_CHAT_CHANNEL"
)

// DefaultReportPrefix is the key prefix of audit reports when none is set.
const DefaultReportPrefix = "reports"

// Settings is the parsed environment.
type Settings struct {
	// Engine is the compiled policy: the file's, or the embedded default.
	Engine *policy.Engine
	// PolicySource names where the policy came from, for the init log.
	PolicySource     string
	Mode             policy.Mode
	TopicARN         string
	RoleARN          string
	PrefixListAction policy.Action
	Regions          []string
	// MaxReverts bounds the audit's reverts; 0 means report only, and -1
	// (unset) leaves the audit's default.
	MaxReverts   int
	ReportBucket string
	ReportPrefix string
	// SecurityHub is true to import findings; EventBus receives the OCSF
	// events ("default" when unset); ChatChannel is "slack", "teams" or "".
	SecurityHub bool
	EventBus    string
	ChatChannel string
}

// ReadFile is how Load reads the policy file; os.ReadFile satisfies it.
type ReadFile func(name string) ([]byte, error)

// Load parses the environment given by getenv (os.Getenv in production).
// Every problem is joined into one error, each naming its variable.
func Load(getenv func(string) string, readFile ReadFile) (*Settings, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	s := &Settings{
		TopicARN:     strings.TrimSpace(getenv(EnvTopicARN)),
		RoleARN:      strings.TrimSpace(getenv(EnvRoleARN)),
		ReportBucket: strings.TrimSpace(getenv(EnvReportBucket)),
		ReportPrefix: strings.Trim(strings.TrimSpace(getenv(EnvReportPrefix)), "/"),
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}

	if path := strings.TrimSpace(getenv(EnvPolicyFile)); path == "" {
		s.Engine, s.PolicySource = policy.Default(), "embedded default"
	} else if data, err := readFile(path); err != nil {
		errs = append(errs, fmt.Errorf("%s: read policy: %w", EnvPolicyFile, err))
	} else if eng, err := policy.Load(data, path); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvPolicyFile, err))
	} else {
		s.Engine, s.PolicySource = eng, path
	}

	switch m := policy.Mode(strings.TrimSpace(getenv(EnvMode))); m {
	case "", policy.ModeEnforce, policy.ModeDryRun:
		s.Mode = m
	default:
		bad(EnvMode, "%q is not %q or %q", m, policy.ModeEnforce, policy.ModeDryRun)
	}

	if s.TopicARN == "" {
		bad(EnvTopicARN, "required: the SNS topic that receives alerts")
	} else if !strings.HasPrefix(s.TopicARN, "arn:") || !strings.Contains(s.TopicARN, ":sns:") {
		bad(EnvTopicARN, "%q is not an SNS topic ARN", s.TopicARN)
	}

	switch a := policy.Action(strings.TrimSpace(getenv(EnvPrefixListAction))); a {
	case "":
		s.PrefixListAction = policy.ActionAlert
	case policy.ActionAlert, policy.ActionRevert:
		s.PrefixListAction = a
	default:
		bad(EnvPrefixListAction, "%q is not %q or %q", a, policy.ActionAlert, policy.ActionRevert)
	}

	for _, r := range strings.Split(getenv(EnvRegions), ",") {
		if r = strings.TrimSpace(r); r != "" {
			s.Regions = append(s.Regions, r)
		}
	}

	s.MaxReverts = -1
	if v := strings.TrimSpace(getenv(EnvMaxReverts)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad(EnvMaxReverts, "%q is not a non-negative integer", v)
		}
		s.MaxReverts = n
	}
	if s.ReportPrefix == "" {
		s.ReportPrefix = DefaultReportPrefix
	}

	switch v := strings.TrimSpace(getenv(EnvSecurityHub)); v {
	case "", "false":
	case "true":
		s.SecurityHub = true
	default:
		bad(EnvSecurityHub, "%q is not true or false", v)
	}
	if s.EventBus = strings.TrimSpace(getenv(EnvEventBus)); s.EventBus == "" {
		s.EventBus = "default"
	}
	if ch, err := chat.ParseChannel(strings.TrimSpace(getenv(EnvChatChannel))); err != nil {
		bad(EnvChatChannel, "%v", err)
	} else {
		s.ChatChannel = string(ch)
	}

	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sgwarden configuration: %w", err)
	}
	if s.Mode != "" {
		s.Engine = s.Engine.WithMode(s.Mode)
	}
	return s, nil
}
