package ocsf

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/notify"
)

// ProductVersion is reported as metadata.product.version; the functions
// set it from their build.
var ProductVersion = ""

// FromAlert maps an event-path alert to a Detection Finding. describe gives
// a check's description (nil is allowed); now is when sgwarden acted.
func FromAlert(a *notify.Alert, subject string, describe func(string) string, now time.Time) Event {
	sevID, sev := severity(a.Severity)
	e := Event{
		SeverityID: sevID, Severity: sev,
		Time:    millis(now),
		Message: a.Summary,
		Metadata: Metadata{
			Version:  Version,
			Product:  Product{Name: "sgwarden", VendorName: "sgwarden", Version: ProductVersion},
			UID:      uid("alert", a.Account, a.Region, a.Event.ID, string(a.Action)),
			Profiles: []string{"cloud"},
		},
		Cloud: Cloud{Provider: "AWS", Region: a.Region, Account: awsAccount(a.Account)},
		FindingInfo: FindingInfo{
			UID:   "sgwarden/" + a.Account + "/" + a.Region + "/" + a.Event.ID,
			Title: subject,
			Desc:  a.Summary,
			Types: []string{"sgwarden/" + string(a.Action)},
		},
		Unmapped: map[string]any{
			"sgwarden": map[string]any{
				"action": a.Action, "mode": a.Mode, "checks": a.Checks, "outcome": a.Outcome,
				"dedup_key": a.DedupKey, "exposed_count": len(a.Exposed) + a.ExposedOmitted,
			},
		},
	}
	if !a.Event.Time.IsZero() {
		e.FindingInfo.CreatedTime = millis(a.Event.Time)
		e.FindingInfo.FirstSeenTime = millis(a.Event.Time)
		e.FindingInfo.LastSeenTime = millis(a.Event.Time)
		e.Metadata.OriginalTime = a.Event.Time.UTC().Format(time.RFC3339)
	}
	if len(a.Checks) > 0 {
		desc := ""
		if describe != nil {
			desc = describe(a.Checks[0])
		}
		e.FindingInfo.Analytic = &Analytic{UID: a.Checks[0], Name: a.Checks[0], Desc: desc, TypeID: 1, Type: "Rule"}
	}
	activity := ActivityCreate
	switch a.Action {
	case notify.ActionReverted:
		activity, e.StatusID = ActivityClose, StatusResolved
	case notify.ActionExempt:
		e.StatusID = StatusSuppressed
	default:
		e.StatusID = StatusNew
	}
	e.classify(ClassDetectionFind, activity)
	if a.Group != nil {
		e.FindingInfo.SrcURL = notify.GroupConsoleURL(a.Region, a.Group.ID)
		e.Resources = append(e.Resources, groupResource(a))
	}
	e.Evidences = []Evidence{evidence(a)}
	e.Remediation = &Remediation{Desc: remediation(a)}
	return e
}

func awsAccount(id string) Account { return Account{UID: id, TypeID: 10, Type: "AWS Account"} }

func groupResource(a *notify.Alert) Resource {
	g := a.Group
	r := Resource{
		UID: notify.GroupARN(a.Region, a.Account, g.ID), Name: g.Name, Type: "AWS::EC2::SecurityGroup",
		Region: a.Region, CloudPartition: "aws",
		Owner: &User{UID: a.Account, TypeID: 0, Account: &Account{UID: a.Account, TypeID: 10, Type: "AWS Account"}},
	}
	if g.Owner != "" {
		r.Owner.Name = g.Owner
	}
	for _, k := range slices.Sorted(maps.Keys(g.Tags)) {
		r.Labels = append(r.Labels, k+"="+g.Tags[k])
	}
	rules := make([]map[string]string, 0, len(a.Rules))
	for _, ru := range a.Rules {
		m := map[string]string{"id": ru.ID, "direction": ru.Direction, "protocol": ru.Protocol, "ports": ru.Ports,
			"peer": ru.Peer, "outcome": string(ru.Outcome), "decision": ru.Decision}
		for _, c := range ru.Checks {
			if c.Exemption != "" {
				m["exemption"] = c.Exemption
			}
		}
		rules = append(rules, m)
	}
	r.Data = map[string]any{"group_id": g.ID, "vpc_id": g.VPC, "rules": rules}
	return r
}

func evidence(a *notify.Alert) Evidence {
	ev := Evidence{API: &API{Operation: a.Event.Name, Service: &APIService{Name: "ec2.amazonaws.com"}, Request: &APIRequest{UID: a.Event.ID}}}
	act := &Actor{InvokedBy: a.Actor.InvokedBy}
	u := &User{UID: a.Actor.ARN, Account: &Account{UID: a.Actor.AccountID, TypeID: 10, Type: "AWS Account"}}
	if a.Actor.AccountID == "" {
		u.Account = nil
	}
	if p := a.Actor.User; p != nil {
		u.Name, u.EmailAddr = p.Name, p.Email
		u.TypeID, u.Type = userType(p.Kind)
		if p.Role != "" {
			act.Session = &Session{UID: p.Session, Issuer: a.Actor.IssuerARN}
		}
	}
	act.User = u
	ev.Actor = act
	if ip := a.Actor.SourceIP; ip != "" {
		if _, err := netip.ParseAddr(ip); err == nil {
			ev.SrcEndpoint = &Endpoint{IP: ip}
		} else {
			ev.SrcEndpoint = &Endpoint{Domain: ip}
		}
	}
	return ev
}

// userType maps a resolved kind to OCSF's user type: 1 User, 2 Admin,
// 3 System, 0 Unknown.
func userType(k actor.Kind) (int, string) {
	switch k {
	case actor.KindIdentityCenter, actor.KindIAMUser, actor.KindFederated, actor.KindRoleSession:
		return 1, "User"
	case actor.KindRoot:
		return 2, "Admin"
	case actor.KindCIPipeline, actor.KindService:
		return 3, "System"
	}
	return 0, "Unknown"
}

func remediation(a *notify.Alert) string {
	o := a.Outcome
	switch a.Action {
	case notify.ActionReverted:
		return fmt.Sprintf("sgwarden revoked %d rule(s); %d were already gone.", o.Revoked, o.AlreadyGone)
	case notify.ActionFailed:
		return "sgwarden could not complete the revert: " + o.Error + ". Remove the rule by hand."
	case notify.ActionExempt:
		return "The rule is exempt; review the exemption and remove its tag when no longer needed."
	case notify.ActionWouldRevert:
		return "Dry run: sgwarden would revoke the rule(s). Remove them, or record an exemption."
	}
	return "Review the rule(s); remove them or record an exemption."
}
