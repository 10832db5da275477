package policy

import (
	"net/netip"
	"sort"
)

// u128 is an address as a 128-bit number (IPv4 uses the low 32 bits), so
// that both families share one interval code path.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

func (a u128) inc() u128 {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}
}

func (a u128) dec() u128 {
	lo := a.lo - 1
	hi := a.hi
	if a.lo == 0 {
		hi--
	}
	return u128{hi, lo}
}

// lowMask returns a number with the n low bits set (0 <= n <= 128).
func lowMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n == 64:
		return u128{0, ^uint64(0)}
	case n < 128:
		return u128{1<<uint(n-64) - 1, ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

func addrNum(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return u128{hi, lo}
}

// prefixBounds returns the first and last address of a valid prefix.
func prefixBounds(p netip.Prefix) (first, last u128) {
	p = p.Masked()
	total := 128
	if p.Addr().Is4() {
		total = 32
	}
	first = addrNum(p.Addr())
	return first, first.or(lowMask(total - p.Bits()))
}

type interval struct{ first, last u128 }

// normalizePrefix unmaps IPv4-mapped IPv6 prefixes and masks host bits. It
// returns false for an invalid prefix.
func normalizePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return p, false
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			// Wider than the mapped block: judge it as IPv6.
			return p.Masked(), true
		}
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked(), true
	}
	return p.Masked(), true
}

// IsWorld reports whether p is 0.0.0.0/0 or ::/0 (host bits ignored).
func IsWorld(p netip.Prefix) bool {
	p, ok := normalizePrefix(p)
	return ok && p.Bits() == 0
}

// IsPublic reports whether p contains at least one globally reachable
// address, according to the IANA IPv4 and IPv6 special-purpose address
// registries (entries whose "Globally Reachable" is False, minus the
// reachable exceptions nested in them). Every /0 is public; 10.0.0.0/8,
// 100.64.0.0/10, 192.0.2.0/24, fd00::/8 and 2001:db8::/32 are not;
// 0.0.0.0/1 and 8.0.0.0/7 are. An invalid prefix is not public.
func IsPublic(p netip.Prefix) bool {
	p, ok := normalizePrefix(p)
	if !ok {
		return false
	}
	table := nonGlobal6
	if p.Addr().Is4() {
		table = nonGlobal4
	}
	first, last := prefixBounds(p)
	// The table is sorted and its intervals are disjoint and not adjacent,
	// so p is non-global only if a single interval covers it.
	for i := range table {
		iv := &table[i]
		if iv.first.cmp(first) > 0 {
			break
		}
		if last.cmp(iv.last) <= 0 {
			return false
		}
	}
	return true
}

// The IANA special-purpose registries, as of 2025 (RFC 6890 and updates):
// blocks marked not globally reachable, and reachable blocks nested in them.
var (
	nonGlobal4 = buildTable(
		[]string{
			"0.0.0.0/8",          // "this network"
			"10.0.0.0/8",         // private-use
			"100.64.0.0/10",      // shared address space (CGN)
			"127.0.0.0/8",        // loopback
			"169.254.0.0/16",     // link local
			"172.16.0.0/12",      // private-use
			"192.0.0.0/24",       // IETF protocol assignments
			"192.0.2.0/24",       // documentation (TEST-NET-1)
			"192.168.0.0/16",     // private-use
			"198.18.0.0/15",      // benchmarking
			"198.51.100.0/24",    // documentation (TEST-NET-2)
			"203.0.113.0/24",     // documentation (TEST-NET-3)
			"240.0.0.0/4",        // reserved
			"255.255.255.255/32", // limited broadcast
		},
		[]string{
			"192.0.0.9/32",  // port control protocol anycast
			"192.0.0.10/32", // TURN anycast
		},
	)
	nonGlobal6 = buildTable(
		[]string{
			"::/128",         // unspecified
			"::1/128",        // loopback
			"::ffff:0:0/96",  // IPv4-mapped
			"64:ff9b:1::/48", // local-use IPv4/IPv6 translation
			"100::/64",       // discard-only
			"100:0:0:1::/64", // dummy IPv6 prefix
			"2001::/23",      // IETF protocol assignments
			"2001:db8::/32",  // documentation
			"3fff::/20",      // documentation
			"5f00::/16",      // segment routing SIDs
			"fc00::/7",       // unique local
			"fe80::/10",      // link-local unicast
		},
		[]string{
			"2001:1::1/128", // PCP anycast
			"2001:1::2/128", // TURN anycast
			"2001:1::3/128", // DNS-SD SRP anycast
			"2001:3::/32",   // AMT
			"2001:4:112::/48",
			"2001:20::/28", // ORCHIDv2
			"2001:30::/28", // drone remote ID
		},
	)
)

func buildTable(blocked, reachable []string) []interval {
	var ivs []interval
	for _, s := range blocked {
		f, l := prefixBounds(netip.MustParsePrefix(s))
		ivs = append(ivs, interval{f, l})
	}
	ivs = mergeIntervals(ivs)
	for _, s := range reachable {
		f, l := prefixBounds(netip.MustParsePrefix(s))
		ivs = subtractInterval(ivs, interval{f, l})
	}
	return ivs
}

func mergeIntervals(ivs []interval) []interval {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].first.cmp(ivs[j].first) < 0 })
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 {
			prev := &out[n-1]
			// Merge overlapping or adjacent intervals.
			if prev.last == (u128{^uint64(0), ^uint64(0)}) || iv.first.cmp(prev.last.inc()) <= 0 {
				if iv.last.cmp(prev.last) > 0 {
					prev.last = iv.last
				}
				continue
			}
		}
		out = append(out, iv)
	}
	return out
}

func subtractInterval(ivs []interval, cut interval) []interval {
	var out []interval
	for _, iv := range ivs {
		if cut.last.cmp(iv.first) < 0 || cut.first.cmp(iv.last) > 0 {
			out = append(out, iv)
			continue
		}
		if iv.first.cmp(cut.first) < 0 {
			out = append(out, interval{iv.first, cut.first.dec()})
		}
		if cut.last.cmp(iv.last) < 0 {
			out = append(out, interval{cut.last.inc(), iv.last})
		}
	}
	return out
}

// The two world prefixes, as ParsePeerCIDR returns them.
var (
	worldV4 = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	worldV6 = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
)
