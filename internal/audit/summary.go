package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// Summary is the document published to SNS (the "default" protocol message).
// Its lists are bounded; the full report holds everything.
type Summary struct {
	SchemaVersion int             `json:"schemaVersion"`
	Kind          string          `json:"kind"`
	Version       string          `json:"sgwardenVersion"`
	Action        string          `json:"action"`
	Severity      policy.Severity `json:"severity"`
	RunID         string          `json:"runId"`
	Account       string          `json:"account"`
	Mode          policy.Mode     `json:"mode"`
	Complete      bool            `json:"complete"`
	Regions       []string        `json:"regions"`
	Unscanned     []Unscanned     `json:"unscanned"`
	Counts        Counts          `json:"counts"`
	Remediation   Remediation     `json:"remediation"`
	TopExposures  []TopExposure   `json:"topExposures"`
	Reverted      []RuleOutcome   `json:"reverted"`
	Failed        []RuleOutcome   `json:"failed"`
	// Report is where the full report was stored (s3://...), if it was.
	Report string `json:"report,omitempty"`
	// Truncated is true when a list was cut to fit the message.
	Truncated bool `json:"truncated"`
}

// TopExposure is one of the worst exposed network interfaces.
type TopExposure struct {
	Region           string          `json:"region"`
	NetworkInterface string          `json:"networkInterface"`
	OwnerType        string          `json:"ownerType"`
	InstanceID       string          `json:"instanceId,omitempty"`
	PublicIP         string          `json:"publicIp,omitempty"`
	WorstSeverity    policy.Severity `json:"worstSeverity,omitempty"`
	// Open lists what is reachable, e.g. "tcp/22 from world via sg-1/sgr-2".
	Open []string `json:"open"`
}

// RuleOutcome is a reverted or failed rule.
type RuleOutcome struct {
	Region  string `json:"region"`
	GroupID string `json:"groupId"`
	RuleID  string `json:"ruleId"`
	Check   string `json:"check"`
	Rule    string `json:"rule"`
	Error   string `json:"error,omitempty"`
}

// Summary limits: SNS accepts 256 KiB in all; both renderings must fit.
const (
	maxTopExposures   = 10
	maxListedOutcomes = 50
	maxListedUnscan   = 20
	maxSummaryBytes   = 100 << 10
)

// AuditAction is the SNS "action" attribute of the summary.
const AuditAction = "audit"

// NewSummary builds the summary of a report; location is where the report was
// stored, if anywhere.
func NewSummary(r *Report, location string) *Summary {
	s := &Summary{
		SchemaVersion: SchemaVersion, Kind: KindSummary, Version: r.Version, Action: AuditAction,
		Severity: r.WorstSeverity(), RunID: r.RunID, Account: r.Account, Mode: r.Mode,
		Complete: r.Complete, Counts: r.Counts, Remediation: r.Remediation, Report: location,
		Regions: make([]string, 0, len(r.Regions)), Unscanned: r.Unscanned,
		TopExposures: []TopExposure{}, Reverted: []RuleOutcome{}, Failed: []RuleOutcome{},
	}
	for _, rr := range r.Regions {
		s.Regions = append(s.Regions, rr.Region)
	}
	worst := r.WorstExposures(maxTopExposures + 1)
	for i := range worst {
		if len(s.TopExposures) == maxTopExposures {
			s.Truncated = true
			break
		}
		s.TopExposures = append(s.TopExposures, topExposure(&worst[i]))
	}
	// One outcome per rule, named after its worst check.
	type listed struct {
		list *[]RuleOutcome
		i    int
		sev  policy.Severity
	}
	seen := map[string]listed{}
	for i := range r.Violations {
		f := &r.Violations[i]
		if f.Remediation == nil {
			continue
		}
		key := f.Region + "|" + findingRuleKey(f)
		if l, ok := seen[key]; ok {
			if worse(f.Severity, l.sev) {
				(*l.list)[l.i].Check = f.Check
				l.sev = f.Severity
				seen[key] = l
			}
			continue
		}
		o := RuleOutcome{Region: f.Region, GroupID: f.Group.ID, RuleID: f.Rule.ID, Check: f.Check, Rule: RuleText(f.Rule), Error: f.Remediation.Error}
		var list *[]RuleOutcome
		switch f.Remediation.Status {
		case StatusReverted, StatusAlreadyGone:
			list = &s.Reverted
		case StatusFailed:
			list = &s.Failed
		default:
			continue
		}
		*list = append(*list, o)
		seen[key] = listed{list: list, i: len(*list) - 1, sev: f.Severity}
	}
	s.fit(maxListedOutcomes, maxListedUnscan)
	return s
}

