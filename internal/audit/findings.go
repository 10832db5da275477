package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/ocsf"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// WithSecurityHub imports a Security Hub finding for every rule and check
// that fires, per region, and archives the region's sgwarden findings whose
// rule is gone or compliant (docs/findings.md). hub returns the client of a
// region.
func WithSecurityHub(hub func(region string) (findings.Hub, error)) Option {
	return func(a *Auditor) error {
		if hub == nil {
			return errors.New("audit: nil Security Hub client factory")
		}
		a.hub = hub
		return nil
	}
}

// WithEvents puts the run's OCSF Compliance Finding on bus ("" is the
// default bus).
func WithEvents(p ocsf.Putter, bus string) Option {
	return func(a *Auditor) error {
		if p == nil {
			return errors.New("audit: nil EventBridge client")
		}
		a.events, a.bus = p, bus
		return nil
	}
}

// report sends the run to Security Hub and EventBridge. A region that was
// not scanned completely is not reconciled: a finding not seen because a
// list failed stays open.
func (a *Auditor) report(ctx context.Context, rep *Report, location string) error {
	var errs []error
	if a.hub != nil {
		for _, rr := range rep.Regions {
			if err := a.reportRegion(ctx, rep, rr); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if a.events != nil {
		if err := ocsf.Put(ctx, a.events, a.bus, ocsf.FromAudit(auditRun(rep, a.engine, location))); err != nil {
			errs = append(errs, fmt.Errorf("OCSF event of audit %s: %w", rep.RunID, err))
		}
	}
	return errors.Join(errs...)
}

func (a *Auditor) reportRegion(ctx context.Context, rep *Report, rr RegionReport) error {
	if rr.Status == RegionFailed {
		return nil
	}
	hub, err := a.hub(rr.Region)
	if err != nil {
		return fmt.Errorf("securityhub client for %s: %w", rr.Region, err)
	}
	ownerKey := a.engine.OwnerTagKey()
	var items []findings.Item
	current := map[string]bool{}
	for i := range rep.Violations {
		f := &rep.Violations[i]
		if f.Region != rr.Region {
			continue
		}
		it := auditItem(rep, f, ownerKey, a.engine)
		current[it.ID()] = true
		items = append(items, it)
	}
	describe := findings.Descriptions(a.engine.Checks())
	if err := findings.ImportItems(ctx, hub, items, rep.FinishedAt, describe); err != nil {
		return fmt.Errorf("import findings of audit %s in %s into Security Hub: %w", rep.RunID, rr.Region, err)
	}
	if rr.Status != RegionScanned {
		a.logger.WarnContext(ctx, "Security Hub findings not reconciled: region scanned only partly", "run_id", rep.RunID, "region", rr.Region)
		return nil
	}
	n, err := findings.Reconcile(ctx, hub, rep.Account, rr.Region, current, rep.FinishedAt)
	if err != nil {
		return fmt.Errorf("close gone Security Hub findings of audit %s in %s: %w", rep.RunID, rr.Region, err)
	}
	a.logger.InfoContext(ctx, "Security Hub findings imported", "run_id", rep.RunID, "region", rr.Region, "findings", len(items), "archived", n)
	return nil
}

// auditItem is the finding of one audit finding.
func auditItem(rep *Report, f *Finding, ownerKey string, ex findings.ExemptionTags) findings.Item {
	g := notify.Group{ID: f.Group.ID, Name: f.Group.Name, VPC: f.Group.VPC, IsDefault: f.Group.Default, Tags: f.Group.Tags}
	if ownerKey != "" {
		g.Owner = f.Group.Tags[ownerKey]
	}
	r := notify.Rule{ID: f.Rule.ID, GroupID: f.Group.ID, Direction: f.Rule.Direction, Protocol: f.Rule.Protocol,
		Ports: portsOf(f.Rule), Peer: f.Rule.Peer, PeerKind: f.Rule.PeerKind, Tags: f.Rule.Tags, Decision: string(f.Decision)}
	it := findings.Item{
		Account: rep.Account, Region: f.Region, Group: g, Rule: r,
		Check: f.Check, CheckSeverity: string(f.Severity), Reason: f.Reason,
		Exemption: findings.ExemptionText(f.Exemption, ex, f.Rule.Tags, f.Group.Tags),
		State:     findings.StateOpen, Action: "audit", Observed: rep.FinishedAt,
	}
	switch {
	case f.Remediation != nil && (f.Remediation.Status == StatusReverted || f.Remediation.Status == StatusAlreadyGone):
		it.State, it.Action = findings.StateResolved, string(notify.ActionReverted)
	case f.Exemption != "":
		it.State = findings.StateExempt
	case f.Remediation != nil && f.Remediation.Status == StatusFailed:
		it.Action, it.Error = string(notify.ActionFailed), f.Remediation.Error
	}
	return it
}

// portsOf renders a rule's ports as alerts do ("22", "1024-65535", "all").
func portsOf(r RuleRef) string {
	p := map[string]policy.Protocol{"all": policy.ProtoAll, "tcp": policy.ProtoTCP, "udp": policy.ProtoUDP,
		"icmp": policy.ProtoICMP, "icmpv6": policy.ProtoICMPv6}[r.Protocol]
	if p == 0 {
		n, err := strconv.Atoi(r.Protocol)
		if err != nil {
			return "all"
		}
		p = policy.Protocol(n)
	}
	return notify.Ports(&policy.Rule{Protocol: p, FromPort: r.FromPort, ToPort: r.ToPort})
}

// auditRun is the run as its OCSF Compliance Finding reports it.
func auditRun(rep *Report, engine *policy.Engine, location string) ocsf.AuditRun {
	run := ocsf.AuditRun{
		RunID: rep.RunID, Account: rep.Account, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt,
		Mode: string(rep.Mode), Complete: rep.Complete,
		Violations: rep.Counts.Violations, Exempt: rep.Counts.Exempt,
		Reverted: rep.Remediation.Reverted, Failed: rep.Remediation.Failed,
		WorstSeverity: string(rep.WorstSeverity()), ByCheck: map[string]int{}, ReportURI: location,
	}
	for _, r := range rep.Regions {
		run.Regions = append(run.Regions, r.Region)
	}
	for id, c := range rep.Counts.ByCheck {
		run.ByCheck[id] = c.Total
	}
	seen := map[string]bool{}
	for _, c := range engine.Checks() {
		for _, req := range findings.Requirements(c.Description) {
			if !seen[req] {
				seen[req] = true
				run.Standards = append(run.Standards, req)
			}
		}
	}
	return run
}

// SecurityHubClients builds a Security Hub client per region from cfg; its
// result is the factory of WithSecurityHub.
func SecurityHubClients(cfg aws.Config, regions []string) func(region string) (findings.Hub, error) {
	byRegion := make(map[string]*securityhub.Client, len(regions))
	for _, r := range regions {
		byRegion[r] = securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = r })
	}
	return func(region string) (findings.Hub, error) {
		c, ok := byRegion[region]
		if !ok {
			return nil, fmt.Errorf("no Security Hub client for region %s: it is not configured", region)
		}
		return c, nil
	}
}

// WithChat adds the summary as a custom chat notification for HTTPS
// subscribers (Amazon Q Developer in chat applications).
func WithChat(ch chat.Channel) Option {
	return func(a *Auditor) error {
		a.chat = ch
		return nil
	}
}

// addChat puts the chat rendering of s under the "https" key of the
// message (MessageStructure json).
func (a *Auditor) addChat(in *sns.PublishInput, s *Summary) error {
	body, err := chat.Summary(s.RunID, s.Account, s.Subject(), s.Text(), s.Report, string(s.Severity), a.chat)
	if err != nil || body == nil {
		return err
	}
	var bodies map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &bodies); err != nil {
		return fmt.Errorf("add chat to summary %s: %w", s.RunID, err)
	}
	bodies["https"] = string(body)
	msg, err := json.Marshal(bodies)
	if err != nil {
		return fmt.Errorf("add chat to summary %s: %w", s.RunID, err)
	}
	in.Message = aws.String(string(msg))
	return nil
}
