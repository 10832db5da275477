package orgaudit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// KindSummary is the kind of the summary alert's JSON document.
const KindSummary = "sgwarden.orgaudit.summary"

// Summary limits: the JSON and the text must each fit one SNS message.
const (
	maxSummaryAccounts  = 50
	maxSummaryExposures = 10
	maxSummaryUnaudited = 50
	maxSummaryBytes     = 100 << 10
)

// Summary is the one alert of a run: the report with its lists bounded.
type Summary struct {
	SchemaVersion int                         `json:"schemaVersion"`
	Kind          string                      `json:"kind"`
	Action        string                      `json:"action"`
	Severity      policy.Severity             `json:"severity"`
	RunID         string                      `json:"runId"`
	Mode          policy.Mode                 `json:"mode"`
	Complete      bool                        `json:"complete"`
	Planned       int                         `json:"planned"`
	Audited       int                         `json:"audited"`
	Accounts      int                         `json:"accounts"`
	Regions       []string                    `json:"regions"`
	Totals        Counts                      `json:"totals"`
	ByCheck       map[string]audit.CheckCount `json:"byCheck"`
	// ByAccount lists the accounts with the most rules in violation.
	ByAccount      []AccountCounts `json:"byAccount"`
	WorstExposures []Exposure      `json:"worstExposures"`
	NotAudited     []Unaudited     `json:"notAudited"`
	Incomplete     []Unaudited     `json:"incomplete"`
	Report         string          `json:"report,omitempty"`
	Truncated      bool            `json:"truncated"`
}

// NewSummary bounds the report's lists for the alert; location is where
// report.json is.
func NewSummary(r *Report, location string) *Summary {
	s := &Summary{
		SchemaVersion: SchemaVersion, Kind: KindSummary, Action: audit.AuditAction, Severity: r.Severity,
		RunID: r.RunID, Mode: r.Mode, Complete: r.Complete, Planned: r.Planned, Audited: r.Audited,
		Accounts: len(r.Accounts), Regions: r.Regions, Totals: r.Totals, ByCheck: r.ByCheck,
		ByAccount: worstAccounts(r.Accounts), WorstExposures: r.WorstExposures,
		NotAudited: r.NotAudited, Incomplete: r.Incomplete, Report: location,
	}
	accounts, exposures, unaudited := maxSummaryAccounts, maxSummaryExposures, maxSummaryUnaudited
	for {
		s.ByAccount, s.Truncated = cut(s.ByAccount, accounts, s.Truncated)
		s.WorstExposures, s.Truncated = cut(s.WorstExposures, exposures, s.Truncated)
		s.NotAudited, s.Truncated = cut(s.NotAudited, unaudited, s.Truncated)
		s.Incomplete, s.Truncated = cut(s.Incomplete, unaudited, s.Truncated)
		b, _ := json.Marshal(s)
		if (len(b) <= maxSummaryBytes && len(s.Text()) <= maxSummaryBytes) || (accounts+exposures+unaudited == 0) {
			return s
		}
		accounts, exposures, unaudited = accounts/2, exposures/2, unaudited/2
	}
}

func cut[T any](list []T, n int, truncated bool) ([]T, bool) {
	if len(list) > n {
		return list[:n], true
	}
	return list, truncated
}

// worstAccounts orders accounts by rules in violation, most first, leaving
// out those with none.
func worstAccounts(all []AccountCounts) []AccountCounts {
	out := []AccountCounts{}
	for _, a := range all {
		if a.RulesInViolation > 0 || len(a.NotAudited) > 0 {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(x, y AccountCounts) int {
		return cmp.Or(-cmp.Compare(x.RulesInViolation, y.RulesInViolation), cmp.Compare(x.Account, y.Account))
	})
	return out
}

// Subject is the SNS subject (at most 100 characters), e.g.
// "ORG AUDIT: 120 rules in violation in 37 of 50 accounts, 2 not audited".
func (s *Summary) Subject() string {
	withViolations := 0
	for _, a := range s.ByAccount {
		if a.RulesInViolation > 0 {
			withViolations++
		}
	}
	subj := fmt.Sprintf("ORG AUDIT: %d rules in violation in %d of %d accounts", s.Totals.RulesInViolation, withViolations, s.Accounts)
	if n := s.Planned - s.Audited; n > 0 {
		subj += fmt.Sprintf(", %d not audited", n)
	} else if !s.Complete {
		subj += ", INCOMPLETE"
	}
	if len(subj) > 100 {
		subj = subj[:100]
	}
	return subj
}

// Text is the readable rendering for e-mail subscribers.
func (s *Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sgwarden organization audit, run %s (%s mode)\n", s.RunID, s.Mode)
	fmt.Fprintf(&b, "Accounts: %d, regions: %s; %d of %d account-regions audited\n", s.Accounts, strings.Join(s.Regions, ", "), s.Audited, s.Planned)
	writeNotAudited(&b, "NOT AUDITED", s.NotAudited)
	writeNotAudited(&b, "Audited with something missing", s.Incomplete)
	fmt.Fprintf(&b, "\nRules in violation: %d (findings %d, worst severity %s, %d exempt); exposed interfaces: %d; reverted %d, revert failures %d\n",
		s.Totals.RulesInViolation, s.Totals.Violations, s.Severity, s.Totals.Exempt, s.Totals.ExposedNetworkInterfaces, s.Totals.Reverted, s.Totals.RevertsFailed)
	b.WriteString("\nPer check:\n")
	for _, c := range slices.Sorted(maps.Keys(s.ByCheck)) {
		fmt.Fprintf(&b, "  - %s (%s): %d\n", c, s.ByCheck[c].Severity, s.ByCheck[c].Total)
	}
	if len(s.ByAccount) > 0 {
		b.WriteString("\nPer account (most rules in violation first):\n")
		for _, a := range s.ByAccount {
			fmt.Fprintf(&b, "  - %s %s: %d rules, %d findings, %d exposed interfaces", a.Account, a.Name, a.RulesInViolation, a.Violations, a.ExposedNetworkInterfaces)
			if len(a.NotAudited) > 0 {
				fmt.Fprintf(&b, "; not audited in %s", strings.Join(a.NotAudited, ", "))
			}
			b.WriteString("\n")
		}
	}
	if len(s.WorstExposures) > 0 {
		b.WriteString("\nWorst exposures:\n")
		for _, e := range s.WorstExposures {
			audit.WriteExposureText(&b, e.Account+" "+e.Region+" "+e.NetworkInterface, e.OwnerType, e.PublicIP, e.Open)
		}
	}
	if s.Report != "" {
		fmt.Fprintf(&b, "\nFull report: %s\n", s.Report)
	}
	if s.Truncated {
		b.WriteString("(lists shortened; the full report has everything)\n")
	}
	return b.String()
}

func writeNotAudited(b *strings.Builder, title string, us []Unaudited) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for _, u := range us {
		fmt.Fprintf(b, "  - %s %s: %s: %s\n", u.Account, u.Region, u.Reason, u.Error)
	}
}