// fit cuts the lists until the JSON and the text both fit the message.
func (s *Summary) fit(outcomes, unscanned int) {
	for {
		if len(s.Reverted) > outcomes {
			s.Reverted, s.Truncated = s.Reverted[:outcomes], true
		}
		if len(s.Failed) > outcomes {
			s.Failed, s.Truncated = s.Failed[:outcomes], true
		}
		if len(s.Unscanned) > unscanned {
			s.Unscanned, s.Truncated = s.Unscanned[:unscanned], true
		}
		b, _ := json.Marshal(s)
		if (len(b) <= maxSummaryBytes && len(s.Text()) <= maxSummaryBytes) || (outcomes == 0 && unscanned == 0) {
			return
		}
		outcomes, unscanned = outcomes/2, unscanned/2
		if len(s.TopExposures) > 1 {
			s.TopExposures, s.Truncated = s.TopExposures[:len(s.TopExposures)/2], true
		}
	}
}

func topExposure(e *ExposureReport) TopExposure {
	t := TopExposure{
		Region: e.Region, NetworkInterface: e.NetworkInterface.ID, OwnerType: e.NetworkInterface.OwnerType,
		InstanceID: e.NetworkInterface.InstanceID, PublicIP: e.NetworkInterface.PublicIP, WorstSeverity: e.WorstSeverity,
		Open: make([]string, 0, len(e.Open)),
	}
	for _, o := range e.Open {
		var via []string
		for _, g := range o.Grants {
			via = append(via, g.String())
		}
		t.Open = append(t.Open, fmt.Sprintf("%s from %s via %s", PortsText(o.Protocol, o.FromPort, o.ToPort), o.From, strings.Join(via, ",")))
	}
	return t
}

// PortsText renders a protocol and port range in the one notation of
// policy.Rule.ProtoPorts: "tcp/22", "udp/1024-65535", "tcp/0-65535",
// "icmp/8", "all".
func PortsText(proto string, from, to int32) string {
	p, err := policy.ParseProtocol(proto)
	if err != nil {
		return "proto " + proto
	}
	r := policy.Rule{Protocol: p, FromPort: from, ToPort: to}
	return r.ProtoPorts()
}

// RuleText renders a rule, e.g. "ingress tcp/22 from 0.0.0.0/0".
func RuleText(r RuleRef) string {
	dir := "from"
	if r.Direction == "egress" {
		dir = "to"
	}
	return fmt.Sprintf("%s %s %s %s", r.Direction, PortsText(r.Protocol, r.FromPort, r.ToPort), dir, r.Peer)
}

// Subject is the SNS subject line (at most 100 characters), e.g.
// "AUDIT 123456789012: 3 reverted, 2 alerts, 0 failed (2 regions)", where
// every number counts rules.
func (s *Summary) Subject() string {
	// Alerts are the rules in violation that were neither reverted nor
	// failed, so that the three numbers count the same thing: rules.
	alerts := max(s.Counts.RulesInViolation-s.Remediation.Reverted-s.Remediation.Failed, 0)
	regions := fmt.Sprintf("%d regions", len(s.Regions))
	if len(s.Regions) == 1 {
		regions = "1 region"
	}
	if n := unscannedRegions(s.Unscanned); n > 0 || !s.Complete {
		regions += ", INCOMPLETE"
	}
	subj := fmt.Sprintf("AUDIT %s: %d reverted, %d alerts, %d failed (%s)", s.Account, s.Remediation.Reverted, alerts, s.Remediation.Failed, regions)
	if len(subj) > 100 {
		subj = subj[:100]
	}
	return subj
}

func unscannedRegions(us []Unscanned) int {
	var rs []string
	for _, u := range us {
		if !slices.Contains(rs, u.Region) {
			rs = append(rs, u.Region)
		}
	}
	return len(rs)
}

