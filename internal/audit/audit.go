package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/ocsf"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/version"
)

// EC2API is the part of the EC2 API the audit reads. *ec2.Client satisfies it,
// and so does [DumpClient].
type EC2API interface {
	ec2.DescribeSecurityGroupsAPIClient
	ec2.DescribeSecurityGroupRulesAPIClient
	ec2.DescribeNetworkInterfacesAPIClient
	ec2.DescribeManagedPrefixListsAPIClient
	ec2.GetManagedPrefixListEntriesAPIClient
}

// ClientFactory returns the EC2 client of a region. It is called once per
// region per run.
type ClientFactory func(region string) (EC2API, error)

// Reverter revokes the violating rules of one group in one region, through
// the same code path as the remediate function. It returns one outcome per
// rule it was given; an error with no outcomes fails every rule of the call.
type Reverter interface {
	Revert(ctx context.Context, region, groupID string, vs []policy.Violation) ([]RevertOutcome, error)
}

// RevertOutcome is the result of reverting one rule. A nil Err means the
// rule is gone (revoked now, or already gone).
type RevertOutcome struct {
	RuleID string
	// AlreadyGone is true when the rule was gone before the revoke.
	AlreadyGone bool
	Err         error
}

// ReverterFunc adapts a function to a Reverter.
type ReverterFunc func(ctx context.Context, region, groupID string, vs []policy.Violation) ([]RevertOutcome, error)

// Revert calls f.
func (f ReverterFunc) Revert(ctx context.Context, region, groupID string, vs []policy.Violation) ([]RevertOutcome, error) {
	return f(ctx, region, groupID, vs)
}

// Publisher publishes the summary; *sns.Client satisfies it.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// ObjectPutter stores the report; *s3.Client satisfies it.
type ObjectPutter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Progress is reported after every page a scan reads.
type Progress struct {
	Region string
	// Stage is "groups", "rules", "prefix-lists", "network-interfaces",
	// "done" or "failed".
	Stage string
	// Items is the number of items of the stage read so far.
	Items int
}

// DefaultMaxReverts is the default bound on reverted rules per run.
const DefaultMaxReverts = 25

// DefaultConcurrency is the default number of regions scanned at once.
const DefaultConcurrency = 4

// Auditor runs audits. Build it once with New; it is safe to call Run again
// (not concurrently).
type Auditor struct {
	engine      *policy.Engine
	clients     ClientFactory
	regions     []string
	maxReverts  int
	concurrency int
	account     string

	reverter  Reverter
	publisher Publisher
	topicARN  string
	putter    ObjectPutter
	bucket    string
	prefix    string
	// hub, events and bus send the run to Security Hub and EventBridge
	// (findings.go).
	hub    func(region string) (findings.Hub, error)
	events ocsf.Putter
	bus    string
	chat   chat.Channel

	// spool keeps exposures on disk (WithExposureSpool).
	spool    bool
	spoolDir string

	now      func() time.Time
	logger   *slog.Logger
	progress func(Progress)
}

// Option configures an Auditor.
type Option func(*Auditor) error

// WithRegions sets the regions to scan (at least one, no duplicates).
func WithRegions(regions ...string) Option {
	return func(a *Auditor) error {
		seen := map[string]bool{}
		var out []string
		for _, r := range regions {
			r = strings.TrimSpace(r)
			if r == "" {
				continue
			}
			if seen[r] {
				return fmt.Errorf("region %q listed twice", r)
			}
			seen[r] = true
			out = append(out, r)
		}
		if len(out) == 0 {
			return errors.New("no region to scan")
		}
		a.regions = out
		return nil
	}
}

// WithMode overrides the policy's mode (enforce or dry-run); empty keeps it.
func WithMode(m policy.Mode) Option {
	return func(a *Auditor) error {
		switch m {
		case "":
			return nil
		case policy.ModeEnforce, policy.ModeDryRun:
			a.engine = a.engine.WithMode(m)
			return nil
		}
		return fmt.Errorf("mode %q: want %q or %q", m, policy.ModeEnforce, policy.ModeDryRun)
	}
}

// WithMaxReverts bounds the rules reverted per run. Above the bound the run
// reverts nothing and only reports. 0 never reverts.
func WithMaxReverts(n int) Option {
	return func(a *Auditor) error {
		if n < 0 {
			return fmt.Errorf("max reverts %d: must not be negative", n)
		}
		a.maxReverts = n
		return nil
	}
}

