package main

import (
	"context"
	"fmt"

	"github.com/sgwarden/sgwarden/internal/bench"
)

func (h *harness) auditGroup(ctx context.Context) groupResult {
	rows := []bench.Row{
		{ID: "5a", Name: "Audit at scale: wall time", Value: bench.Ns(0), BaselineName: "bare paging", Target: bench.BelowAbs(30e9)},
	}
	return fail(rows, fmt.Errorf("internal/audit: %w", errNotLanded))
}
