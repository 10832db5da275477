package policy

import (
	"math/bits"
	"net/netip"
	"slices"
)

// This file holds the address-union math of seed rule 1: sets of addresses
// as sorted, merged intervals of u128, one family at a time.

// family indexes the two address families: IPv4 (IPv4-mapped IPv6
// included) and IPv6.
type family uint8

const (
	fam4 family = iota
	fam6
)

// famLast is the last address of each family.
var famLast = [2]u128{{0, 1<<32 - 1}, {^uint64(0), ^uint64(0)}}

// famBits is the address length of each family.
var famBits = [2]int{32, 128}

// prefixInterval returns the family and addresses of a prefix, with
// IPv4-mapped IPv6 counted as IPv4; ok is false for an invalid prefix.
func prefixInterval(p netip.Prefix) (f family, iv interval, ok bool) {
	p, ok = normalizePrefix(p)
	if !ok {
		return 0, interval{}, false
	}
	if !p.Addr().Is4() {
		f = fam6
	}
	first, last := prefixBounds(p)
	return f, interval{first, last}, true
}

// prefixExp returns the family of a prefix, with IPv4-mapped IPv6 counted
// as IPv4, and k such that it holds 2^k addresses; ok is false for an
// invalid prefix.
func prefixExp(p netip.Prefix) (f family, k int, ok bool) {
	if !p.IsValid() {
		return 0, 0, false
	}
	a, b := p.Addr(), p.Bits()
	switch {
	case a.Is4():
		return fam4, 32 - b, true
	case a.Is4In6() && b >= 96:
		return fam4, 128 - b, true
	}
	return fam6, 128 - b, true
}

// mergeSorted sorts ivs in place and merges overlapping and adjacent
// intervals, reusing the backing array.
func mergeSorted(ivs []interval) []interval {
	if len(ivs) < 2 {
		return ivs
	}
	slices.SortFunc(ivs, func(a, b interval) int { return a.first.cmp(b.first) })
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		prev := &out[len(out)-1]
		if prev.last == famLast[fam6] || iv.first.cmp(prev.last.inc()) <= 0 {
			if iv.last.cmp(prev.last) > 0 {
				prev.last = iv.last
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// size is an address count that saturates at 2^128 (over is then true).
type size struct {
	n    u128
	over bool
}

func (s size) add(iv interval) size {
	if s.over {
		return s
	}
	d := u128{iv.last.hi - iv.first.hi, 0}
	var borrow uint64
	d.lo, borrow = bits.Sub64(iv.last.lo, iv.first.lo, 0)
	d.hi -= borrow
	if d == famLast[fam6] { // the whole IPv6 space: 2^128 addresses
		return size{over: true}
	}
	d = d.inc()
	var carry uint64
	s.n.lo, carry = bits.Add64(s.n.lo, d.lo, 0)
	s.n.hi, carry = bits.Add64(s.n.hi, d.hi, carry)
	return size{n: s.n, over: carry != 0}
}

// plus adds two counts.
func (s size) plus(t size) size {
	if s.over || t.over {
		return size{over: true}
	}
	var carry uint64
	s.n.lo, carry = bits.Add64(s.n.lo, t.n.lo, 0)
	s.n.hi, carry = bits.Add64(s.n.hi, t.n.hi, carry)
	return size{n: s.n, over: carry != 0}
}

// addPow adds 2^k addresses (0 <= k <= 128).
func (s size) addPow(k int) size {
	if s.over || k >= 128 {
		return size{over: true}
	}
	d := lowMask(k).inc()
	var carry uint64
	s.n.lo, carry = bits.Add64(s.n.lo, d.lo, 0)
	s.n.hi, carry = bits.Add64(s.n.hi, d.hi, carry)
	return size{n: s.n, over: carry != 0}
}

// exceeds reports whether s is more than 2^k addresses (0 <= k <= 128).
func (s size) exceeds(k int) bool {
	if s.over {
		return true
	}
	if k >= 128 {
		return false
	}
	limit := lowMask(k).inc() // 2^k
	return s.n.cmp(limit) > 0
}

// atLeastPow reports whether s is at least 2^k addresses (0 <= k <= 128).
func (s size) atLeastPow(k int) bool {
	if s.over {
		return true
	}
	if k >= 128 {
		return false
	}
	return s.n.cmp(lowMask(k)) > 0
}

func (s size) cmp(t size) int {
	switch {
	case s.over && t.over:
		return 0
	case s.over:
		return 1
	case t.over:
		return -1
	}
	return s.n.cmp(t.n)
}

func setSize(set []interval) size {
	var s size
	for _, iv := range set {
		s = s.add(iv)
	}
	return s
}