// WithConcurrency bounds the regions scanned at once.
func WithConcurrency(n int) Option {
	return func(a *Auditor) error {
		if n < 1 {
			return fmt.Errorf("concurrency %d: must be at least 1", n)
		}
		a.concurrency = n
		return nil
	}
}

// WithAccount names the account when no scanned group says it (a region
// with no group, or every region failed).
func WithAccount(id string) Option {
	return func(a *Auditor) error { a.account = id; return nil }
}

// WithReverter sets how violating rules are reverted in enforce mode. Without
// one, the run reports revert candidates as not attempted.
func WithReverter(r Reverter) Option {
	return func(a *Auditor) error { a.reverter = r; return nil }
}

// WithPublisher publishes the summary to topicARN.
func WithPublisher(p Publisher, topicARN string) Option {
	return func(a *Auditor) error {
		if p == nil || topicARN == "" {
			return errors.New("publisher: need a client and a topic ARN")
		}
		a.publisher, a.topicARN = p, topicARN
		return nil
	}
}

// WithReportStore writes each report to s3://bucket/prefix/YYYY/MM/DD/<account>-<time>.json.
func WithReportStore(p ObjectPutter, bucket, prefix string) Option {
	return func(a *Auditor) error {
		if p == nil || bucket == "" {
			return errors.New("report store: need a client and a bucket")
		}
		a.putter, a.bucket, a.prefix = p, bucket, strings.Trim(prefix, "/")
		return nil
	}
}

// WithClock sets the clock used for timestamps, run IDs, exemption expiry
// and timings (tests make reports deterministic with it).
func WithClock(now func() time.Time) Option {
	return func(a *Auditor) error {
		if now == nil {
			return errors.New("clock: nil")
		}
		a.now = now
		return nil
	}
}

// WithLogger sets the logger that receives the report.
func WithLogger(l *slog.Logger) Option {
	return func(a *Auditor) error {
		if l == nil {
			return errors.New("logger: nil")
		}
		a.logger = l
		return nil
	}
}

// WithProgress receives progress after each page (called from the region's
// goroutine).
func WithProgress(f func(Progress)) Option {
	return func(a *Auditor) error { a.progress = f; return nil }
}

// New builds an Auditor. Every bad option is reported at once.
func New(engine *policy.Engine, clients ClientFactory, opts ...Option) (*Auditor, error) {
	if engine == nil {
		return nil, errors.New("audit: nil policy engine")
	}
	if clients == nil {
		return nil, errors.New("audit: nil client factory")
	}
	a := &Auditor{
		engine: engine, clients: clients,
		maxReverts: DefaultMaxReverts, concurrency: DefaultConcurrency,
		now: time.Now, logger: slog.New(slog.DiscardHandler),
	}
	var errs []error
	for _, o := range opts {
		if err := o(a); err != nil {
			errs = append(errs, err)
		}
	}
	if len(a.regions) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no region to scan"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return a, nil
}

// Mode is the effective mode of the audit.
func (a *Auditor) Mode() policy.Mode { return a.engine.Mode() }

// Regions are the regions the audit scans.
func (a *Auditor) Regions() []string { return append([]string(nil), a.regions...) }

// RegionError is a failure to scan (part of) one region.
type RegionError struct {
	Region    string
	Operation string
	Resource  string
	Err       error
}

