package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sgwarden/sgwarden/internal/bench"
)

const mib = 1 << 20

func (h *harness) sizeGroup(ctx context.Context) groupResult {
	rows := []bench.Row{
		{ID: "6a", Name: "Binary size, remediate bootstrap (linux/arm64, `make build` flags)", Value: bench.Size(0),
			BaselineName: "hello-world, same build", Target: bench.BelowAbs(15 * mib)},
		{ID: "6b", Name: "Binary size, audit bootstrap (linux/arm64, `make build` flags)", Value: bench.Size(0),
			BaselineName: "hello-world, same build", Target: bench.BelowAbs(15 * mib)},
		{ID: "6c", Name: "Peak RSS (VmHWM), remediate under the RIE after the row 2 warm invokes", Value: bench.Size(0),
			BaselineName: "hello-world, same invokes", Target: bench.BelowAbs(40 * mib)},
		{ID: "6d", Name: "Peak RSS (VmHWM), audit under the RIE after the row 5 audit of the whole account", Value: bench.Size(0),
			BaselineName: "hello-world (row 2)", Target: bench.BelowAbs(40 * mib)},
	}
	helloSize, err := h.binarySize(ctx, pkgHello)
	if err != nil {
		return fail(rows, err)
	}
	for i, pkg := range []string{pkgRemediate, pkgAudit} {
		size, err := h.binarySize(ctx, pkg)
		if err != nil {
			rows[i].Err = err
			continue
		}
		rows[i].Value.V, rows[i].Baseline = float64(size), bench.Size(float64(helloSize))
	}
	rss := []struct {
		value uint64
		row   string
	}{{h.measured.remediateRSS, "2"}, {h.measured.auditRSS, "5"}}
	for i, r := range rss {
		row := &rows[2+i]
		switch {
		case h.measured.helloRSS == 0:
			row.Err = errors.New("hello-world's peak RSS was not measured (row 2 did not run or failed)")
		case r.value == 0:
			row.Err = fmt.Errorf("not measured: row %s did not run or failed", r.row)
		default:
			row.Value.V, row.Baseline = float64(r.value), bench.Size(float64(h.measured.helloRSS))
		}
	}
	return groupResult{rows: rows}
}

// binarySize builds pkg for the deployed platform and returns its size.
func (h *harness) binarySize(ctx context.Context, pkg string) (int64, error) {
	path, err := h.buildLambda(ctx, pkg, deployedTarget)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", pkg, err)
	}
	return fi.Size(), nil
}
