package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// ExemptTagKey is the tag that grants an exemption on a group or a rule.
const ExemptTagKey = "sgwarden:exempt"

// Config is everything a Remediator needs; it is read once at cold start.
type Config struct {
	// Engine is the compiled policy (required).
	Engine *policy.Engine
	// Clients gives the EC2 client of each event's own account and region
	// (required); see ClientsFrom and Only. An event it does not serve
	// fails (FAILED alert and an error).
	Clients Clients
	// SNS publishes the alerts (required).
	SNS Publisher
	// TopicARN receives the alerts (required).
	TopicARN string
	// RoleARN is sgwarden's own IAM role: events made by it (its own
	// reverts) are ignored. Either the role ARN or an assumed-role ARN.
	RoleARN string
	// PrefixListAction is policy.ActionAlert (default) or
	// policy.ActionRevert (remove offending public entries).
	PrefixListAction policy.Action
	// Mode, when set, overrides the policy's mode.
	Mode policy.Mode
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives slog records (default: slog.Default()).
	Logger *slog.Logger
	// Metrics receives one CloudWatch EMF line per invocation (nil: none).
	Metrics io.Writer
	// FunctionName is the EMF "Function" dimension (default "remediate").
	FunctionName string
	// MinReserve is the least time kept before the context's deadline for
	// the FAILED alert (default DefaultMinReserve); the reserve is the
	// larger of it and a tenth of the time left.
	MinReserve time.Duration
	// Outlets send each outcome to Security Hub, EventBridge and chat.
	Outlets Outlets
}

// Remediator handles one CloudTrail event per call. It is safe for
// concurrent use.
type Remediator struct {
	cfg    Config
	engine *policy.Engine
	own    ownRole
	log    *slog.Logger
	// describe gives a check's description to the findings; built once,
	// not per invocation.
	describe func(checkID string) string
}

// New validates cfg and returns a Remediator. Errors name the bad setting.
func New(cfg Config) (*Remediator, error) {
	var errs []error
	if cfg.Engine == nil {
		errs = append(errs, errors.New("policy engine is required"))
	}
	if cfg.Clients == nil {
		errs = append(errs, errors.New("EC2 clients are required"))
	}
	if cfg.SNS == nil {
		errs = append(errs, errors.New("SNS client is required"))
	}
	if cfg.TopicARN == "" {
		errs = append(errs, errors.New("alert topic ARN is required"))
	} else if !strings.HasPrefix(cfg.TopicARN, "arn:") || !strings.Contains(cfg.TopicARN, ":sns:") {
		errs = append(errs, fmt.Errorf("alert topic ARN %q is not an SNS topic ARN", cfg.TopicARN))
	}
	switch cfg.Mode {
	case "", policy.ModeEnforce, policy.ModeDryRun:
	default:
		errs = append(errs, fmt.Errorf("mode %q: want %q or %q", cfg.Mode, policy.ModeEnforce, policy.ModeDryRun))
	}
	switch cfg.PrefixListAction {
	case "":
		cfg.PrefixListAction = policy.ActionAlert
	case policy.ActionAlert, policy.ActionRevert:
	default:
		errs = append(errs, fmt.Errorf("prefix list action %q: want %q or %q", cfg.PrefixListAction, policy.ActionRevert, policy.ActionAlert))
	}
	own, err := parseOwnRole(cfg.RoleARN)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("remediate configuration: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = "remediate"
	}
	if cfg.MinReserve <= 0 {
		cfg.MinReserve = DefaultMinReserve
	}
	if cfg.Metrics != nil {
		cfg.Metrics = &syncWriter{w: cfg.Metrics}
	}
	engine := cfg.Engine
	if cfg.Mode != "" {
		engine = engine.WithMode(cfg.Mode)
	}
	return &Remediator{cfg: cfg, engine: engine, own: own, log: cfg.Logger,
		describe: findings.Descriptions(engine.Checks())}, nil
}

// Engine returns the policy engine in use (mode override applied).
func (r *Remediator) Engine() *policy.Engine { return r.engine }

