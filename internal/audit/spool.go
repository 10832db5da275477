package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/sgwarden/sgwarden/internal/notify"
)

// WithExposureSpool keeps the run's exposures in an unlinked temporary file
// under dir ("" is the system's) as they are found, with only what orders
// them in memory, instead of in Report.Exposures: a region with tens of
// thousands of exposed interfaces then costs about a hundred bytes of
// memory each. The report's JSON, log, summary and counts are unchanged;
// read the exposures with Report.EachExposure and call Report.Close when
// done with the report.
func WithExposureSpool(dir string) Option {
	return func(a *Auditor) error {
		a.spoolDir, a.spool = dir, true
		return nil
	}
}

// exposureSpool is where a run's exposures wait for the report: each one
// JSON-encoded in a file, and in memory its sort key and place.
type exposureSpool struct {
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	size    int64
	index   []spooledExposure
	regions []string
	byOwner map[string]int
	err     error
	worst   []ExposureReport // the WorstKept worst, once sealed
}

// spooledExposure holds what compareExposure reads, and where the
// exposure is in the file: 48 bytes, held for every exposure of the run.
type spooledExposure struct {
	id          string
	off         int64
	world, open int64
	n           uint32
	region      uint16 // index in exposureSpool.regions
	rank        int8
	publicIP    bool
}

func newExposureSpool(dir string) (*exposureSpool, error) {
	f, err := os.CreateTemp(dir, "sgwarden-exposures-*.json")
	if err != nil {
		return nil, fmt.Errorf("exposure spool: %w", err)
	}
	// Unlinked at once: the open file keeps the data, and nothing is left
	// behind however the run ends.
	_ = os.Remove(f.Name())
	return &exposureSpool{f: f, w: bufio.NewWriterSize(f, 32<<10), byOwner: map[string]int{}}, nil
}

// add encodes e into the spool. Safe for concurrent use.
func (s *exposureSpool) add(e *ExposureReport) {
	b, err := json.Marshal(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	if err == nil {
		_, err = s.w.Write(b)
	}
	if err != nil {
		s.err = fmt.Errorf("exposure spool: %w", err)
		return
	}
	region := slices.Index(s.regions, e.Region)
	if region < 0 {
		region = len(s.regions)
		s.regions = append(s.regions, e.Region)
	}
	s.index = append(s.index, spooledExposure{
		id: e.NetworkInterface.ID, off: s.size, world: worldPorts(*e), open: openPorts(*e), n: uint32(len(b)),
		region: uint16(region), rank: int8(notify.SeverityRank(string(e.WorstSeverity))), publicIP: e.NetworkInterface.PublicIP != "",
	})
	s.byOwner[e.NetworkInterface.OwnerType]++
	s.size += int64(len(b))
}

// seal flushes the file and sorts the index as compareExposure orders
// exposures.
func (s *exposureSpool) seal() error {
	if s.err == nil {
		if err := s.w.Flush(); err != nil {
			s.err = fmt.Errorf("exposure spool: %w", err)
		}
	}
	slices.SortFunc(s.index, func(a, b spooledExposure) int {
		return cmp.Or(
			cmp.Compare(a.rank, b.rank),
			-cmp.Compare(boolInt(a.publicIP), boolInt(b.publicIP)),
			-cmp.Compare(a.world, b.world),
			-cmp.Compare(a.open, b.open),
			cmp.Compare(s.regions[a.region], s.regions[b.region]),
			cmp.Compare(a.id, b.id),
		)
	})
	return s.err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// errStop ends a walk early without an error.
var errStop = errors.New("stop")

// EachExposure calls fn with every exposure of the report, worst first,
// whether they are held in Exposures or spooled (WithExposureSpool). The
// exposure passed is fn's only until it returns. An error of fn ends the
// walk and is returned.
func (r *Report) EachExposure(fn func(*ExposureReport) error) error {
	if r.spool == nil {
		for i := range r.Exposures {
			if err := fn(&r.Exposures[i]); err != nil {
				return err
			}
		}
		return nil
	}
	var buf []byte
	for _, x := range r.spool.index {
		buf = slices.Grow(buf[:0], int(x.n))[:x.n]
		if _, err := r.spool.f.ReadAt(buf, x.off); err != nil {
			return fmt.Errorf("read spooled exposure %s: %w", x.id, err)
		}
		var e ExposureReport
		if err := json.Unmarshal(buf, &e); err != nil {
			return fmt.Errorf("read spooled exposure %s: %w", x.id, err)
		}
		markReverted(&e, r.reverted)
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// WorstKept is how many of the worst exposures a spooled report keeps in
// memory for its summaries.
const WorstKept = 25

// WorstExposures returns up to n of the worst exposures, worst first; at
// most WorstKept when the run spooled them.
func (r *Report) WorstExposures(n int) []ExposureReport {
	if r.spool == nil {
		return r.Exposures[:min(n, len(r.Exposures))]
	}
	return r.spool.worst[:min(n, len(r.spool.worst))]
}

// readWorst keeps the WorstKept worst exposures of a sealed spool.
func (r *Report) readWorst() error {
	worst := make([]ExposureReport, 0, min(WorstKept, len(r.spool.index)))
	err := r.EachExposure(func(e *ExposureReport) error {
		if len(worst) == WorstKept {
			return errStop
		}
		worst = append(worst, *e)
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	r.spool.worst = worst
	return err
}

// Close releases what the report holds outside memory (the exposure
// spool). The report's exposures cannot be read after it.
func (r *Report) Close() error {
	if r.spool == nil {
		return nil
	}
	err := r.spool.f.Close()
	r.spool = nil
	return err
}

// markReverted sets Reverted on the grants whose rule this run reverted
// (keys region|rule ID).
func markReverted(e *ExposureReport, reverted map[string]bool) {
	if len(reverted) == 0 {
		return
	}
	for j := range e.Open {
		for k := range e.Open[j].Grants {
			if g := &e.Open[j].Grants[k]; reverted[e.Region+"|"+g.RuleID] {
				g.Reverted = true
			}
		}
	}
}

// WriteJSON writes the report's JSON, what json.Marshal gives, with its
// findings and exposures encoded one at a time, so that a large report is
// never held encoded.
func (r *Report) WriteJSON(w io.Writer) error {
	const lists = `"violations":[],"exposures":[]}`
	head := reportJSON(*r)
	head.Violations, head.Exposures = []Finding{}, []ExposureReport{}
	hb, err := json.Marshal(&head)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(hb, []byte(lists)) {
		return errors.New("encode report: unexpected layout")
	}
	ew := &errWriter{w: w}
	ew.write(hb[:len(hb)-len(lists)])
	ew.write([]byte(`"violations":[`))
	for i := range r.Violations {
		if i > 0 {
			ew.write([]byte(","))
		}
		ew.json(&r.Violations[i])
	}
	ew.write([]byte(`],"exposures":[`))
	first := true
	err = r.EachExposure(func(e *ExposureReport) error {
		if !first {
			ew.write([]byte(","))
		}
		first = false
		ew.json(e)
		return ew.err
	})
	ew.write([]byte("]}"))
	return cmp.Or(err, ew.err)
}

// reportJSON is Report without its methods, to encode the head.
type reportJSON Report

// errWriter keeps the first error of a sequence of writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *errWriter) json(v any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		return
	}
	e.write(b)
}
