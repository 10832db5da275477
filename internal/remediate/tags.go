package remediate

import (
	"context"
	"strings"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// handleTags alerts when the exemption tag is granted or removed. It makes
// no EC2 call: the tag change is the news.
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
	a.ExemptionChange = &notify.ExemptionChange{Change: change, Key: ExemptTagKey, Value: value, Resources: tc.ResourceIDs}
	for _, id := range tc.ResourceIDs {
		if strings.HasPrefix(id, "sg-") {
			a.Group = &notify.Group{ID: id}
			break
		}
	}
	iv.log.InfoContext(ctx, "exemption "+change, "resources", tc.ResourceIDs, "value", value, "actor", iv.ev.Actor.ARN)
	return iv.alert(ctx, res, a)
}
