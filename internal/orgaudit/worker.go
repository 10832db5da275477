package orgaudit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awsclients"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// Kinds of the documents a run stores.
const (
	KindPlan   = "sgwarden.orgaudit.plan"
	KindPart   = "sgwarden.orgaudit.part"
	KindReport = "sgwarden.orgaudit.report"
)

// SchemaVersion is the version of the plan, part and report documents.
const SchemaVersion = 1

// Reasons an account and region could not be audited.
const (
	ReasonAccessDenied = "access-denied" // the role could not be assumed or may not read
	ReasonThrottled    = "throttled"     // AWS kept throttling after the retries
	ReasonTimeout      = "timeout"       // the deadline came first
	ReasonNoResult     = "no-result"     // the plan has the item but no part was stored
	ReasonError        = "error"         // anything else
)

// DefaultReserve is kept before the invocation's deadline to store the part
// and answer, so a slow account ends as a reported timeout, not a lost one.
const DefaultReserve = 10 * time.Second

// Status is what the audit step returns for one item: small, so that the
// Distributed Map's results stay small.
type Status struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// OK is true when the region was evaluated (possibly partially).
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	Counts Counts `json:"counts"`
}

// Counts are the headline numbers of one part, or summed over many.
type Counts struct {
	SecurityGroups           int `json:"securityGroups"`
	Rules                    int `json:"rules"`
	NetworkInterfaces        int `json:"networkInterfaces"`
	Violations               int `json:"violations"`
	Exempt                   int `json:"exempt"`
	RulesInViolation         int `json:"rulesInViolation"`
	ExposedNetworkInterfaces int `json:"exposedNetworkInterfaces"`
	Reverted                 int `json:"reverted"`
	RevertsFailed            int `json:"revertsFailed"`
}

func (c *Counts) add(o Counts) {
	c.SecurityGroups += o.SecurityGroups
	c.Rules += o.Rules
	c.NetworkInterfaces += o.NetworkInterfaces
	c.Violations += o.Violations
	c.Exempt += o.Exempt
	c.RulesInViolation += o.RulesInViolation
	c.ExposedNetworkInterfaces += o.ExposedNetworkInterfaces
	c.Reverted += o.Reverted
	c.RevertsFailed += o.RevertsFailed
}

// Part is the stored result of one account and region: the status and the
// single-account audit's full report (absent when nothing was evaluated).
// The report step reads its PartSummary instead.
type Part struct {
	SchemaVersion int           `json:"schemaVersion"`
	Kind          string        `json:"kind"`
	RunID         string        `json:"runId"`
	Status        Status        `json:"status"`
	Report        *audit.Report `json:"report,omitempty"`
}

// PartSummary is what the report step needs of a part: the status, the
// findings per check, what was not scanned and the worst exposures. It is
// stored beside the part, so the report step never reads a region's whole
// report.
type PartSummary struct {
	SchemaVersion int                         `json:"schemaVersion"`
	Kind          string                      `json:"kind"`
	RunID         string                      `json:"runId"`
	Status        Status                      `json:"status"`
	Audited       bool                        `json:"audited"`
	ByCheck       map[string]audit.CheckCount `json:"byCheck"`
	// Unscanned is bounded; UnscannedCount says how many there were.
	Unscanned      []audit.Unscanned      `json:"unscanned"`
	UnscannedCount int                    `json:"unscannedCount"`
	WorstExposures []audit.ExposureReport `json:"worstExposures"`
}

// KindPartSummary is the kind of a part's summary.
const KindPartSummary = "sgwarden.orgaudit.part-summary"

const maxSummaryUnscanned = 20

func newPartSummary(p *Part) *PartSummary {
	s := &PartSummary{SchemaVersion: SchemaVersion, Kind: KindPartSummary, RunID: p.RunID, Status: p.Status,
		ByCheck: map[string]audit.CheckCount{}, Unscanned: []audit.Unscanned{}, WorstExposures: []audit.ExposureReport{}}
	if r := p.Report; r != nil {
		s.Audited = true
		s.ByCheck = r.Counts.ByCheck
		s.UnscannedCount = len(r.Unscanned)
		s.Unscanned = r.Unscanned[:min(len(r.Unscanned), maxSummaryUnscanned)]
		// The report's exposures are sorted worst first.
		s.WorstExposures = r.WorstExposures(maxWorstExposures)
	}
	return s
}