// Text is the readable rendering for e-mail subscribers.
func (s *Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sgwarden audit of account %s (%s mode), run %s\n", s.Account, s.Mode, s.RunID)
	fmt.Fprintf(&b, "Regions: %s\n", strings.Join(s.Regions, ", "))
	if !s.Complete {
		b.WriteString("\nINCOMPLETE: these could not be scanned:\n")
		for _, u := range s.Unscanned {
			res := ""
			if u.Resource != "" {
				res = " " + u.Resource
			}
			fmt.Fprintf(&b, "  - %s %s%s: %s\n", u.Region, u.Operation, res, u.Error)
		}
	}
	fmt.Fprintf(&b, "\nFindings: %d (worst severity %s), %d exempt\n", s.Counts.Violations, s.Severity, s.Counts.Exempt)
	checks := make([]string, 0, len(s.Counts.ByCheck))
	for c := range s.Counts.ByCheck {
		checks = append(checks, c)
	}
	slices.Sort(checks)
	for _, c := range checks {
		cc := s.Counts.ByCheck[c]
		fmt.Fprintf(&b, "  - %s (%s): %d\n", c, cc.Severity, cc.Total)
	}
	fmt.Fprintf(&b, "\nRemediation: %d reverted, %d failed, %d candidates (bound %d)\n",
		s.Remediation.Reverted, s.Remediation.Failed, s.Remediation.Candidates, s.Remediation.MaxReverts)
	if s.Remediation.Note != "" {
		fmt.Fprintf(&b, "  %s\n", s.Remediation.Note)
	}
	for _, o := range s.Reverted {
		fmt.Fprintf(&b, "  reverted %s %s %s: %s (%s)\n", o.Region, o.GroupID, o.RuleID, o.Rule, o.Check)
	}
	for _, o := range s.Failed {
		fmt.Fprintf(&b, "  FAILED %s %s %s: %s (%s): %s\n", o.Region, o.GroupID, o.RuleID, o.Rule, o.Check, o.Error)
	}
	fmt.Fprintf(&b, "\nExposed network interfaces: %d\n", s.Counts.ExposedNetworkInterfaces)
	for _, t := range s.TopExposures {
		who := t.OwnerType
		if t.InstanceID != "" {
			who += " " + t.InstanceID
		}
		WriteExposureText(&b, t.Region+" "+t.NetworkInterface, who, t.PublicIP, t.Open)
	}
	if s.Report != "" {
		fmt.Fprintf(&b, "\nFull report: %s\n", s.Report)
	}
	if s.Truncated {
		b.WriteString("(lists shortened; the full report has everything)\n")
	}
	return b.String()
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
		TopicArn:         aws.String(topicARN),
		Subject:          aws.String(s.Subject()),
		Message:          aws.String(string(msg)),
		MessageStructure: aws.String("json"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"action":   {DataType: aws.String("String"), StringValue: aws.String(AuditAction)},
			"severity": {DataType: aws.String("String"), StringValue: aws.String(string(s.Severity))},
		},
	}, nil
}

func (a *Auditor) publish(ctx context.Context, rep *Report, location string) error {
	if a.publisher == nil {
		return nil
	}
	sum := NewSummary(rep, location)
	in, err := sum.PublishInput(a.topicARN)
	if err != nil {
		return err
	}
	if err := a.addChat(in, sum); err != nil {
		return err
	}
	if _, err := a.publisher.Publish(ctx, in); err != nil {
		return fmt.Errorf("publish audit summary %s to %s: %w", rep.RunID, a.topicARN, err)
	}
	a.logger.InfoContext(ctx, "audit summary published", "run_id", rep.RunID, "topic", a.topicARN)
	return nil
}

// WriteExposureText writes one exposed interface of a summary's text: where
// (region and interface, or more), its owner, its public IP if any, then
// what it opens, a line each. The account and the organization summaries
// share it.
func WriteExposureText(b *strings.Builder, where, owner, publicIP string, open []string) {
	fmt.Fprintf(b, "  %s (%s)", where, owner)
	if publicIP != "" {
		fmt.Fprintf(b, " public IP %s", publicIP)
	}
	b.WriteString("\n")
	for _, o := range open {
		fmt.Fprintf(b, "      %s\n", o)
	}
}
