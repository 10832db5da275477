package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
)

// Status is the outcome of one check.
type Status string

const (
	StatusPass Status = "pass"
	// StatusWarn works today but is fragile; it does not fail the run.
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	// StatusSkip could not be checked (access denied, or an earlier
	// failure made it meaningless).
	StatusSkip Status = "skip"
)

// Check IDs, in the order Run reports them.
const (
	CheckTrail             = "trail"
	CheckRule              = "rule"
	CheckPattern           = "pattern"
	CheckTarget            = "target"
	CheckFunction          = "function"
	CheckPermission        = "permission"
	CheckFailedInvocations = "failed-invocations"
	CheckFunctionErrors    = "function-errors"
	CheckDLQ               = "dlq"
	CheckRole              = "role"
)

// Check is one line of the checklist.
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do when Status is fail or warn.
	Fix string `json:"fix,omitempty"`
}

// Report is the whole checklist.
type Report struct {
	Region      string  `json:"region"`
	Account     string  `json:"account,omitempty"`
	EventBus    string  `json:"eventBus"`
	Rule        string  `json:"rule,omitempty"`
	RuleARN     string  `json:"ruleArn,omitempty"`
	Function    string  `json:"function,omitempty"`
	FunctionARN string  `json:"functionArn,omitempty"`
	Checks      []Check `json:"checks"`
	OK          bool    `json:"ok"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// Count returns how many checks have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Config says what to diagnose.
type Config struct {
	Region string
	// EventBus defaults to "default".
	EventBus string
	// Rule and Function name the deployment; an empty Rule means discover:
	// the first rule (by name) with an event pattern and a Lambda target
	// that is Function (a name or ARN), or that Stack deployed, or whose
	// name contains "sgwarden" when both are empty.
	Rule     string
	Function string
	// Stack is the CloudFormation stack name (sgwarden-cdk deploys
	// "Sgwarden" or "Sgwarden-REGION"). CloudFormation names the stack's
	// resources STACK-LOGICALID-SUFFIX, so the rule is the one named
	// STACK-SecurityGroupChangeRule* and the function STACK-RemediateFunction*.
	Stack string
	// Account is the caller's account, used until the rule's ARN says
	// otherwise (and to match SourceAccount conditions).
	Account string
	// EventNames the pattern must cover; defaults to
	// cloudtrail.SupportedEventNames.
	EventNames []string
	// Window for the metrics; defaults to 24 h.
	Window time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
	// OnCheck, when set, is called after each check (for progress).
	OnCheck func(Check)
}

// Names CloudFormation derives from the stack's logical IDs
// (infra/cdk/stack: SecurityGroupChangeRule, RemediateFunction).
const (
	stackRuleID     = "-SecurityGroupChangeRule"
	stackFunctionID = "-RemediateFunction"
)

func (c *Config) defaults() {
	if c.EventBus == "" {
		c.EventBus = "default"
	}
	if c.EventNames == nil {
		c.EventNames = cloudtrail.SupportedEventNames
	}
	if c.Window <= 0 {
		c.Window = 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Titles of the checks, as printed.
var titles = map[string]string{
	CheckTrail:             "CloudTrail logs management events",
	CheckRule:              "EventBridge rule exists and is enabled",
	CheckPattern:           "rule pattern covers the decoder's events",
	CheckTarget:            "rule targets the function",
	CheckFunction:          "function exists",
	CheckPermission:        "function allows the rule to invoke it",
	CheckFailedInvocations: "no failed invocations",
	CheckFunctionErrors:    "no function errors",
	CheckDLQ:               "dead-letter queue is empty",
	CheckRole:              "function role can revoke",
}

// Run performs every check. It returns an error only for a bad
// configuration; AWS failures become failed checks.
func Run(ctx context.Context, cl Clients, cfg Config) (*Report, error) {
	if err := cl.validate(); err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("doctor: region is required")
	}
	cfg.defaults()
	d := &run{cl: cl, cfg: cfg, rep: &Report{Region: cfg.Region, EventBus: cfg.EventBus, Account: cfg.Account}}
	d.checkTrail(ctx)
	d.checkRule(ctx)
	d.checkPattern()
	d.checkTarget(ctx)
	d.checkFunction(ctx)
	d.checkPermission(ctx)
	d.checkFailedInvocations(ctx)
	d.checkFunctionErrors(ctx)
	d.checkDLQ(ctx)
	d.checkRole(ctx)
	d.rep.OK = !d.rep.Failed()
	return d.rep, nil
}

func (d *run) add(id string, s Status, detail, fix string) {
	c := Check{ID: id, Title: titles[id], Status: s, Detail: detail, Fix: fix}
	d.rep.Checks = append(d.rep.Checks, c)
	if d.cfg.OnCheck != nil {
		d.cfg.OnCheck(c)
	}
}

func (d *run) skip(id, why string) { d.add(id, StatusSkip, why, "") }

// arnParts splits an ARN into its six colon-separated parts (the last may
// contain colons).
func arnParts(arn string) []string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return nil
	}
	return p
}

// functionNameOf returns the function name of a Lambda function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) and its
// qualifier, or ok false.
func functionNameOf(arn string) (name, qualifier string, ok bool) {
	p := arnParts(arn)
	if p == nil || p[2] != "lambda" || !strings.HasPrefix(p[5], "function:") {
		return "", "", false
	}
	rest := strings.TrimPrefix(p[5], "function:")
	name, qualifier, _ = strings.Cut(rest, ":")
	return name, qualifier, name != ""
}
