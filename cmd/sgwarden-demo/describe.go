package main

import (
	"fmt"
	"strings"

	"github.com/sgwarden/sgwarden/internal/cloudtrail"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// shortActor names who made a call in a few characters: the session or
// user name, with the role when there is one ("dana (Developer)").
func shortActor(a *cloudtrail.Actor) string {
	arn := a.ARN
	switch {
	case a.Type == "Root":
		return "root"
	case a.InvokedBy != "":
		// A service acting for someone (CloudFormation, a load balancer).
		return strings.TrimSuffix(a.InvokedBy, ".amazonaws.com")
	case strings.Contains(arn, ":assumed-role/"):
		parts := strings.Split(arn[strings.Index(arn, ":assumed-role/")+len(":assumed-role/"):], "/")
		role, session := parts[0], ""
		if len(parts) > 1 {
			session = parts[len(parts)-1]
		}
		// IAM Identity Center roles: AWSReservedSSO_<permission set>_<hash>.
		if rest, ok := strings.CutPrefix(role, "AWSReservedSSO_"); ok {
			if i := strings.LastIndexByte(rest, '_'); i > 0 {
				rest = rest[:i]
			}
			role = rest
		}
		session, _, _ = strings.Cut(session, "@")
		if session == "" || session == role {
			return role
		}
		if len(session)+len(role) > 24 {
			return session
		}
		return session + " (" + role + ")"
	case a.UserName != "":
		return a.UserName
	}
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
		return arn[i+1:]
	}
	return "unknown"
}

// attempted says what the call tried to do, in the words of a console user.
func (c *corpus) attempted(ev *cloudtrail.Event) string {
	var s string
	switch ev.Kind {
	case cloudtrail.KindRuleAdded, cloudtrail.KindRuleModified, cloudtrail.KindRuleRevoked:
		verb := map[cloudtrail.Kind]string{
			cloudtrail.KindRuleAdded: "open", cloudtrail.KindRuleModified: "change to", cloudtrail.KindRuleRevoked: "close",
		}[ev.Kind]
		s = verb + " " + c.rules(ev) + " on " + c.group(ev.GroupID, ev.GroupName)
	case cloudtrail.KindGroupCreated:
		s = "create group " + orQuote(ev.GroupName)
	case cloudtrail.KindPrefixListChange:
		pl := ev.PrefixList
		name := pl.Name
		if name == "" {
			name = c.prefixListName(pl.ID)
		}
		var cidrs []string
		for _, e := range pl.Added {
			cidrs = append(cidrs, e.CIDR)
		}
		switch {
		case ev.Name == "CreateManagedPrefixList":
			s = "create prefix list " + orQuote(name) + " with " + strings.Join(cidrs, ",")
		case ev.Name == "RestoreManagedPrefixListVersion" || len(cidrs) == 0:
			s = "restore prefix list " + orQuote(name)
			if pl.RestoredVersion > 0 {
				s += fmt.Sprintf(" to version %d", pl.RestoredVersion)
			}
		default:
			s = "add " + strings.Join(cidrs, ",") + " to prefix list " + orQuote(name)
		}
	case cloudtrail.KindTagsChanged:
		var kv []string
		for k, v := range ev.Tags.Tags {
			if v != "" && !ev.Tags.Deleted {
				k += "=" + v
			}
			kv = append(kv, k)
		}
		verb := "tag "
		if ev.Tags.Deleted {
			verb = "untag "
		}
		var ids []string
		for _, id := range ev.Tags.ResourceIDs {
			ids = append(ids, c.group(id, ""))
		}
		s = verb + strings.Join(ids, ",") + " " + strings.Join(kv, ",")
	case cloudtrail.KindGroupsAttached:
		var groups []string
		for _, id := range ev.Attachment.GroupIDs {
			groups = append(groups, c.group(id, ""))
		}
		target := "a new instance"
		switch {
		case ev.Name == "CreateNetworkInterface":
			target = "a new interface"
		case len(ev.Attachment.NetworkInterfaceIDs) > 0:
			target = strings.Join(ev.Attachment.NetworkInterfaceIDs, ",")
		}
		if ev.Name == "RunInstances" && len(ev.Attachment.InstanceIDs) > 0 {
			target = strings.Join(ev.Attachment.InstanceIDs, ",")
		}
		s = "attach " + strings.Join(groups, ",") + " to " + target
	default:
		s = ev.Name
	}
	if ev.Failed() {
		s += " (call failed)"
	}
	return s
}