// Result says what one invocation did. It is also the Lambda response.
type Result struct {
	EventID   string        `json:"eventId,omitempty"`
	EventName string        `json:"eventName,omitempty"`
	Action    notify.Action `json:"action,omitempty"`
	// Ignored says why the event needed no alert, e.g. "compliant".
	Ignored string `json:"ignored,omitempty"`
	// Revoked, AlreadyGone, Kept and Failed name rules by ID, or by their
	// tuple ("ingress tcp/22 from 0.0.0.0/0") when no rule ID is known.
	Revoked     []string `json:"revoked,omitempty"`
	AlreadyGone []string `json:"alreadyGone,omitempty"`
	Kept        []string `json:"kept,omitempty"`
	Failed      []string `json:"failed,omitempty"`
	// GroupGone is the ID (or name) of the event's group when it no longer
	// exists in the event's account and region.
	GroupGone string `json:"groupGone,omitempty"`
	// RemovedEntries are prefix-list entries removed.
	RemovedEntries []string `json:"removedEntries,omitempty"`
	Published      bool     `json:"published"`
	MessageID      string   `json:"messageId,omitempty"`
	// AWSCalls counts the AWS API calls made (SDK retries excluded).
	AWSCalls int `json:"awsCalls"`
	// Alert is the published (or attempted) alert document.
	Alert *notify.Alert `json:"-"`
}

// Handle processes one EventBridge event (or bare CloudTrail record). It
// keeps the contract of docs/remediate.md: every event of a supported API
// ends in exactly one of
//
//  1. the offending rules verified gone in the event's own account and
//     region (revoked now, or seen absent from a group that exists), with
//     one alert saying which; a group that no longer exists is its own
//     outcome (action group-gone);
//  2. a compliant, exempt or dry-run decision, alerted where the policy
//     asks (a compliant event makes no AWS call);
//  3. a returned error, so that Lambda retries and its on-failure
//     destination keeps the event, and a FAILED alert naming the event,
//     the group and why.
//
// Case 3 covers an event that cannot be decoded (the alert carries what
// could be read), an account or region Config.Clients does not serve, any
// AWS failure the SDK's retryer does not absorb, a not-found that could not
// be confirmed, and an alert that cannot be published. When ctx has a
// deadline, the AWS calls run under a context that ends a reserve before it
// (Config.MinReserve), and the reserve is spent on the FAILED alert.
// Reverting is idempotent, so a retry is always safe.
func (r *Remediator) Handle(ctx context.Context, raw json.RawMessage) (res Result, err error) {
	iv := &invocation{r: r, calls: &callCounter{}, now: r.cfg.Now(), outer: ctx}
	iv.sns = countingSNS{api: r.cfg.SNS, n: iv.calls}
	iv.log = r.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		iv.log = iv.log.With(slog.String("request_id", lc.AwsRequestID))
	}
	defer func() {
		res.AWSCalls = int(iv.calls.n.Load())
		iv.m.write(r.cfg.Metrics, r.cfg.FunctionName, res.EventID, iv.now)
	}()
	work, cancel := withReserve(ctx, r.cfg.MinReserve)
	defer cancel()

	start := time.Now()
	ev, err := cloudtrail.Decode(raw)
	iv.m.time(stageDecode, start)
	if err != nil {
		if errors.Is(err, cloudtrail.ErrUnsupported) {
			iv.log.LogAttrs(ctx, slog.LevelInfo, "event ignored: unsupported", slog.String("error", err.Error()))
			return Result{Ignored: "unsupported event"}, nil
		}
		return iv.failUndecodable(err)
	}
	iv.ev = ev
	iv.log = iv.log.With(slog.String("event_id", ev.ID), slog.String("event_name", ev.Name))
	iv.eventLog = iv.log
	res = Result{EventID: ev.ID, EventName: ev.Name}
	if g := ev.GroupID; g != "" {
		iv.log = iv.log.With(slog.String("group_id", g))
	}

	switch {
	case ev.Failed():
		return iv.ignore(ctx, res, "failed call ("+ev.ErrorCode+")"), nil
	case r.own.matches(&ev.Actor):
		return iv.ignore(ctx, res, "made by sgwarden's own role"), nil
	}
	switch ev.Kind {
	case cloudtrail.KindRuleAdded, cloudtrail.KindRuleModified:
		return iv.handleRules(work, res)
	case cloudtrail.KindPrefixListChange:
		return iv.handlePrefixList(work, res)
	case cloudtrail.KindTagsChanged:
		return iv.handleTags(work, res)
	case cloudtrail.KindGroupsAttached:
		return iv.handleAttachment(work, res)
	}
	return iv.ignore(ctx, res, "nothing to check ("+string(ev.Kind)+")"), nil
}