// PublishInput renders the summary as one SNS message with MessageStructure
// json: compact JSON for every protocol, readable text for e-mail.
func (s *Summary) PublishInput(topicARN string) (*sns.PublishInput, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	msg, err := json.Marshal(map[string]string{"default": string(doc), "email": s.Text()})
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return &sns.PublishInput{
		TopicArn: aws.String(topicARN), Subject: aws.String(s.Subject()),
		Message: aws.String(string(msg)), MessageStructure: aws.String("json"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"action":   {DataType: aws.String("String"), StringValue: aws.String(audit.AuditAction)},
			"severity": {DataType: aws.String("String"), StringValue: aws.String(string(s.Severity))},
			"scope":    {DataType: aws.String("String"), StringValue: aws.String("organization")},
		},
	}, nil
}

// Markdown renders the whole report (report.md).
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# sgwarden organization audit %s\n\n", r.RunID)
	fmt.Fprintf(&b, "- mode: %s\n- started: %s, finished: %s\n- regions: %s\n- account-regions audited: %d of %d\n- complete: %t\n\n",
		r.Mode, r.StartedAt.Format("2006-01-02 15:04:05Z"), r.FinishedAt.Format("2006-01-02 15:04:05Z"),
		strings.Join(r.Regions, ", "), r.Audited, r.Planned, r.Complete)
	t := r.Totals
	b.WriteString("## Totals\n\n| security groups | rules | interfaces | findings | exempt | rules in violation | exposed interfaces | reverted | revert failures |\n|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", t.SecurityGroups, t.Rules, t.NetworkInterfaces, t.Violations, t.Exempt, t.RulesInViolation, t.ExposedNetworkInterfaces, t.Reverted, t.RevertsFailed)
	mdUnaudited(&b, "Not audited", r.NotAudited)
	mdUnaudited(&b, "Audited with something missing", r.Incomplete)
	b.WriteString("## Per check\n\n| check | severity | findings |\n|---|---|---|\n")
	for _, c := range slices.Sorted(maps.Keys(r.ByCheck)) {
		fmt.Fprintf(&b, "| %s | %s | %d |\n", c, r.ByCheck[c].Severity, r.ByCheck[c].Total)
	}
	b.WriteString("\n## Per account\n\n| account | name | rules in violation | findings | exposed interfaces | audited regions | not audited |\n|---|---|---|---|---|---|---|\n")
	for _, a := range r.Accounts {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s |\n", a.Account, mdCell(a.Name), a.RulesInViolation, a.Violations,
			a.ExposedNetworkInterfaces, strings.Join(a.Audited, ", "), strings.Join(a.NotAudited, ", "))
	}
	if len(r.WorstExposures) > 0 {
		b.WriteString("\n## Worst exposures\n\n")
		for _, e := range r.WorstExposures {
			fmt.Fprintf(&b, "- **%s %s %s** (%s", e.Account, e.Region, e.NetworkInterface, e.OwnerType)
			if e.PublicIP != "" {
				fmt.Fprintf(&b, ", public IP %s", e.PublicIP)
			}
			fmt.Fprintf(&b, ", %s): %s\n", e.WorstSeverity, mdCell(strings.Join(e.Open, "; ")))
		}
	}
	fmt.Fprintf(&b, "\nEach account and region's full report: %s\n", r.Parts)
	return b.String()
}

func mdUnaudited(b *strings.Builder, title string, us []Unaudited) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s\n\n| account | region | reason | error |\n|---|---|---|---|\n", title)
	for _, u := range us {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", u.Account, u.Region, u.Reason, mdCell(u.Error))
	}
	b.WriteString("\n")
}

// mdCell keeps a value inside its table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
