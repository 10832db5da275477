package cloudtrail

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// parseProtocol accepts the forms CloudTrail uses for an IP protocol: "-1",
// "all", a name (tcp, udp, icmp, icmpv6, case-insensitive) or a number 0-255.
func parseProtocol(b []byte) (policy.Protocol, bool) {
	switch len(b) {
	case 3:
		if eqFold(b, "tcp") {
			return policy.ProtoTCP, true
		}
		if eqFold(b, "udp") {
			return policy.ProtoUDP, true
		}
		if eqFold(b, "all") {
			return policy.ProtoAll, true
		}
	case 4:
		if eqFold(b, "icmp") {
			return policy.ProtoICMP, true
		}
	case 6:
		if eqFold(b, "icmpv6") {
			return policy.ProtoICMPv6, true
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 16)
	if err != nil || n < -1 || n > 255 {
		return 0, false
	}
	return policy.Protocol(n), true
}

// eqFold reports whether b equals the lower-case ASCII word w, ignoring case.
func eqFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// parseTime reads "2006-01-02T15:04:05Z" and "2006-01-02 15:04:05.000000000"
// (CloudTrail Lake's form, UTC) without allocating, and any other RFC 3339
// time through the time package.
func parseTime(b []byte) (time.Time, bool) {
	if len(b) >= 19 && (b[10] == 'T' || b[10] == ' ') && b[4] == '-' && b[7] == '-' && b[13] == ':' && b[16] == ':' {
		year, ok1 := digits(b[0:4])
		month, ok2 := digits(b[5:7])
		day, ok3 := digits(b[8:10])
		hour, ok4 := digits(b[11:13])
		minute, ok5 := digits(b[14:16])
		sec, ok6 := digits(b[17:19])
		rest := b[19:]
		nsec := 0
		if len(rest) > 0 && rest[0] == '.' {
			j := 1
			scale := 100000000
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				if scale > 0 {
					nsec += int(rest[j]-'0') * scale
					scale /= 10
				}
				j++
			}
			if j == 1 {
				return time.Time{}, false
			}
			rest = rest[j:]
		}
		utc := len(rest) == 0 && b[10] == ' ' || len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z')
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && utc &&
			month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && sec < 61 {
			t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
			if t.Day() == day { // rejects 2021-02-30
				return t, true
			}
			return time.Time{}, false
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// normPorts turns the ports of a rule into the policy model's form. For tcp
// and udp, missing ports or -1 mean every port (0-65535). For icmp and
// icmpv6, FromPort is the type and ToPort the code, -1 meaning all. For all
// traffic and other protocols the ports are ignored and normalized to -1.
// A problem is reported as a message and whether it concerns toPort.
func normPorts(p policy.Protocol, from, to jsonInt) (f32, t32 int32, msg string, isTo bool) {
	if from.Bad {
		return 0, 0, "not an integer", false
	}
	if to.Bad {
		return 0, 0, "not an integer", true
	}
	switch p {
	case policy.ProtoTCP, policy.ProtoUDP:
		f, t := int64(0), int64(65535)
		if from.Set && from.V != -1 {
			f = from.V
		}
		if to.Set && to.V != -1 {
			t = to.V
		}
		if f < 0 || f > 65535 {
			return 0, 0, "out of range 0-65535", false
		}
		if t < 0 || t > 65535 {
			return 0, 0, "out of range 0-65535", true
		}
		if f > t {
			return 0, 0, "greater than toPort", false
		}
		return int32(f), int32(t), "", false
	case policy.ProtoICMP, policy.ProtoICMPv6:
		f, t := int64(-1), int64(-1)
		if from.Set {
			f = from.V
		}
		if to.Set {
			t = to.V
		}
		if f < -1 || f > 255 {
			return 0, 0, "ICMP type out of range -1-255", false
		}
		if t < -1 || t > 255 {
			return 0, 0, "ICMP code out of range -1-255", true
		}
		return int32(f), int32(t), "", false
	default:
		return -1, -1, "", false
	}
}

// parseCIDR parses an IPv4 or IPv6 CIDR and returns it masked (the form
// AWS stores), so "208.236.235.254/0" becomes 0.0.0.0/0.
func parseCIDR(s string, want policy.PeerKind) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4() != (want == policy.PeerIPv4) {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// parseCIDRAny parses an IPv4 or IPv6 CIDR and returns it masked.
func parseCIDRAny(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}