// invocation is the state of one Handle call.
type invocation struct {
	r     *Remediator
	ev    *cloudtrail.Event
	ec2   EC2API // set by connect
	sns   Publisher
	calls *callCounter
	m     metrics
	now   time.Time
	log   *slog.Logger
	// eventLog is log before any group_id was added, for loggers that add
	// their own (a key must appear once per record).
	eventLog *slog.Logger
	// outer is Handle's own context, which runs to the Lambda deadline:
	// the FAILED alert is published under it, in the reserve.
	outer context.Context
	// subject is the subject of the alert last published.
	subject string
}

// connect sets iv.ec2 to the client of the event's own account and region.
// It is called right before the first EC2 call, so that a compliant event
// makes none (not even an assume-role).
func (iv *invocation) connect(ctx context.Context) error {
	if iv.ec2 != nil {
		return nil
	}
	k := awsclients.Key{Account: iv.ev.Account, Region: iv.ev.Region}
	api, err := iv.r.cfg.Clients.EC2(ctx, k)
	if err != nil {
		return fmt.Errorf("EC2 client for the event's account and region %s: %w", k, err)
	}
	iv.ec2 = countingEC2{api: api, n: iv.calls}
	return nil
}

func (iv *invocation) ignore(ctx context.Context, res Result, why string) Result {
	res.Ignored = why
	iv.log.LogAttrs(ctx, slog.LevelInfo, "event ignored", slog.String("reason", why))
	return res
}

func (iv *invocation) evalContext() policy.EvalContext {
	return policy.EvalContext{ActorARN: iv.ev.Actor.ARN, Now: iv.now}
}

// baseAlert fills the parts of an alert every event shares.
func (iv *invocation) baseAlert(action notify.Action) notify.Alert {
	ev := iv.ev
	return notify.Alert{
		Action:  action,
		Mode:    string(iv.r.engine.Mode()),
		Account: ev.Account,
		Region:  ev.Region,
		Actor: notify.Actor{
			ARN: ev.Actor.ARN, Type: ev.Actor.Type, AccountID: ev.Actor.AccountID, UserName: ev.Actor.UserName,
			IssuerARN: ev.Actor.IssuerARN, SourceIP: ev.Actor.SourceIP, UserAgent: ev.Actor.UserAgent,
			InvokedBy: ev.Actor.InvokedBy,
		},
		Event: notify.Event{ID: ev.ID, Name: ev.Name, Time: ev.Time},
	}
}

// eventGroup is the group the event names, for a FAILED alert raised before
// the group was read.
func (iv *invocation) eventGroup() *notify.Group {
	ev := iv.ev
	switch {
	case ev.GroupID != "" || ev.GroupName != "":
		return &notify.Group{ID: ev.GroupID, Name: ev.GroupName}
	case ev.Attachment != nil && len(ev.Attachment.GroupIDs) == 1:
		return &notify.Group{ID: ev.Attachment.GroupIDs[0]}
	}
	return nil
}

// publish sends the alert and records it in res. A failed publish of any
// alert but a FAILED one turns into a FAILED alert (case 3).
func (iv *invocation) publish(ctx context.Context, res *Result, a notify.Alert) error {
	start := time.Now()
	defer iv.m.time(stagePublish, start)
	iv.enrich(&a)
	msg, err := notify.Build(a)
	if err != nil {
		return err
	}
	if msg.Chat, err = iv.chatBody(&a, msg.Subject); err != nil {
		return err
	}
	iv.subject = msg.Subject
	res.Action = a.Action
	res.Alert = &a
	in, err := msg.PublishInput(iv.r.cfg.TopicARN)
	if err != nil {
		return err
	}
	out, err := iv.sns.Publish(ctx, in)
	if err != nil {
		iv.log.LogAttrs(ctx, slog.LevelError, "alert not published", slog.String("action", string(a.Action)), slog.String("error", err.Error()))
		return fmt.Errorf("publish %s alert for event %s: %w", a.Action, a.Event.ID, err)
	}
	res.Published = true
	if out != nil && out.MessageId != nil {
		res.MessageID = *out.MessageId
	}
	iv.log.LogAttrs(ctx, slog.LevelInfo, "alert published", slog.String("action", string(a.Action)),
		slog.String("subject", msg.Subject), slog.String("message_id", res.MessageID))
	return nil
}

