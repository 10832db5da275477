package stack

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// CDK context keys read by the stack (`cdk synth -c key=value` or cdk.json).
const (
	CtxPolicyFile       = "policyFile"
	CtxMode             = "mode"
	CtxAlertEmails      = "alertEmails"
	CtxAuditSchedule    = "auditSchedule"
	CtxRegions          = "regions"
	CtxCreateTrail      = "createTrail"
	CtxReportBucket     = "reportBucket"
	CtxReportPrefix     = "reportPrefix"
	CtxPrefixListAction = "prefixListAction"
	CtxLogRetentionDays = "logRetentionDays"
	CtxMaxReverts       = "maxReverts"
	// Organization shape (docs/organizations.md).
	CtxDeployment          = "deployment"
	CtxOrganizationalUnits = "organizationalUnits"
	CtxOrganizationID      = "organizationId"
	CtxStackSetCallAs      = "stackSetCallAs"
	// Findings outlets (docs/findings.md).
	CtxSecurityHub = "securityHub"
	CtxEventBus    = "eventBus"
	CtxChatChannel = "chatChannel"
)

// Deployment shapes.
const (
	DeploymentAccount      = "account"
	DeploymentOrganization = "organization"
)

// Defaults applied when a context key is absent or empty.
const (
	DefaultMode             = string(policy.ModeDryRun)
	DefaultAuditSchedule    = "rate(1 hour)"
	DefaultReportPrefix     = "reports/"
	DefaultPrefixListAction = "alert"
	DefaultLogRetentionDays = 90
	DefaultEventBus         = "default"
)

// ErrInvalidContext is wrapped by the error ParseSettings returns for bad
// context values.
var ErrInvalidContext = errors.New("invalid CDK context")

// Settings are the deploy-time choices of one sgwarden installation.
type Settings struct {
	// PolicyFile is the absolute path of the policy YAML shipped to both
	// functions; empty means the embedded default policy.
	PolicyFile string
	// Mode is "enforce" or "dry-run"; it overrides the policy file's mode.
	Mode string
	// AlertEmails are subscribed to the alert topic.
	AlertEmails []string
	// AuditSchedule is an EventBridge schedule expression, rate(...) or cron(...).
	AuditSchedule string
	// AuditInterval is the period of a rate() schedule; zero for cron().
	AuditInterval time.Duration
	// Regions get one stack each; empty means one stack for the CLI's region.
	Regions []string
	// CreateTrail adds a single-region CloudTrail trail to each stack.
	CreateTrail bool
	// CreateReportBucket makes a report bucket; ReportBucketName names an
	// existing one instead. Both unset: no reports are written.
	CreateReportBucket bool
	ReportBucketName   string
	// ReportPrefix is the key prefix the audit writes reports under.
	ReportPrefix string
	// PrefixListAction is "alert" or "revert" for public prefix-list entries.
	PrefixListAction string
	// LogRetentionDays of both functions' log groups.
	LogRetentionDays int
	// MaxReverts caps the audit's reverts per run; -1 leaves the function's default.
	MaxReverts int
	// RevertsIngress and RevertsEgress say whether a check of the policy
	// (the file's, or the embedded default) reverts inbound or outbound
	// rules; the roles get only the revoke actions those need.
	RevertsIngress, RevertsEgress bool

	// Deployment is "account" (one stack per region) or "organization"
	// (a central stack whose StackSet covers OrganizationalUnits).
	Deployment string
	// OrganizationalUnits are the OU (or root) IDs the StackSet targets.
	OrganizationalUnits []string
	// OrganizationID (o-...) bounds every cross-account resource policy;
	// empty makes it a CloudFormation parameter given at deploy time.
	OrganizationID string
	// StackSetCallAs is DELEGATED_ADMIN (deploying from the delegated
	// administrator account) or SELF (from the management account).
	StackSetCallAs string

	// SecurityHub imports findings into the account's default product.
	SecurityHub bool
	// EventBus, a name or an ARN, receives the OCSF events ("default").
	EventBus string
	// ChatChannel is "slack", "teams" or "" (no chat structure).
	ChatChannel string
}

// Organization reports whether the organization shape is chosen.
func (s *Settings) Organization() bool { return s.Deployment == DeploymentOrganization }

// Enforces reports whether the functions revert anything at all.
func (s *Settings) Enforces() bool { return s.Mode == string(policy.ModeEnforce) }

