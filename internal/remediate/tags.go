package remediate

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// handleTags alerts when the exemption tag is granted or removed. The tag
// change is the news; one or two describe calls only name the group.
func (iv *invocation) handleTags(ctx context.Context, res Result) (Result, error) {
	tc := iv.ev.Tags
	if tc == nil || len(tc.ResourceIDs) == 0 {
		return iv.ignore(ctx, res, "no security group or rule tagged"), nil
	}
	value, ok := tc.Tags[ExemptTagKey]
	if !ok {
		return iv.ignore(ctx, res, "no exemption tag"), nil
	}
	change := "granted"
	if tc.Deleted {
		change = "removed"
	}
	a := iv.baseAlert(notify.ActionAlert)
	a.Severity = string(policy.SeverityMedium)
	a.ExemptionChange = &notify.ExemptionChange{Change: change, Key: ExemptTagKey, Value: value, Resources: tc.ResourceIDs,
		Expired: !tc.Deleted && expiredDate(value, cmp.Or(iv.ev.Time, iv.now))}
	a.Group = iv.nameTaggedGroup(ctx, tc.ResourceIDs)
	iv.log.InfoContext(ctx, "exemption "+change, "resources", tc.ResourceIDs, "value", value, "actor", iv.ev.Actor.ARN)
	return iv.alert(ctx, res, a)
}

// expiredDate reports whether an exemption tag value is a date
// (YYYY-MM-DD, the last day it applies) that had already passed at the
// time of the grant (the event's time, so a replay says the same).
func expiredDate(value string, now time.Time) bool {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(value))
	return err == nil && !now.Before(d.AddDate(0, 0, 1))
}

// nameTaggedGroup returns the group the tagged resources belong to, with
// its name, so that the alert names it. It is best effort: the alert is
// the news, so a describe failure leaves the bare ID (or none).
func (iv *invocation) nameTaggedGroup(ctx context.Context, ids []string) *notify.Group {
	var groupID, ruleID string
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "sg-") && groupID == "":
			groupID = id
		case strings.HasPrefix(id, "sgr-") && ruleID == "":
			ruleID = id
		}
	}
	if groupID == "" && ruleID == "" {
		return nil
	}
	g := &notify.Group{ID: groupID}
	if err := iv.connect(ctx); err != nil {
		iv.log.WarnContext(ctx, "exemption alert without the group's name", "error", err.Error())
		return groupOrNil(g)
	}
	if groupID == "" {
		rules, err := iv.describeRules(ctx, "security-group-rule-id", []string{ruleID})
		if err != nil || len(rules) == 0 {
			iv.log.WarnContext(ctx, "exemption alert without the rule's group", "rule_id", ruleID, "error", fmt.Sprint(err))
			return nil
		}
		g.ID = rules[0].GroupID
	}
	groups, err := iv.describeGroups(ctx, []string{g.ID})
	if err != nil {
		iv.log.WarnContext(ctx, "exemption alert without the group's name", "group_id", g.ID, "error", err.Error())
		return g
	}
	if sg := groups[g.ID]; sg != nil {
		g.Name, g.VPC = aws.ToString(sg.GroupName), aws.ToString(sg.VpcId)
	}
	return g
}

func groupOrNil(g *notify.Group) *notify.Group {
	if g.ID == "" {
		return nil
	}
	return g
}
