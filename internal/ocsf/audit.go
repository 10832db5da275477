package ocsf

import (
	"fmt"
	"time"
)

// AuditRun is what the audit's Compliance Finding reports. The audit
// fills it from its report (package ocsf does not import the audit).
type AuditRun struct {
	RunID      string
	Account    string
	Regions    []string
	StartedAt  time.Time
	FinishedAt time.Time
	Mode       string
	// Complete is false when something could not be listed or evaluated.
	Complete   bool
	Violations int
	Exempt     int
	Reverted   int
	Failed     int
	// WorstSeverity is the severity of the worst violation ("" if none).
	WorstSeverity string
	// ByCheck counts the findings of each check.
	ByCheck map[string]int
	// Standards are the standards controls the policy's checks name
	// (e.g. "AWS Foundational Security Best Practices/EC2.13").
	Standards []string
	// ReportURI is where the full report is, if stored.
	ReportURI string
}

// FromAudit maps an audit run to a Compliance Finding: Fail with any
// violation, Warning when the run was incomplete, Pass otherwise.
func FromAudit(r AuditRun) Event {
	e := Event{
		Time: millis(r.FinishedAt),
		Metadata: Metadata{
			Version:  Version,
			Product:  Product{Name: "sgwarden", VendorName: "sgwarden", Version: ProductVersion},
			UID:      uid("audit", r.Account, r.RunID),
			Profiles: []string{"cloud"},
		},
		Cloud: Cloud{Provider: "AWS", Account: awsAccount(r.Account)},
		FindingInfo: FindingInfo{
			UID:         "sgwarden/audit/" + r.Account + "/" + r.RunID,
			Title:       fmt.Sprintf("sgwarden audit of %s: %d violations, %d reverted, %d failed", r.Account, r.Violations, r.Reverted, r.Failed),
			Types:       []string{"sgwarden/audit"},
			CreatedTime: millis(r.FinishedAt), FirstSeenTime: millis(r.StartedAt), LastSeenTime: millis(r.FinishedAt),
			SrcURL:   r.ReportURI,
			Analytic: &Analytic{UID: "sgwarden-audit", Name: "sgwarden audit", TypeID: 1, Type: "Rule"},
		},
		Resources: []Resource{{UID: r.Account, Type: "AWS::::Account", CloudPartition: "aws"}},
		Unmapped: map[string]any{"sgwarden": map[string]any{
			"run_id": r.RunID, "mode": r.Mode, "regions": r.Regions, "complete": r.Complete,
			"violations": r.Violations, "exempt": r.Exempt, "reverted": r.Reverted, "failed": r.Failed, "by_check": r.ByCheck,
		}},
	}
	if len(r.Regions) == 1 {
		e.Cloud.Region = r.Regions[0]
	}
	e.SeverityID, e.Severity = severity(r.WorstSeverity)
	if e.SeverityID == 0 {
		e.SeverityID, e.Severity = severity("info")
	}
	c := &Compliance{
		Standards:    append([]string{"sgwarden policy"}, standardsOf(r.Standards)...),
		Requirements: r.Standards,
		Control:      "sgwarden security-group policy",
	}
	switch {
	case r.Violations > 0:
		c.StatusID = ComplianceStatusFail
		c.StatusDetail = fmt.Sprintf("%d rule findings violate the policy (%d exempt)", r.Violations, r.Exempt)
	case !r.Complete:
		c.StatusID = ComplianceStatusWarn
		c.StatusDetail = "the audit could not scan everything; see the report"
	default:
		c.StatusID = ComplianceStatusPass
	}
	c.Status = complianceNames[c.StatusID]
	e.Compliance = c
	e.Message = e.FindingInfo.Title
	e.StatusID = StatusNew
	if c.StatusID == ComplianceStatusPass {
		e.StatusID = StatusResolved
	}
	e.classify(ClassComplianceFind, ActivityCreate)
	return e
}

// standardsOf returns the distinct standards of "Standard/Control" names.
func standardsOf(reqs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range reqs {
		std := r
		for i := len(r) - 1; i >= 0; i-- {
			if r[i] == '/' {
				std = r[:i]
				break
			}
		}
		if !seen[std] {
			seen[std] = true
			out = append(out, std)
		}
	}
	return out
}