// AuditReverts reports whether the audit function may revert: enforce mode
// with a revert bound above zero (-1 leaves the audit's default, which is).
func (s *Settings) AuditReverts() bool { return s.Enforces() && s.MaxReverts != 0 }

// HasReportBucket reports whether the audit writes reports to S3.
func (s *Settings) HasReportBucket() bool { return s.CreateReportBucket || s.ReportBucketName != "" }

// ContextError lists every bad context value at once.
type ContextError struct {
	Problems []string // "key: what is wrong"
}

func (e *ContextError) Error() string {
	return ErrInvalidContext.Error() + ": " + strings.Join(e.Problems, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalidContext) hold.
func (e *ContextError) Unwrap() error { return ErrInvalidContext }

// ParseSettings reads and validates the context values returned by lookup
// (nil for an absent key). Strings come from `-c key=value`; booleans, numbers
// and lists may come from cdk.json. A relative policy file is resolved
// against the working directory, and the file must load as a valid policy.
func ParseSettings(lookup func(key string) any) (*Settings, error) {
	p := &parser{lookup: lookup}
	policyFile, engine := p.policyFile(CtxPolicyFile)
	s := &Settings{
		PolicyFile:       policyFile,
		Mode:             p.oneOf(CtxMode, DefaultMode, string(policy.ModeEnforce), string(policy.ModeDryRun)),
		AlertEmails:      p.emails(CtxAlertEmails),
		Regions:          p.regions(CtxRegions),
		CreateTrail:      p.boolean(CtxCreateTrail),
		ReportPrefix:     p.reportPrefix(CtxReportPrefix),
		PrefixListAction: p.oneOf(CtxPrefixListAction, DefaultPrefixListAction, string(policy.ActionAlert), string(policy.ActionRevert)),
		LogRetentionDays: p.retention(CtxLogRetentionDays),
		MaxReverts:       p.maxReverts(CtxMaxReverts),
	}
	s.AuditSchedule, s.AuditInterval = p.schedule(CtxAuditSchedule)
	if engine == nil {
		engine = policy.Default()
	}
	for _, c := range engine.Checks() {
		if c.Action == policy.ActionRevert {
			s.RevertsIngress = s.RevertsIngress || c.Ingress
			s.RevertsEgress = s.RevertsEgress || c.Egress
		}
	}
	s.CreateReportBucket, s.ReportBucketName = p.reportBucket(CtxReportBucket)
	s.Deployment = p.oneOf(CtxDeployment, DeploymentAccount, DeploymentAccount, DeploymentOrganization)
	s.OrganizationalUnits = p.organizationalUnits(CtxOrganizationalUnits)
	s.OrganizationID = p.organizationID(CtxOrganizationID)
	s.SecurityHub = p.boolean(CtxSecurityHub)
	s.EventBus = p.eventBus(CtxEventBus)
	s.ChatChannel = p.oneOf(CtxChatChannel, "", "slack", "teams")
	s.StackSetCallAs = p.oneOf(CtxStackSetCallAs, "DELEGATED_ADMIN", "DELEGATED_ADMIN", "SELF")
	switch {
	case s.Organization() && len(s.OrganizationalUnits) == 0:
		p.fail(CtxOrganizationalUnits, "deployment=organization needs at least one OU or root ID (ou-ab12-11111111 or r-ab12)")
	case !s.Organization() && len(s.OrganizationalUnits) > 0:
		p.fail(CtxOrganizationalUnits, "only with deployment=organization")
	}
	if s.Organization() && s.CreateTrail {
		p.fail(CtxCreateTrail, "not with deployment=organization: use an organization trail (see docs/organizations.md)")
	}
	if len(p.problems) > 0 {
		return nil, &ContextError{Problems: p.problems}
	}
	return s, nil
}

type parser struct {
	lookup   func(string) any
	problems []string
}

func (p *parser) fail(key, format string, args ...any) {
	p.problems = append(p.problems, key+": "+fmt.Sprintf(format, args...))
}

// str returns the trimmed string value of key, "" when absent. A value of
// another JSON type is a problem.
func (p *parser) str(key string) string {
	switch v := p.lookup(key).(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	default:
		p.fail(key, "want a string, got %v (%T)", v, v)
		return ""
	}
}

// list accepts a comma-separated string or a JSON list of strings.
func (p *parser) list(key string) []string {
	var items []string
	switch v := p.lookup(key).(type) {
	case nil:
		return nil
	case string:
		items = strings.Split(v, ",")
	case []any:
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				p.fail(key, "want a list of strings, got an element %v (%T)", it, it)
				return nil
			}
			items = append(items, s)
		}
	case []string:
		items = v
	default:
		p.fail(key, "want a comma-separated string or a list, got %v (%T)", v, v)
		return nil
	}
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func (p *parser) oneOf(key, def string, allowed ...string) string {
	v := p.str(key)
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		p.fail(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return def
	}
	return v
}