func (e *RegionError) Error() string {
	if e.Resource != "" {
		return fmt.Sprintf("%s %s %s: %v", e.Region, e.Operation, e.Resource, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Region, e.Operation, e.Err)
}

func (e *RegionError) Unwrap() error { return e.Err }

// PartialError is returned by Run when something could not be scanned. The
// report is still complete for everything else, and was still stored and
// published.
type PartialError struct {
	Errors []*RegionError
}

func (e *PartialError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, re := range e.Errors {
		parts[i] = re.Error()
	}
	return fmt.Sprintf("audit incomplete: %d scan failure(s): %s", len(e.Errors), strings.Join(parts, "; "))
}

// Unwrap returns every region error, for errors.Is and errors.As.
func (e *PartialError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, re := range e.Errors {
		out[i] = re
	}
	return out
}

// Run scans every region, evaluates, reverts (enforce mode, bounded),
// stores and logs the report and publishes the summary. It returns the report
// whenever it got that far, with a *PartialError when something could not be
// scanned, joined with any storing or publishing error.
func (a *Auditor) Run(ctx context.Context) (*Report, error) {
	started := a.now().UTC()
	var spool *exposureSpool
	if a.spool {
		var err error
		if spool, err = newExposureSpool(a.spoolDir); err != nil {
			return nil, err
		}
	}
	results := make([]*regionResult, len(a.regions))
	sem := make(chan struct{}, a.concurrency)
	var wg sync.WaitGroup
	for i, region := range a.regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = a.scanRegion(ctx, region, spool)
		}()
	}
	wg.Wait()

	rep := &Report{
		SchemaVersion: SchemaVersion, Kind: KindReport, Version: version.String(), StartedAt: started,
		Mode: a.engine.Mode(), Regions: []RegionReport{}, Unscanned: []Unscanned{},
		Violations: []Finding{}, Exposures: []ExposureReport{}, spool: spool,
	}
	nv, ne := 0, 0
	for _, res := range results {
		nv, ne = nv+len(res.findings), ne+len(res.exposures)
	}
	// One region (a scheduled audit per region, an organization part): its
	// lists become the report's rather than being held twice.
	single := len(results) == 1
	if !single {
		rep.Violations, rep.Exposures = make([]Finding, 0, nv), make([]ExposureReport, 0, ne)
	}
	var partial PartialError
	for _, res := range results {
		if rep.Account == "" {
			rep.Account = res.account
		}
		rep.Regions = append(rep.Regions, res.report)
		rep.Unscanned = append(rep.Unscanned, res.unscanned...)
		if single {
			rep.Violations, rep.Exposures = res.findings, res.exposures
		} else {
			rep.Violations = append(rep.Violations, res.findings...)
			rep.Exposures = append(rep.Exposures, res.exposures...)
		}
		res.findings, res.exposures = nil, nil
		partial.Errors = append(partial.Errors, res.errs...)
	}
	if rep.Violations == nil {
		rep.Violations = []Finding{}
	}
	if rep.Exposures == nil {
		rep.Exposures = []ExposureReport{}
	}
	if rep.Account == "" {
		rep.Account = a.account
	}
	if rep.Account == "" {
		rep.Account = "unknown"
	}
	rep.RunID = rep.Account + "-" + started.Format("20060102T150405Z")
	rep.Complete = len(rep.Unscanned) == 0

	a.remediate(ctx, rep, results)
	rep.Counts = countFindings(rep)
	sortReport(rep)
	rep.FinishedAt = a.now().UTC()

	var errs []error
	if len(partial.Errors) > 0 {
		errs = append(errs, &partial)
	}
	if spool != nil {
		err := spool.seal()
		if err == nil {
			err = rep.readWorst()
		}
		if err != nil {
			// Fail closed: without its exposures the report is not stored
			// or published as if it were whole.
			_ = rep.Close()
			return nil, errors.Join(append(errs, err)...)
		}
	}
	location, err := a.store(ctx, rep)
	if err != nil {
		errs = append(errs, err)
	}
	if err := a.publish(ctx, rep, location); err != nil {
		errs = append(errs, err)
	}
	if err := a.report(ctx, rep, location); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func countFindings(rep *Report) Counts {
	c := Counts{
		ByCheck:        map[string]CheckCount{},
		BySeverity:     map[policy.Severity]int{},
		ByDecision:     map[policy.Decision]int{},
		ExposedByOwner: map[string]int{},
	}
	rules := map[string]bool{}
	for i := range rep.Violations {
		f := &rep.Violations[i]
		cc := c.ByCheck[f.Check]
		if cc.ByDecision == nil {
			cc.ByDecision = map[policy.Decision]int{}
		}
		cc.Severity = f.Severity
		cc.Total++
		cc.ByDecision[f.Decision]++
		c.ByCheck[f.Check] = cc
		c.ByDecision[f.Decision]++
		if f.Decision == policy.DecisionExempt {
			c.Exempt++
			continue
		}
		c.Violations++
		c.BySeverity[f.Severity]++
		rules[f.Region+"|"+findingRuleKey(f)] = true
	}
	c.RulesInViolation = len(rules)
	for i := range rep.Exposures {
		c.ExposedNetworkInterfaces++
		c.ExposedByOwner[rep.Exposures[i].NetworkInterface.OwnerType]++
	}
	if rep.spool != nil {
		c.ExposedNetworkInterfaces += len(rep.spool.index)
		for owner, n := range rep.spool.byOwner {
			c.ExposedByOwner[owner] += n
		}
	}
	return c
}

// WorstSeverity is the most severe non-exempt finding, or "info" when there
// is none.
func (r *Report) WorstSeverity() policy.Severity {
	worst := policy.SeverityInfo
	for i := range r.Violations {
		f := &r.Violations[i]
		if f.Decision != policy.DecisionExempt && worse(f.Severity, worst) {
			worst = f.Severity
		}
	}
	return worst
}
