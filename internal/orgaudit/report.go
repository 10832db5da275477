package orgaudit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// maxWorstExposures bounds the exposures the report keeps across the
// organization; each part keeps all of its own.
const maxWorstExposures = 25

// partReaders is how many parts the report step reads at once.
const partReaders = 16

// PlanDoc is what the list step stores: the run's items.
type PlanDoc struct {
	SchemaVersion int         `json:"schemaVersion"`
	Kind          string      `json:"kind"`
	RunID         string      `json:"runId"`
	StartedAt     time.Time   `json:"startedAt"`
	Mode          policy.Mode `json:"mode"`
	OUs           []string    `json:"ous"`
	Regions       []string    `json:"regions"`
	Accounts      []Account   `json:"accounts"`
	Items         []Item      `json:"items"`
}

// Report is the organization report (report.json).
type Report struct {
	SchemaVersion int         `json:"schemaVersion"`
	Kind          string      `json:"kind"`
	RunID         string      `json:"runId"`
	StartedAt     time.Time   `json:"startedAt"`
	FinishedAt    time.Time   `json:"finishedAt"`
	Mode          policy.Mode `json:"mode"`
	Regions       []string    `json:"regions"`
	// Complete is true when every planned account and region was audited
	// in full.
	Complete bool `json:"complete"`
	Planned  int  `json:"planned"`
	Audited  int  `json:"audited"`
	// Totals sum the audited parts.
	Totals   Counts                      `json:"totals"`
	Severity policy.Severity             `json:"severity"`
	ByCheck  map[string]audit.CheckCount `json:"byCheck"`
	Accounts []AccountCounts             `json:"accounts"`
	// WorstExposures are the worst exposed interfaces of the organization.
	WorstExposures []Exposure `json:"worstExposures"`
	// NotAudited lists what could not be audited at all, Incomplete what
	// was audited with something missing; each with the reason.
	NotAudited []Unaudited `json:"notAudited"`
	Incomplete []Unaudited `json:"incomplete"`
	// Parts is where each account and region's full report is.
	Parts string `json:"parts"`
}

// AccountCounts are one account's numbers.
type AccountCounts struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	Counts
	ByCheck    map[string]int `json:"byCheck"`
	Audited    []string       `json:"auditedRegions"`
	NotAudited []string       `json:"notAuditedRegions"`
}

// Exposure is one of the organization's worst exposures.
type Exposure struct {
	Account string `json:"account"`
	audit.TopExposure
}

// Unaudited is an account and region that could not be (fully) audited.
type Unaudited struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
}

// Reporter builds the report of a run from its parts.
type Reporter struct {
	Store Store
	// Publisher and TopicARN receive the summary; nil publishes nothing.
	Publisher audit.Publisher
	TopicARN  string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Report reads the plan and every part of runID, one part at a time,
// stores report.json and report.md, and publishes the summary. An error
// means the report or the alert could not be delivered.
func (r *Reporter) Report(ctx context.Context, runID string) (*Report, error) {
	raw, err := r.Store.Get(ctx, PlanKey(runID))
	if err != nil {
		return nil, fmt.Errorf("run %s: plan: %w", runID, err)
	}
	var plan PlanDoc
	if err := json.Unmarshal(raw, &plan); err != nil {
		return nil, fmt.Errorf("run %s: decode plan: %w", runID, err)
	}
	agg := newAggregate(&plan, r.Store.Where(runPrefix(runID)+"parts/"))
	// Parts are read partReaders at a time (thousands of account-regions
	// would take minutes one by one) and aggregated in plan order, so at
	// most one chunk of parts is held.
	type result struct {
		part *PartSummary
		err  error
	}
	chunk := make([]result, partReaders)
	for start := 0; start < len(plan.Items); start += partReaders {
		items := plan.Items[start:min(start+partReaders, len(plan.Items))]
		var wg sync.WaitGroup
		for i, it := range items {
			wg.Go(func() {
				p, err := r.readPart(ctx, runID, it)
				chunk[i] = result{p, err}
			})
		}
		wg.Wait()
		for i, it := range items {
			res := chunk[i]
			chunk[i] = result{}
			if res.err != nil {
				reason := ReasonError
				if errors.Is(res.err, ErrNotFound) {
					reason = ReasonNoResult
				}
				agg.notAudited(it, reason, res.err.Error())
				continue
			}
			agg.add(it, res.part)
		}
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	rep := agg.finish(now().UTC())

	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("run %s: encode report: %w", runID, err)
	}
	var errs []error
	md := rep.Markdown()
	if err := r.Store.Put(ctx, ReportKey(runID), bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		errs = append(errs, err)
	}
	if err := r.Store.Put(ctx, MarkdownKey(runID), strings.NewReader(md), int64(len(md)), "text/markdown; charset=utf-8"); err != nil {
		errs = append(errs, err)
	}
	if r.Publisher != nil {
		in, err := NewSummary(rep, r.Store.Where(ReportKey(runID))).PublishInput(r.TopicARN)
		if err == nil {
			_, err = r.Publisher.Publish(ctx, in)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("publish org audit summary %s to %s: %w", runID, r.TopicARN, err))
		}
	}
	if r.Logger != nil {
		r.Logger.InfoContext(ctx, "org audit report", "run_id", runID, "planned", rep.Planned, "audited", rep.Audited,
			"not_audited", len(rep.NotAudited), "rules_in_violation", rep.Totals.RulesInViolation)
	}
	return rep, errors.Join(errs...)
}

func (r *Reporter) readPart(ctx context.Context, runID string, it Item) (*PartSummary, error) {
	key := SummaryKey(runID, it)
	raw, err := r.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var p PartSummary
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", r.Store.Where(key), err)
	}
	if p.Status.Account != it.Account || p.Status.Region != it.Region {
		return nil, fmt.Errorf("%s holds %s/%s", r.Store.Where(key), p.Status.Account, p.Status.Region)
	}
	return &p, nil
}

// aggregate keeps only what the report needs while parts stream through.
type aggregate struct {
	rep      *Report
	accounts map[string]*AccountCounts
	worst    []scoredExposure
}

type scoredExposure struct {
	account string
	e       audit.ExposureReport
}

func newAggregate(plan *PlanDoc, parts string) *aggregate {
	a := &aggregate{
		rep: &Report{
			SchemaVersion: SchemaVersion, Kind: KindReport, RunID: plan.RunID, StartedAt: plan.StartedAt,
			Mode: plan.Mode, Regions: plan.Regions, Planned: len(plan.Items), ByCheck: map[string]audit.CheckCount{},
			NotAudited: []Unaudited{}, Incomplete: []Unaudited{}, WorstExposures: []Exposure{}, Parts: parts,
		},
		accounts: map[string]*AccountCounts{},
	}
	for _, acc := range plan.Accounts {
		a.accounts[acc.ID] = &AccountCounts{Account: acc.ID, Name: acc.Name, ByCheck: map[string]int{}, Audited: []string{}, NotAudited: []string{}}
	}
	return a
}

func (a *aggregate) account(id string) *AccountCounts {
	ac, ok := a.accounts[id]
	if !ok {
		ac = &AccountCounts{Account: id, ByCheck: map[string]int{}, Audited: []string{}, NotAudited: []string{}}
		a.accounts[id] = ac
	}
	return ac
}

func (a *aggregate) notAudited(it Item, reason, msg string) {
	a.rep.NotAudited = append(a.rep.NotAudited, Unaudited{Account: it.Account, Region: it.Region, Reason: reason, Error: msg})
	ac := a.account(it.Account)
	ac.NotAudited = append(ac.NotAudited, it.Region)
}

func (a *aggregate) add(it Item, p *PartSummary) {
	st := p.Status
	if !st.OK || !p.Audited {
		reason := st.Reason
		if reason == "" {
			reason = ReasonError
		}
		a.notAudited(it, reason, st.Error)
		return
	}
	a.rep.Audited++
	ac := a.account(it.Account)
	ac.Audited = append(ac.Audited, it.Region)
	ac.Counts.add(st.Counts)
	a.rep.Totals.add(st.Counts)
	if p.UnscannedCount > 0 && len(p.Unscanned) > 0 {
		u := p.Unscanned[0]
		msg := u.Operation + ": " + u.Error
		if u.Resource != "" {
			msg = u.Operation + " " + u.Resource + ": " + u.Error
		}
		if n := p.UnscannedCount; n > 1 {
			msg += fmt.Sprintf(" (and %d more)", n-1)
		}
		a.rep.Incomplete = append(a.rep.Incomplete, Unaudited{Account: it.Account, Region: it.Region, Reason: cmp.Or(st.Reason, ReasonError), Error: msg})
	}
	for check, cc := range p.ByCheck {
		org := a.rep.ByCheck[check]
		if org.ByDecision == nil {
			org.ByDecision = map[policy.Decision]int{}
		}
		org.Severity = cc.Severity
		org.Total += cc.Total
		for d, n := range cc.ByDecision {
			org.ByDecision[d] += n
		}
		a.rep.ByCheck[check] = org
		ac.ByCheck[check] += cc.Total
	}
	// A part's exposures are sorted worst first: only its head can enter.
	for i := range min(len(p.WorstExposures), maxWorstExposures) {
		a.worst = append(a.worst, scoredExposure{account: it.Account, e: p.WorstExposures[i]})
	}
	if len(a.worst) > 4*maxWorstExposures {
		a.trimWorst()
	}
}

func (a *aggregate) trimWorst() {
	slices.SortStableFunc(a.worst, func(x, y scoredExposure) int {
		return cmp.Or(audit.CompareExposures(x.e, y.e), cmp.Compare(x.account, y.account))
	})
	if len(a.worst) > maxWorstExposures {
		clear(a.worst[maxWorstExposures:])
		a.worst = a.worst[:maxWorstExposures]
	}
}

func (a *aggregate) finish(now time.Time) *Report {
	rep := a.rep
	rep.FinishedAt = now
	a.trimWorst()
	for _, w := range a.worst {
		rep.WorstExposures = append(rep.WorstExposures, Exposure{Account: w.account, TopExposure: audit.NewTopExposure(&w.e)})
	}
	for _, id := range slices.Sorted(maps.Keys(a.accounts)) {
		rep.Accounts = append(rep.Accounts, *a.accounts[id])
	}
	byItem := func(x, y Unaudited) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region))
	}
	slices.SortFunc(rep.NotAudited, byItem)
	slices.SortFunc(rep.Incomplete, byItem)
	rep.Complete = len(rep.NotAudited) == 0 && len(rep.Incomplete) == 0 && rep.Audited == rep.Planned
	rep.Severity = policy.SeverityInfo
	for _, cc := range rep.ByCheck {
		if cc.Total-cc.ByDecision[policy.DecisionExempt] > 0 && notify.SeverityRank(string(cc.Severity)) < notify.SeverityRank(string(rep.Severity)) {
			rep.Severity = cc.Severity
		}
	}
	return rep
}