// rules renders an event's rules: the first, and how many more.
func (c *corpus) rules(ev *cloudtrail.Event) string {
	if len(ev.Rules) == 0 {
		return "rules"
	}
	parts := make([]string, 0, len(ev.Rules))
	for i := range ev.Rules {
		r := notify.NewRule(&ev.Rules[i], nil, "", "")
		if r.Ports == "all" && (r.Protocol == "tcp" || r.Protocol == "udp") {
			r.Ports = "0-65535"
		}
		// A group peer reads better by name, or as "itself".
		if _, id, ok := strings.Cut(r.Peer, "/"); ok && strings.HasPrefix(id, "sg-") {
			r.Peer = id
		}
		if r.Peer == ev.GroupID && ev.GroupID != "" {
			r.Peer = "itself"
		} else if name := c.groupName(r.Peer); name != "" {
			r.Peer = name
		} else if name := c.prefixListName(r.Peer); name != "" {
			r.Peer = "list " + name
		}
		parts = append(parts, notify.Short(&r))
	}
	return strings.Join(parts, " + ")
}

// group names a group by its name when known, else its ID.
func (c *corpus) group(id, name string) string {
	if n := c.groupName(id); n != "" {
		return n
	}
	if name != "" {
		return name
	}
	if id == "" {
		return "?"
	}
	return id
}

func orQuote(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// decision is the scenario's verdict in one word.
// decision is the outcome in the alert's own words: a rule gone before
// sgwarden acted is ALREADY GONE, a dry-run WOULD REVOKE.
func decision(res *remediate.Result) string {
	switch {
	case res.Action == notify.ActionReverted && len(res.Revoked) == 0 && len(res.RemovedEntries) == 0 && len(res.AlreadyGone) > 0:
		return "ALREADY GONE"
	case res.Action == notify.ActionWouldRevert:
		return "WOULD REVOKE"
	case res.Action != "":
		return strings.ToUpper(string(res.Action))
	}
	return "no action"
}

// changed says what sgwarden changed (or why it did nothing).
func changed(res *remediate.Result, handlerErr string) string {
	if handlerErr != "" {
		// The whole error is in the function's log; the table keeps a line.
		return "ERROR (Lambda retries the event): " + notify.Truncate(handlerErr, 30)
	}
	var parts []string
	if len(res.Revoked) > 0 {
		parts = append(parts, "revoked "+strings.Join(res.Revoked, ","))
	}
	if len(res.RemovedEntries) > 0 {
		parts = append(parts, "removed "+strings.Join(res.RemovedEntries, ",")+" from the list")
	}
	if len(res.AlreadyGone) > 0 {
		parts = append(parts, strings.Join(res.AlreadyGone, ",")+" was already gone")
	}
	if len(res.Failed) > 0 {
		parts = append(parts, "FAILED "+strings.Join(res.Failed, ","))
	}
	if len(parts) == 0 && len(res.Kept) > 0 {
		why := "alert only"
		if res.Action == notify.ActionExempt {
			why = "exempt"
		}
		parts = append(parts, why+": kept "+strings.Join(res.Kept, ","))
	}
	switch {
	case len(parts) > 0:
	case res.Ignored != "":
		return res.Ignored
	case res.Published:
		return "told the team"
	default:
		return "-"
	}
	return strings.Join(parts, "; ")
}
