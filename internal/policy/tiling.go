package policy

import (
	"slices"
)

// need is what a union must reach to match a check: the whole family
// (world), or more than 2^exp addresses (broaderThan; exp < 0: never).
type need struct {
	world bool
	exp   int
}

// tiling cuts one family at every bound of the members' addresses, so that
// each tile is either wholly in a member or wholly outside it. Unions,
// containment and sizes then come from counting members per tile, in time
// linear in the tiles a member spans, instead of merging sets again for
// every question.
type tiling struct {
	f     family
	in    []*member
	cuts  []u128 // first address of each tile, sorted
	lens  []size // addresses per tile
	spans []span // the tiles the members hold, member k's at spans[at[k]:at[k+1]]
	at    []int
	n     [][]int32 // count buffers, reused
}

// span is a run of tiles [from, to).
type span struct{ from, to int }

// newTiling builds the tiling of the active members' family-f addresses.
// It reuses t's buffers when t is not nil: a tiling serves one segment at
// a time.
func newTiling(t *tiling, active []*member, f family) *tiling {
	if t == nil {
		t = &tiling{}
	}
	*t = tiling{f: f, in: t.in[:0], cuts: t.cuts[:0], lens: t.lens[:0], spans: t.spans[:0], at: t.at[:0], n: t.n}
	for _, m := range active {
		if len(m.ivs[f]) > 0 {
			t.in = append(t.in, m)
		}
	}
	if !worthJudging(t.in) {
		return t
	}
	t.cuts = append(t.cuts, u128{})
	for _, m := range t.in {
		for _, iv := range m.ivs[f] {
			t.cuts = append(t.cuts, iv.first)
			if iv.last != famLast[f] {
				t.cuts = append(t.cuts, iv.last.inc())
			}
		}
	}
	slices.SortFunc(t.cuts, func(a, b u128) int { return a.cmp(b) })
	t.cuts = slices.Compact(t.cuts)
	for i, c := range t.cuts {
		last := famLast[f]
		if i+1 < len(t.cuts) {
			last = t.cuts[i+1].dec()
		}
		t.lens = append(t.lens, size{}.add(interval{c, last}))
	}
	t.at = append(t.at, 0)
	for _, m := range t.in {
		for _, iv := range m.ivs[f] {
			from := t.index(iv.first)
			to := len(t.cuts)
			if iv.last != famLast[f] {
				to = t.index(iv.last.inc())
			}
			t.spans = append(t.spans, span{from, to})
		}
		t.at = append(t.at, len(t.spans))
	}
	return t
}

// index returns the tile that starts at a (a is always a cut).
func (t *tiling) index(a u128) int {
	i, _ := slices.BinarySearchFunc(t.cuts, a, func(c, a u128) int { return c.cmp(a) })
	return i
}

// counts returns, per tile, how many of the members for which keep is true
// hold it.
func (t *tiling) counts(keep func(k int) bool) []int32 {
	n := t.buffer()
	for k := range t.in {
		if keep(k) {
			t.add(n, k, 1)
		}
	}
	return n
}

func (t *tiling) add(n []int32, k int, d int32) {
	for _, s := range t.spans[t.at[k]:t.at[k+1]] {
		for i := s.from; i < s.to; i++ {
			n[i] += d
		}
	}
}

// buffer returns a zeroed count per tile; release returns the buffers of
// a finished question.
func (t *tiling) buffer() []int32 {
	var n []int32
	if k := len(t.n); k > 0 {
		n, t.n = t.n[k-1], t.n[:k-1]
	}
	if cap(n) < len(t.cuts) {
		return make([]int32, len(t.cuts))
	}
	n = n[:len(t.cuts)]
	clear(n)
	return n
}

func (t *tiling) release(ns ...[]int32) { t.n = append(t.n, ns...) }

// reaches reports whether the tiles with a positive count reach nd.
func (t *tiling) reaches(n []int32, nd need) bool {
	if nd.world {
		return !slices.Contains(n, 0)
	}
	var total size
	for i, c := range n {
		if c > 0 {
			total = total.plus(t.lens[i])
		}
	}
	return total.exceeds(nd.exp)
}

// reachesWith reports whether the tiles counted in n, plus member k's,
// reach nd.
func (t *tiling) reachesWith(n []int32, k int, nd need) bool {
	t.add(n, k, 1)
	ok := t.reaches(n, nd)
	t.add(n, k, -1)
	return ok
}

// heldByOthers reports whether every tile of member k is held by another
// member too (n counts members including k).
func (t *tiling) heldByOthers(n []int32, k int) bool {
	for _, s := range t.spans[t.at[k]:t.at[k+1]] {
		for i := s.from; i < s.to; i++ {
			if n[i] < 2 {
				return false
			}
		}
	}
	return true
}

// contributors finds which members make an opening that reaches nd, or
// returns nil when none that the judged members make. Judged members are
// tried from the smallest: one is left out when the other members hold all
// its addresses and leaving it (with those already left out) beside the
// standing members would not reach nd alone, so removing the judged
// members kept always closes the opening. Standing members are listed when
// the rest does not already hold their addresses.
func (t *tiling) contributors(nd need) *coverage {
	if !worthJudging(t.in) {
		return nil
	}
	all := t.counts(func(int) bool { return true })
	stay := t.counts(func(k int) bool { return t.in[k].standing })
	defer t.release(all, stay)
	if !t.reaches(all, nd) || t.reaches(stay, nd) {
		return nil
	}
	order := make([]int, len(t.in))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return t.in[a].size[t.f].cmp(t.in[b].size[t.f]) })
	left := make([]bool, len(t.in))
	for _, k := range order {
		if t.in[k].standing || !t.heldByOthers(all, k) || t.reachesWith(stay, k, nd) {
			continue
		}
		left[k] = true
		t.add(stay, k, 1)
	}
	// Standing members are only listed: drop those the listed rest holds.
	listed := t.counts(func(k int) bool { return !left[k] })
	defer t.release(listed)
	for _, k := range order {
		if t.in[k].standing && t.heldByOthers(listed, k) {
			left[k] = true
			t.add(listed, k, -1)
		}
	}
	cov := &coverage{}
	judged := false
	for k, m := range t.in {
		if left[k] {
			continue
		}
		judged = judged || !m.standing
		cov.in = append(cov.in, m)
	}
	if !judged {
		return nil
	}
	return cov
}
