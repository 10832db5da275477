package policy

import (
	"errors"
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		prefix     string
		world, pub bool
	}{
		{"0.0.0.0/0", true, true},
		{"::/0", true, true},
		{"1.2.3.4/0", true, true}, // host bits ignored
		{"0.0.0.0/1", false, true},
		{"8.0.0.0/7", false, true},
		{"8.8.8.8/32", false, true},
		{"10.0.0.0/8", false, false},
		{"10.0.0.0/7", false, true}, // 11.0.0.0/8 is global
		{"100.64.0.0/10", false, false},
		{"100.64.0.0/9", false, true},
		{"172.16.0.0/12", false, false},
		{"172.16.0.0/11", false, true},
		{"192.168.1.0/24", false, false},
		{"127.0.0.1/32", false, false},
		{"169.254.169.254/32", false, false},
		{"192.0.2.0/24", false, false},
		{"198.51.100.0/24", false, false},
		{"203.0.113.0/24", false, false},
		{"198.18.0.0/15", false, false},
		{"240.0.0.0/4", false, false},
		{"255.255.255.255/32", false, false},
		{"192.0.0.0/29", false, false},
		{"192.0.0.0/24", false, true}, // holds 192.0.0.9 and .10 (anycast, global)
		{"192.0.0.9/32", false, true},
		{"0.0.0.0/8", false, false},
		{"224.0.0.0/4", false, true}, // multicast is not in the special-purpose registry
		{"fd00::/8", false, false},
		{"fc00::/7", false, false},
		{"fe80::/10", false, false},
		{"::1/128", false, false},
		{"2001:db8::/32", false, false},
		{"2001:db8::/31", false, true},
		{"3fff::/20", false, false},
		{"2001::/23", false, true}, // holds AMT, ORCHIDv2 and others
		{"2001:2::/48", false, false},
		{"2600:1f18::/32", false, true},
		{"2000::/3", false, true},
		{"64:ff9b::/96", false, true},
		{"::ffff:10.0.0.0/104", false, false}, // IPv4-mapped is judged as IPv4
		{"::ffff:8.8.8.0/120", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(tc.prefix)
			if got := IsWorld(p); got != tc.world {
				t.Errorf("IsWorld(%s) = %v, want %v", tc.prefix, got, tc.world)
			}
			if got := IsPublic(p); got != tc.pub {
				t.Errorf("IsPublic(%s) = %v, want %v", tc.prefix, got, tc.pub)
			}
		})
	}
	if IsPublic(netip.Prefix{}) || IsWorld(netip.Prefix{}) {
		t.Errorf("the zero prefix is world or public")
	}
}

func TestParseProtocol(t *testing.T) {
	tests := []struct {
		in   string
		want Protocol
		err  bool
	}{
		{"tcp", ProtoTCP, false}, {"TCP", ProtoTCP, false}, {"6", ProtoTCP, false},
		{"udp", ProtoUDP, false}, {"17", ProtoUDP, false},
		{"icmp", ProtoICMP, false}, {"icmpv6", ProtoICMPv6, false}, {"58", ProtoICMPv6, false},
		{"-1", ProtoAll, false}, {"all", ProtoAll, false},
		{"132", 132, false}, {"0", 0, false}, {"255", 255, false},
		{"256", 0, true}, {"-2", 0, true}, {"", 0, true}, {"sctp", 0, true}, {"6.0", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseProtocol(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseProtocol(%q) = %v, %v; want %v, err=%v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrBadProtocol) {
			t.Errorf("ParseProtocol(%q) error %v is not ErrBadProtocol", tc.in, err)
		}
	}
	for _, p := range []Protocol{ProtoAll, ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6, 132} {
		back, err := ParseProtocol(p.String())
		if err != nil || back != p {
			t.Errorf("ParseProtocol(%v.String()) = %v, %v", p, back, err)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in       string
		from, to int32
		err      bool
	}{
		{"22", 22, 22, false}, {"1024-65535", 1024, 65535, false}, {" 0 - 65535 ", 0, 65535, false},
		{"-1", 0, 65535, false}, {"65536", 0, 0, true}, {"10-5", 0, 0, true}, {"", 0, 0, true},
		{"a", 0, 0, true}, {"1-", 0, 0, true}, {"-5", 0, 0, true}, {"+5", 0, 0, true}, {"1-2-3", 0, 0, true},
		{"000022", 0, 0, true},
	}
	for _, tc := range tests {
		from, to, err := ParsePortRange(tc.in)
		if (err != nil) != tc.err || from != tc.from || to != tc.to {
			t.Errorf("ParsePortRange(%q) = %d, %d, %v; want %d, %d, err=%v", tc.in, from, to, err, tc.from, tc.to, tc.err)
		}
		if err != nil && !errors.Is(err, ErrBadPort) {
			t.Errorf("ParsePortRange(%q) error %v is not ErrBadPort", tc.in, err)
		}
	}
}

func TestParsePeerCIDR(t *testing.T) {
	tests := []struct {
		in   string
		kind PeerKind
		want string
	}{
		{"0.0.0.0/0", PeerIPv4, "0.0.0.0/0"},
		{"10.1.2.3", PeerIPv4, "10.1.2.3/32"},
		{"::/0", PeerIPv6, "::/0"},
		{"2001:db8::1", PeerIPv6, "2001:db8::1/128"},
		{"10.0.0.0/33", PeerUnknown, ""},
		{"fe80::1%eth0/64", PeerUnknown, ""},
		{"nope", PeerUnknown, ""},
	}
	for _, tc := range tests {
		p, err := ParsePeerCIDR(tc.in)
		if tc.kind == PeerUnknown {
			if !errors.Is(err, ErrBadCIDR) {
				t.Errorf("ParsePeerCIDR(%q) error = %v, want ErrBadCIDR", tc.in, err)
			}
			continue
		}
		if err != nil || p.Kind != tc.kind || p.String() != tc.want {
			t.Errorf("ParsePeerCIDR(%q) = %v %s, %v; want %v %s", tc.in, p.Kind, p, err, tc.kind, tc.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:sts::*:assumed-role/BreakGlass/*", "arn:aws:sts::123456789012:assumed-role/BreakGlass/alice", true},
		{"arn:aws:sts::*:assumed-role/BreakGlass/*", "arn:aws:sts::123456789012:assumed-role/BreakGlassX/alice", false},
		{"arn:aws:iam::123456789012:user/ops", "arn:aws:iam::123456789012:user/ops", true},
		{"arn:aws:iam::123456789012:user/ops", "arn:aws:iam::123456789012:user/ops2", false},
		{"*", "", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"**", "x", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