// boolean accepts true/false as JSON booleans or strings; absent is false.
func (p *parser) boolean(key string) bool {
	switch v := p.lookup(key).(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		b, ok := parseBool(v)
		if !ok {
			p.fail(key, "%q is not true or false", v)
		}
		return b
	default:
		p.fail(key, "want true or false, got %v (%T)", v, v)
		return false
	}
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false", "":
		return false, true
	}
	return false, false
}

// integer accepts a JSON number or a decimal string; ok is false when absent.
func (p *parser) integer(key string) (n int, ok bool) {
	switch v := p.lookup(key).(type) {
	case nil:
		return 0, false
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1e9 {
			p.fail(key, "%v is not a whole number", v)
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case string:
		if strings.TrimSpace(v) == "" {
			return 0, false
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			p.fail(key, "%q is not a whole number", v)
			return 0, false
		}
		return i, true
	default:
		p.fail(key, "want a whole number, got %v (%T)", v, v)
		return 0, false
	}
}

// policyFile returns the absolute path of the policy file and its compiled
// policy; "" and nil when the key is absent or the file is bad.
func (p *parser) policyFile(key string) (string, *policy.Engine) {
	path := p.str(key)
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		p.fail(key, "resolve %q: %v", path, err)
		return "", nil
	}
	info, err := os.Stat(abs)
	if err != nil {
		p.fail(key, "%v (relative paths are resolved against %s)", err, mustGetwd())
		return "", nil
	}
	if !info.Mode().IsRegular() {
		p.fail(key, "%s is not a regular file", abs)
		return "", nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		p.fail(key, "%v", err)
		return "", nil
	}
	engine, err := policy.Load(data, abs)
	if err != nil {
		p.fail(key, "%s is not a valid policy: %v", abs, err)
		return "", nil
	}
	return abs, engine
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "the working directory"
	}
	return wd
}

// emails accepts bare addresses such as ops@example.com, not "Name <addr>".
func (p *parser) emails(key string) []string {
	var out []string
	for _, e := range p.list(key) {
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			p.fail(key, "%q is not a bare e-mail address", e)
			continue
		}
		if slices.Contains(out, e) {
			p.fail(key, "%q is listed twice", e)
			continue
		}
		out = append(out, e)
	}
	return out
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[1-9][0-9]?$`)

func (p *parser) regions(key string) []string {
	var out []string
	for _, r := range p.list(key) {
		if !regionRE.MatchString(r) {
			p.fail(key, "%q is not an AWS region name like eu-west-1", r)
			continue
		}
		if slices.Contains(out, r) {
			p.fail(key, "%q is listed twice", r)
			continue
		}
		out = append(out, r)
	}
	return out
}

var (
	rateRE      = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronRE      = regexp.MustCompile(`^cron\((.*)\)$`)
	cronFieldRE = regexp.MustCompile(`^[0-9A-Za-z*?,/#-]+$`)
)