// alert publishes a (non-FAILED) alert; if that fails, the event fails.
func (iv *invocation) alert(ctx context.Context, res Result, a notify.Alert) (Result, error) {
	err := iv.publish(ctx, &res, a)
	if err == nil {
		// The alert told the outcome: a findings failure returns an
		// error (Lambda retries) without a FAILED alert.
		return res, iv.report(ctx, res.Alert)
	}
	res.Published = false
	return iv.fail(res, a, err)
}

// fail publishes a FAILED alert and returns cause, so that Lambda retries
// the event and finally keeps it in the DLQ. It publishes under Handle's own
// context: the work's context may have ended at the reserve.
func (iv *invocation) fail(res Result, a notify.Alert, cause error) (Result, error) {
	iv.m.failed++
	a.Action = notify.ActionFailed
	a.Outcome.Error = cause.Error()
	iv.log.LogAttrs(iv.outer, slog.LevelError, "remediation failed", slog.String("error", cause.Error()))
	if err := iv.publish(iv.outer, &res, a); err != nil {
		// One line: Lambda and the logs show the error's text as is.
		return res, fmt.Errorf("%w; and the FAILED alert: %w", cause, err)
	}
	if err := iv.report(iv.outer, res.Alert); err != nil {
		return res, fmt.Errorf("%w; and the findings: %w", cause, err)
	}
	return res, cause
}

// failEvent is fail for a cause found before the group was read.
func (iv *invocation) failEvent(res Result, cause error) (Result, error) {
	a := iv.baseAlert(notify.ActionFailed)
	a.Group = iv.eventGroup()
	if pl := iv.ev.PrefixList; pl != nil {
		a.PrefixList = &notify.PrefixList{ID: pl.ID, Name: pl.Name}
	}
	return iv.fail(res, a, cause)
}

// failUndecodable fails an event of a supported API that cannot be
// decoded, with whatever the decoder could read.
func (iv *invocation) failUndecodable(err error) (Result, error) {
	iv.ev = &cloudtrail.Event{}
	var de *cloudtrail.DecodeError
	if errors.As(err, &de) {
		iv.ev = &cloudtrail.Event{ID: de.EventID, Name: de.EventName, Account: de.Account, Region: de.Region, GroupID: de.GroupID}
	}
	res := Result{EventID: iv.ev.ID, EventName: iv.ev.Name}
	iv.log = iv.log.With(slog.String("event_id", iv.ev.ID))
	// err names the event and the field (*cloudtrail.DecodeError).
	return iv.failEvent(res, err)
}

// ownRole recognises sgwarden's own principal.
type ownRole struct {
	arn         string
	assumedPref string // arn:PART:sts::ACCOUNT:assumed-role/NAME/
	account     string
	name        string
}

func parseOwnRole(arn string) (ownRole, error) {
	if arn == "" {
		return ownRole{}, nil
	}
	// arn:PARTITION:iam::ACCOUNT:role/PATH/NAME or
	// arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[4] == "" {
		return ownRole{}, fmt.Errorf("own role ARN %q is not an IAM role ARN", arn)
	}
	o := ownRole{arn: arn, account: parts[4]}
	res := parts[5]
	switch {
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		o.name = res[strings.LastIndexByte(res, '/')+1:]
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		o.name, _, _ = strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
	}
	if o.name == "" {
		return ownRole{}, fmt.Errorf("own role ARN %q is not an IAM role ARN", arn)
	}
	o.assumedPref = "arn:" + parts[1] + ":sts::" + o.account + ":assumed-role/" + o.name + "/"
	return o, nil
}

func (o ownRole) matches(a *cloudtrail.Actor) bool {
	if o.name == "" {
		return false
	}
	if a.ARN == o.arn || strings.HasPrefix(a.ARN, o.assumedPref) {
		return true
	}
	if a.IssuerARN == "" {
		return false
	}
	if a.IssuerARN == o.arn {
		return true
	}
	// The issuer is the role ARN, possibly with a path the configuration
	// left out.
	p, err := parseOwnRole(a.IssuerARN)
	return err == nil && p.account == o.account && p.name == o.name
}
