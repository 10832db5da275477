package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/sgwarden/sgwarden/internal/actor"
	"github.com/sgwarden/sgwarden/internal/chat"
	"github.com/sgwarden/sgwarden/internal/findings"
	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/ocsf"
)

// Outlets are where an outcome goes beyond the SNS alert
// (docs/findings.md). The zero value sends nothing more.
type Outlets struct {
	// SecurityHub imports a finding per (group, rule, check); nil is off.
	SecurityHub findings.Importer
	// Events puts the OCSF event on EventBus ("" is the default bus);
	// nil is off.
	Events   ocsf.Putter
	EventBus string
	// Chat adds the custom chat notification to the SNS message.
	Chat chat.Channel
}

// enrich adds what the alert's renderings share: the person behind the
// principal, and the group's owner from the policy's ownerTag.
func (iv *invocation) enrich(a *notify.Alert) {
	if a.Actor.User == nil && (a.Actor.ARN != "" || a.Actor.Type != "") {
		u := actor.Resolve(actor.Identity{Type: a.Actor.Type, ARN: a.Actor.ARN, AccountID: a.Actor.AccountID,
			UserName: a.Actor.UserName, IssuerARN: a.Actor.IssuerARN, UserAgent: a.Actor.UserAgent, InvokedBy: a.Actor.InvokedBy})
		a.Actor.User = &u
	}
	if key := iv.r.engine.OwnerTagKey(); key != "" && a.Group != nil && a.Group.Owner == "" {
		a.Group.Owner = a.Group.Tags[key]
	}
}

// chatBody renders the chat notification, if chat is on.
func (iv *invocation) chatBody(a *notify.Alert, subject string) ([]byte, error) {
	return chat.Build(a, subject, iv.r.cfg.Outlets.Chat)
}

// report sends the published alert to Security Hub and EventBridge. It
// runs after the alert, so a failure here leaves the revert and the alert
// in place; the error makes Lambda retry the event, and the retry revokes
// nothing twice and imports and puts again (both are idempotent by Id).
func (iv *invocation) report(ctx context.Context, a *notify.Alert) error {
	o := iv.r.cfg.Outlets
	describe := iv.r.describe
	var errs []error
	if o.SecurityHub != nil {
		if items := findings.ItemsFromAlert(a, iv.r.engine); len(items) > 0 {
			hub := countingImporter{api: o.SecurityHub, n: iv.calls}
			if err := findings.ImportItems(ctx, hub, items, iv.now, describe); err != nil {
				errs = append(errs, fmt.Errorf("import Security Hub findings for event %s: %w", iv.ev.ID, err))
			}
		}
	}
	if o.Events != nil {
		ev := ocsf.FromAlert(a, iv.subject, describe, iv.now)
		if err := ocsf.Put(ctx, countingPutter{api: o.Events, n: iv.calls}, o.EventBus, ev); err != nil {
			errs = append(errs, fmt.Errorf("OCSF event for event %s: %w", iv.ev.ID, err))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		iv.log.LogAttrs(ctx, slog.LevelError, "findings not delivered", slog.String("error", err.Error()))
	}
	return err
}

// countingImporter and countingPutter count the outlets' calls in
// Result.AWSCalls, like the EC2 and SNS calls.
type countingImporter struct {
	api findings.Importer
	n   *callCounter
}

func (c countingImporter) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, o ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	c.n.add()
	return c.api.BatchImportFindings(ctx, in, o...)
}

type countingPutter struct {
	api ocsf.Putter
	n   *callCounter
}

func (c countingPutter) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, o ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	c.n.add()
	return c.api.PutEvents(ctx, in, o...)
}