// schedule validates an EventBridge schedule expression the way EventBridge
// does: rate(1 hour) but rate(2 hours), at least one minute, and cron() with
// six fields of which day-of-month or day-of-week is "?".
func (p *parser) schedule(key string) (string, time.Duration) {
	expr := p.str(key)
	if expr == "" {
		expr = DefaultAuditSchedule
	}
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		unit := m[2]
		switch {
		case err != nil || n < 1 || n > 100000:
			p.fail(key, "%q: the rate must be a whole number from 1", expr)
		case n == 1 && strings.HasSuffix(unit, "s"):
			p.fail(key, "%q: use the singular unit for 1 (rate(1 %s))", expr, strings.TrimSuffix(unit, "s"))
		case n > 1 && !strings.HasSuffix(unit, "s"):
			p.fail(key, "%q: use the plural unit for %d (rate(%d %ss))", expr, n, n, unit)
		default:
			per := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
			return expr, time.Duration(n) * per[strings.TrimSuffix(unit, "s")]
		}
		return expr, 0
	}
	if m := cronRE.FindStringSubmatch(expr); m != nil {
		fields := strings.Fields(m[1])
		if len(fields) != 6 {
			p.fail(key, "%q: cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", expr, len(fields))
			return expr, 0
		}
		for _, f := range fields {
			if !cronFieldRE.MatchString(f) {
				p.fail(key, "%q: bad cron field %q", expr, f)
				return expr, 0
			}
		}
		if (fields[2] == "?") == (fields[4] == "?") {
			p.fail(key, "%q: exactly one of day-of-month and day-of-week must be ?", expr)
		}
		return expr, 0
	}
	p.fail(key, "%q is not rate(N unit) or cron(...)", expr)
	return expr, 0
}

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipLikeRE     = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// reportBucket accepts true/false or the name of an existing bucket.
func (p *parser) reportBucket(key string) (create bool, name string) {
	switch v := p.lookup(key).(type) {
	case nil:
		return false, ""
	case bool:
		return v, ""
	case string:
		if b, ok := parseBool(v); ok {
			return b, ""
		}
		v = strings.TrimSpace(v)
		if !bucketNameRE.MatchString(v) || strings.Contains(v, "..") || ipLikeRE.MatchString(v) {
			p.fail(key, "%q is neither true/false nor a valid S3 bucket name", v)
			return false, ""
		}
		return false, v
	default:
		p.fail(key, "want true, false or a bucket name, got %v (%T)", v, v)
		return false, ""
	}
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9._/-]+/$`)

func (p *parser) reportPrefix(key string) string {
	v := p.str(key)
	if v == "" {
		return DefaultReportPrefix
	}
	if !prefixRE.MatchString(v) || strings.HasPrefix(v, "/") || strings.Contains(v, "//") {
		p.fail(key, "%q must be a key prefix such as reports/ (letters, digits, . _ - /, ending in /)", v)
		return DefaultReportPrefix
	}
	return v
}

func (p *parser) retention(key string) int {
	n, ok := p.integer(key)
	if !ok {
		return DefaultLogRetentionDays
	}
	if _, ok := logRetentions[n]; !ok {
		p.fail(key, "%d is not a CloudWatch Logs retention (one of %v)", n, slices.Sorted(maps.Keys(logRetentions)))
		return DefaultLogRetentionDays
	}
	return n
}

var (
	ouRE    = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	orgIDRE = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

func (p *parser) organizationalUnits(key string) []string {
	var out []string
	for _, ou := range p.list(key) {
		switch {
		case !ouRE.MatchString(ou):
			p.fail(key, "%q is not an OU ID (ou-ab12-11111111) or a root ID (r-ab12)", ou)
		case slices.Contains(out, ou):
			p.fail(key, "%q is listed twice", ou)
		default:
			out = append(out, ou)
		}
	}
	return out
}

func (p *parser) organizationID(key string) string {
	v := p.str(key)
	if v != "" && !orgIDRE.MatchString(v) {
		p.fail(key, "%q is not an organization ID (o- and 10 to 32 letters or digits)", v)
		return ""
	}
	return v
}

var (
	busNameRE = regexp.MustCompile(`^[/.\-_A-Za-z0-9]{1,256}$`)
	busARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[/.\-_A-Za-z0-9]{1,256}$`)
)

// eventBus accepts an event bus name or ARN; absent is "default".
func (p *parser) eventBus(key string) string {
	v := p.str(key)
	switch {
	case v == "":
		return DefaultEventBus
	case strings.HasPrefix(v, "arn:"):
		if !busARNRE.MatchString(v) {
			p.fail(key, "%q is not an event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)", v)
		}
	case !busNameRE.MatchString(v):
		p.fail(key, "%q is not an event bus name (letters, digits, . _ - /)", v)
	}
	return v
}

func (p *parser) maxReverts(key string) int {
	n, ok := p.integer(key)
	if !ok {
		return -1
	}
	// 0 makes the audit report only; the event path still reverts.
	if n < 0 || n > 10000 {
		p.fail(key, "%d is outside 0..10000", n)
		return -1
	}
	return n
}