// Worker audits one account and region at a time.
type Worker struct {
	Engine *policy.Engine
	// Read acts in each member through the read role.
	Read awsclients.Provider
	// Revert acts through the revert role; nil reports only. It is used
	// only in enforce mode with MaxReverts > 0.
	Revert     awsclients.Provider
	MaxReverts int
	Store      Store
	Logger     *slog.Logger
	// Reserve is kept before the deadline (DefaultReserve when 0).
	Reserve time.Duration
	// EC2Options apply to every EC2 client (tests, benchmarks).
	EC2Options []func(*ec2.Options)
	Now        func() time.Time
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// Audit audits one item, stores its part and returns its status. It never
// returns an error for the item's own failure (those are in the status);
// the error is for a part that could not be stored, which loses the result.
func (w *Worker) Audit(ctx context.Context, runID string, it Item) (Status, error) {
	st := Status{Account: it.Account, Region: it.Region}
	part := Part{SchemaVersion: SchemaVersion, Kind: KindPart, RunID: runID}
	actx, cancel := w.withReserve(ctx)
	defer cancel()

	rep, err := w.auditItem(actx, it)
	part.Report = rep
	if rep != nil {
		defer rep.Close()
	}
	switch {
	case rep == nil:
		st.Reason, st.Error = Classify(err), err.Error()
	default:
		st.Counts = countsOf(rep)
		region := rep.Regions[0]
		st.OK = region.Status != audit.RegionFailed
		if len(rep.Unscanned) > 0 {
			u := rep.Unscanned[0]
			st.Error = fmt.Sprintf("%s %s: %s", u.Operation, u.Resource, u.Error)
			st.Reason = Classify(err)
		}
	}
	if !st.OK && st.Reason == "" {
		st.Reason = ReasonError
	}
	part.Status = st
	w.logger().InfoContext(ctx, "org audit item", "run_id", runID, "account", it.Account, "region", it.Region,
		"ok", st.OK, "reason", st.Reason, "violations", st.Counts.Violations)

	// The full part first, then its summary: the report step reads the
	// summary, so a summary means its part is stored.
	if err := w.putPart(ctx, PartKey(runID, it), &part); err != nil {
		return st, fmt.Errorf("store part %s/%s: %w", it.Account, it.Region, err)
	}
	sum, err := json.Marshal(newPartSummary(&part))
	if err != nil {
		return st, fmt.Errorf("encode part summary %s/%s: %w", it.Account, it.Region, err)
	}
	if err := w.Store.Put(ctx, SummaryKey(runID, it), bytes.NewReader(sum), int64(len(sum)), "application/json"); err != nil {
		return st, err
	}
	return st, nil
}

// putPart stores a part without holding its JSON: it is encoded item by
// item into a temporary file (a region's report runs to tens of MiB), which
// is then uploaded.
func (w *Worker) putPart(ctx context.Context, key string, part *Part) error {
	f, err := os.CreateTemp("", "sgwarden-part-*.json")
	if err != nil {
		return err
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := writePart(bw, part); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return w.Store.Put(ctx, key, f, size, "application/json")
}

// writePart writes the JSON of part, the report's violations and
// exposures one at a time; the result is what json.Marshal would give.
func writePart(w io.Writer, part *Part) error {
	rep := part.Report
	shell := *part
	shell.Report = nil
	head, err := json.Marshal(&shell)
	if err != nil {
		return err
	}
	if rep == nil {
		_, err = w.Write(head)
		return err
	}
	// The report is the part's last field: write it in its place.
	if !bytes.HasSuffix(head, []byte("}")) {
		return errors.New("encode part: unexpected layout")
	}
	if _, err := w.Write(head[:len(head)-1]); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"report":`); err != nil {
		return err
	}
	if err := rep.WriteJSON(w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "}")
	return err
}

// withReserve shortens the deadline by the reserve, when there is one.
func (w *Worker) withReserve(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := w.Reserve
	if reserve <= 0 {
		reserve = DefaultReserve
	}
	return context.WithDeadline(ctx, dl.Add(-reserve))
}

// auditItem runs the single-account audit on one region of one member. A
// nil report means nothing was evaluated; err says why.
func (w *Worker) auditItem(ctx context.Context, it Item) (*audit.Report, error) {
	key := awsclients.Key{Account: it.Account, Region: it.Region}
	cfg, err := w.Read.Config(ctx, key)
	if err != nil {
		return nil, err
	}
	read := ec2.NewFromConfig(cfg, w.EC2Options...)
	opts := []audit.Option{
		audit.WithRegions(it.Region), audit.WithAccount(it.Account), audit.WithConcurrency(1),
		audit.WithMaxReverts(w.MaxReverts),
		// A region's exposures wait on disk for the part, not in memory.
		audit.WithExposureSpool(""),
		// The part holds the report; logging it again per item would double
		// the logs of a large organization.
		audit.WithLogger(slog.New(warnOnly{w.logger().Handler()})),
	}
	if w.Now != nil {
		opts = append(opts, audit.WithClock(w.Now))
	}
	if w.Revert != nil && w.MaxReverts > 0 && w.Engine.Mode() == policy.ModeEnforce {
		opts = append(opts, audit.WithReverter(audit.RemediateReverter(func(region string) (remediate.Revoker, error) {
			rcfg, err := w.Revert.Config(ctx, awsclients.Key{Account: it.Account, Region: region})
			if err != nil {
				return nil, err
			}
			return ec2.NewFromConfig(rcfg, w.EC2Options...), nil
		}, w.logger())))
	}
	a, err := audit.New(w.Engine, func(region string) (audit.EC2API, error) {
		if region != it.Region {
			return nil, &awsclients.NotServedError{Key: awsclients.Key{Account: it.Account, Region: region}}
		}
		return read, nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	rep, err := a.Run(ctx)
	if rep == nil || len(rep.Regions) == 0 {
		if err == nil {
			err = errors.New("audit returned no report")
		}
		return nil, err
	}
	return rep, err
}

func countsOf(rep *audit.Report) Counts {
	c := Counts{
		Violations: rep.Counts.Violations, Exempt: rep.Counts.Exempt, RulesInViolation: rep.Counts.RulesInViolation,
		ExposedNetworkInterfaces: rep.Counts.ExposedNetworkInterfaces,
		Reverted:                 rep.Remediation.Reverted, RevertsFailed: rep.Remediation.Failed,
	}
	for _, r := range rep.Regions {
		c.SecurityGroups += r.SecurityGroups
		c.Rules += r.Rules
		c.NetworkInterfaces += r.NetworkInterfaces
	}
	return c
}

// Classify names why an account and region could not be audited, from the
// AWS error code where there is one.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
			"InvalidClientTokenId", "ExpiredToken", "RegionDisabledException", "OptInRequired":
			return ReasonAccessDenied
		case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
			"RequestThrottled", "SlowDown", "ThrottledException":
			return ReasonThrottled
		}
	}
	return ReasonError
}

// warnOnly passes records at warning level and above.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }
