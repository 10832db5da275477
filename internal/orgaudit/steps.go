package orgaudit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"
)

// Steps of the function's input {"step": ...}.
const (
	StepList   = "list"
	StepAudit  = "audit"
	StepReport = "report"
)

// Request is the input of every step.
type Request struct {
	Step  string `json:"step"`
	RunID string `json:"runId,omitempty"`
	// Account and Region name the item of the audit step.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// OmitItems asks the list step to return the items only as the object
	// at itemsKey: the state machine's Distributed Map reads them from S3,
	// as a task result holds at most 256 KiB (about 4,000 items).
	OmitItems bool `json:"omitItems,omitempty"`
}

// ListResult is the output of the list step.
type ListResult struct {
	RunID string `json:"runId"`
	// Items is empty when the request asked to omit them.
	Items []Item `json:"items,omitempty"`
	// ItemsKey is where the same items are stored as one JSON array, for a
	// Distributed Map that reads its items from S3 (an organization too
	// large for the 256 KiB state payload).
	ItemsKey string `json:"itemsKey"`
}

// ReportResult is the output of the report step.
type ReportResult struct {
	RunID      string `json:"runId"`
	Complete   bool   `json:"complete"`
	Planned    int    `json:"planned"`
	Audited    int    `json:"audited"`
	NotAudited int    `json:"notAudited"`
	Totals     Counts `json:"totals"`
	Report     string `json:"report"`
}

// Steps runs the three steps. Build it once; it is safe for concurrent use.
type Steps struct {
	Org      OrganizationsAPI
	OUs      []string
	Regions  []string
	Worker   *Worker
	Reporter *Reporter
	Now      func() time.Time
}

var (
	runIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// ItemsKey is where the list step stores the items alone.
func ItemsKey(runID string) string { return runPrefix(runID) + "items.json" }

// Handle dispatches one invocation. Bad input is an error that says what is
// wrong; an account that cannot be audited is not (see Worker.Audit).
func (s *Steps) Handle(ctx context.Context, req Request) (any, error) {
	if req.Step != StepList && !runIDRE.MatchString(req.RunID) {
		return nil, fmt.Errorf("step %q: runId %q: want 1-80 letters, digits, '.', '_' or '-'", req.Step, req.RunID)
	}
	switch req.Step {
	case StepList:
		list, err := s.List(ctx, req.RunID)
		if err == nil && req.OmitItems {
			list.Items = nil
		}
		return list, err
	case StepAudit:
		if !accountRE.MatchString(req.Account) {
			return nil, fmt.Errorf("step audit: account %q is not 12 digits", req.Account)
		}
		if !slices.Contains(s.Regions, req.Region) {
			return nil, fmt.Errorf("step audit: region %q is not one of the configured regions %v", req.Region, s.Regions)
		}
		st, err := s.Worker.Audit(ctx, req.RunID, Item{Account: req.Account, Region: req.Region})
		if err != nil {
			return nil, err
		}
		return st, nil
	case StepReport:
		rep, err := s.Reporter.Report(ctx, req.RunID)
		if rep == nil {
			return nil, err
		}
		return &ReportResult{RunID: rep.RunID, Complete: rep.Complete, Planned: rep.Planned, Audited: rep.Audited,
			NotAudited: len(rep.NotAudited), Totals: rep.Totals, Report: s.Reporter.Store.Where(ReportKey(rep.RunID))}, err
	}
	return nil, fmt.Errorf("step %q: want %q, %q or %q", req.Step, StepList, StepAudit, StepReport)
}

// List lists the accounts, stores the plan and returns the items. An empty
// runID gets a new one from the clock.
func (s *Steps) List(ctx context.Context, runID string) (*ListResult, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	started := now().UTC()
	if runID == "" {
		runID = NewRunID(started)
	} else if !runIDRE.MatchString(runID) {
		return nil, fmt.Errorf("step list: runId %q: want 1-80 letters, digits, '.', '_' or '-'", runID)
	}
	if len(s.Regions) == 0 {
		return nil, errors.New("step list: no region configured")
	}
	accounts, err := ListAccounts(ctx, s.Org, s.OUs)
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("step list: no active account under %v", s.OUs)
	}
	plan := PlanDoc{SchemaVersion: SchemaVersion, Kind: KindPlan, RunID: runID, StartedAt: started,
		Mode: s.Worker.Engine.Mode(), OUs: s.OUs, Regions: s.Regions, Accounts: accounts, Items: Plan(accounts, s.Regions)}
	if plan.OUs == nil {
		plan.OUs = []string{}
	}
	body, err := json.Marshal(&plan)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	if err := s.Worker.Store.Put(ctx, PlanKey(runID), bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		return nil, err
	}
	items, _ := json.Marshal(plan.Items)
	if err := s.Worker.Store.Put(ctx, ItemsKey(runID), bytes.NewReader(items), int64(len(items)), "application/json"); err != nil {
		return nil, err
	}
	return &ListResult{RunID: runID, Items: plan.Items, ItemsKey: ItemsKey(runID)}, nil
}

// NewRunID returns a run ID such as 20261206T010203Z-9f3a1c.
func NewRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run does what the state machine does, in this process: list, audit every
// item with at most concurrency at once (progress sees each status), then
// report. The CLI uses it.
func (s *Steps) Run(ctx context.Context, concurrency int, progress func(Status)) (*Report, error) {
	list, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	concurrency = max(concurrency, 1)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, it := range list.Items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			st, err := s.Worker.Audit(ctx, list.RunID, it)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				// The report lists the item as without result.
				errs = append(errs, err)
			}
			if progress != nil {
				progress(st)
			}
		})
	}
	wg.Wait()
	rep, err := s.Reporter.Report(ctx, list.RunID)
	return rep, errors.Join(append(errs, err)...)
}
