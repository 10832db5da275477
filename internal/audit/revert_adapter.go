package audit

import (
	"context"
	"log/slog"

	"github.com/sgwarden/sgwarden/internal/notify"
	"github.com/sgwarden/sgwarden/internal/policy"
	"github.com/sgwarden/sgwarden/internal/remediate"
)

// RevokerFactory returns the revoking EC2 client of a region.
type RevokerFactory func(region string) (remediate.Revoker, error)

// RemediateReverter reverts through remediate.Reverter, the same code path
// as the event-driven function, with one client per region.
func RemediateReverter(revokers RevokerFactory, logger *slog.Logger) Reverter {
	return ReverterFunc(func(ctx context.Context, region, groupID string, vs []policy.Violation) ([]RevertOutcome, error) {
		client, err := revokers(region)
		if err != nil {
			return nil, err
		}
		rv := &remediate.Reverter{EC2: client, Logger: logger}
		if r, ok := client.(remediate.GroupReader); ok {
			// A not-found answer counts only when seen (docs/remediate.md).
			rv.Reader = r
		}
		outcomes, err := rv.RevertRules(ctx, groupID, vs)
		out := make([]RevertOutcome, 0, len(outcomes))
		for _, o := range outcomes {
			gone := o.Outcome == notify.OutcomeAlreadyGone || o.Outcome == notify.OutcomeGroupGone
			out = append(out, RevertOutcome{RuleID: o.RuleID, AlreadyGone: gone, Err: o.Err})
		}
		if len(out) == 0 {
			return nil, err
		}
		return out, nil
	})
}
