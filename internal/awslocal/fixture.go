package awslocal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Fixture lays out an account: VPCs, groups with rules, prefix lists and
// network interfaces. The YAML/JSON form is documented in docs/awslocal.md.
type Fixture struct {
	Account           string           `yaml:"account,omitempty" json:"account,omitempty"`
	Region            string           `yaml:"region,omitempty" json:"region,omitempty"`
	VPCs              []VPCSpec        `yaml:"vpcs,omitempty" json:"vpcs,omitempty"`
	Groups            []GroupSpec      `yaml:"groups,omitempty" json:"groups,omitempty"`
	PrefixLists       []PrefixListSpec `yaml:"prefixLists,omitempty" json:"prefixLists,omitempty"`
	NetworkInterfaces []ENISpec        `yaml:"networkInterfaces,omitempty" json:"networkInterfaces,omitempty"`
	Topics            []string         `yaml:"topics,omitempty" json:"topics,omitempty"`
	// Delivery is the CloudTrail -> EventBridge -> Lambda loop doctor reads
	// (doctor_state.go).
	Delivery *DeliverySpec `yaml:"delivery,omitempty" json:"delivery,omitempty"`
}

// VPCSpec is a VPC. Default marks the region's default VPC (where
// GroupName-only calls and CreateSecurityGroup without VpcId land).
type VPCSpec struct {
	ID      string `yaml:"id" json:"id"`
	CIDR    string `yaml:"cidr,omitempty" json:"cidr,omitempty"`
	Default bool   `yaml:"default,omitempty" json:"default,omitempty"`
}

// GroupSpec is a security group. A nil Egress gets AWS's default
// allow-all egress rule; an empty non-nil Egress gets none.
type GroupSpec struct {
	ID          string            `yaml:"id,omitempty" json:"id,omitempty"`
	Name        string            `yaml:"name" json:"name"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	VPC         string            `yaml:"vpc" json:"vpc"`
	Tags        map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Ingress     []RuleSpec        `yaml:"ingress,omitempty" json:"ingress,omitempty"`
	Egress      []RuleSpec        `yaml:"egress" json:"egress"`
}

// RuleSpec is one rule: a protocol, a port range and exactly one peer.
type RuleSpec struct {
	ID       string `yaml:"id,omitempty" json:"id,omitempty"`
	Protocol string `yaml:"protocol" json:"protocol"`
	From     *int32 `yaml:"from,omitempty" json:"from,omitempty"`
	To       *int32 `yaml:"to,omitempty" json:"to,omitempty"`
	CIDR     string `yaml:"cidr,omitempty" json:"cidr,omitempty"`
	CIDR6    string `yaml:"cidr6,omitempty" json:"cidr6,omitempty"`
	// PrefixList is a pl- ID.
	PrefixList string `yaml:"prefixList,omitempty" json:"prefixList,omitempty"`
	// Group is an sg- ID, or "self".
	Group       string            `yaml:"group,omitempty" json:"group,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// PrefixListSpec is a customer-managed prefix list at version 1.
type PrefixListSpec struct {
	ID            string            `yaml:"id,omitempty" json:"id,omitempty"`
	Name          string            `yaml:"name" json:"name"`
	AddressFamily string            `yaml:"addressFamily,omitempty" json:"addressFamily,omitempty"`
	MaxEntries    int32             `yaml:"maxEntries,omitempty" json:"maxEntries,omitempty"`
	Entries       []PrefixListEntry `yaml:"entries,omitempty" json:"entries,omitempty"`
	Tags          map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// PrefixListEntry is one CIDR of a prefix list.
type PrefixListEntry struct {
	CIDR        string `yaml:"cidr" json:"cidr"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

// ENISpec is a network interface.
type ENISpec struct {
	ID               string            `yaml:"id,omitempty" json:"id,omitempty"`
	VPC              string            `yaml:"vpc" json:"vpc"`
	Subnet           string            `yaml:"subnet,omitempty" json:"subnet,omitempty"`
	Groups           []string          `yaml:"groups,omitempty" json:"groups,omitempty"`
	InterfaceType    string            `yaml:"interfaceType,omitempty" json:"interfaceType,omitempty"`
	InstanceID       string            `yaml:"instanceId,omitempty" json:"instanceId,omitempty"`
	RequesterID      string            `yaml:"requesterId,omitempty" json:"requesterId,omitempty"`
	RequesterManaged bool              `yaml:"requesterManaged,omitempty" json:"requesterManaged,omitempty"`
	Description      string            `yaml:"description,omitempty" json:"description,omitempty"`
	PrivateIP        string            `yaml:"privateIp,omitempty" json:"privateIp,omitempty"`
	PublicIP         string            `yaml:"publicIp,omitempty" json:"publicIp,omitempty"`
	Tags             map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// Port returns a pointer to p, for RuleSpec.From and To.
func Port(p int32) *int32 { return &p }

// TCP is a tcp rule for one port from (or, in egress, to) a peer: a CIDR
// (IPv4 or IPv6), a pl- prefix list, an sg- group or "self".
func TCP(port int32, peer string) RuleSpec { return PortRange("tcp", port, port, peer) }

// UDP is TCP for udp.
func UDP(port int32, peer string) RuleSpec { return PortRange("udp", port, port, peer) }

// AllTraffic is a protocol -1 rule with a peer as in TCP.
func AllTraffic(peer string) RuleSpec { return withPeer(RuleSpec{Protocol: "-1"}, peer) }

// PortRange is a rule for protocol and ports from-to with a peer as in TCP.
func PortRange(protocol string, from, to int32, peer string) RuleSpec {
	return withPeer(RuleSpec{Protocol: protocol, From: Port(from), To: Port(to)}, peer)
}

func withPeer(r RuleSpec, peer string) RuleSpec {
	switch {
	case strings.HasPrefix(peer, "pl-"):
		r.PrefixList = peer
	case strings.HasPrefix(peer, "sg-") || peer == "self":
		r.Group = peer
	case strings.Contains(peer, ":"):
		r.CIDR6 = peer
	default:
		r.CIDR = peer
	}
	return r
}

// LoadFixture reads a YAML or JSON fixture file.
func LoadFixture(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("awslocal: read fixture: %w", err)
	}
	f, err := ParseFixture(data)
	if err != nil {
		return nil, fmt.Errorf("awslocal: fixture %s: %w", filepath.Base(path), err)
	}
	return f, nil
}

// ParseFixture decodes a YAML or JSON fixture, rejecting unknown fields.
func ParseFixture(data []byte) (*Fixture, error) {
	var f Fixture
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode JSON: %w", err)
		}
		return &f, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode YAML: %w", err)
	}
	return &f, nil
}

// Seed adds the fixture's resources to the account. It validates the whole
// fixture first and changes nothing when any part is invalid. VPCs that
// groups or interfaces name but the fixture does not list are created.
func (s *Server) Seed(f *Fixture) error {
	if f == nil {
		return nil
	}
	region := f.Region
	if region == "" {
		region = s.defaultRegion
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Account != "" && s.org.accounts[f.Account] == nil {
		return fmt.Errorf("awslocal: fixture account %s differs from the server's %s and is not a member added by AddAccount", f.Account, s.account)
	}
	if f.Delivery != nil && f.Account != "" && f.Account != s.account {
		return fmt.Errorf("awslocal: fixture account %s: delivery is emulated in the server's account %s only", f.Account, s.account)
	}
	rs := s.accountRegion(f.Account, region)
	if err := s.validateFixture(rs, f); err != nil {
		return err
	}
	if f.Delivery != nil {
		if err := s.validateDelivery(*f.Delivery); err != nil {
			return err
		}
	}
	s.seed(rs, f)
	if f.Delivery != nil {
		return s.SeedDelivery(region, *f.Delivery) // validated above
	}
	return nil
}

// Seed errors name the offending item.
func fixtureErr(what string, i int, format string, args ...any) error {
	return fmt.Errorf("awslocal: fixture %s[%d]: %s", what, i, fmt.Sprintf(format, args...))
}

func (s *Server) validateFixture(rs *regionState, f *Fixture) error {
	ids := map[string]bool{}
	claim := func(id string) bool {
		if id == "" {
			return true
		}
		if ids[id] || rs.groups[id] != nil || rs.rules[id] != nil || rs.vpcs[id] != nil || rs.enis[id] != nil || rs.prefixLists[id] != nil {
			return false
		}
		ids[id] = true
		return true
	}
	for i, v := range f.VPCs {
		if !strings.HasPrefix(v.ID, "vpc-") || !claim(v.ID) {
			return fixtureErr("vpcs", i, "id %q is not a new vpc- id", v.ID)
		}
		if v.CIDR != "" {
			if _, err := netip.ParsePrefix(v.CIDR); err != nil {
				return fixtureErr("vpcs", i, "cidr: %v", err)
			}
		}
	}
	pls := map[string]string{}
	for i, p := range f.PrefixLists {
		if p.ID != "" && (!strings.HasPrefix(p.ID, "pl-") || !claim(p.ID)) {
			return fixtureErr("prefixLists", i, "id %q is not a new pl- id", p.ID)
		}
		fam := p.AddressFamily
		if fam == "" {
			fam = "IPv4"
		}
		if fam != "IPv4" && fam != "IPv6" {
			return fixtureErr("prefixLists", i, "addressFamily %q is not IPv4 or IPv6", fam)
		}
		for j, e := range p.Entries {
			if aerr := validatePLEntry(fam, e.CIDR, e.Description); aerr != nil {
				return fixtureErr("prefixLists", i, "entries[%d]: %s", j, aerr.Message)
			}
		}
		if p.MaxEntries != 0 && int(p.MaxEntries) < len(p.Entries) {
			return fixtureErr("prefixLists", i, "%d entries exceed maxEntries %d", len(p.Entries), p.MaxEntries)
		}
		if p.ID != "" {
			pls[p.ID] = fam
		}
	}
	groupIDs := map[string]bool{}
	type nameKey struct{ vpc, name string }
	names := map[nameKey]bool{}
	for i, g := range f.Groups {
		if g.ID != "" && (!strings.HasPrefix(g.ID, "sg-") || !claim(g.ID)) {
			return fixtureErr("groups", i, "id %q is not a new sg- id", g.ID)
		}
		if g.Name == "" || g.VPC == "" {
			return fixtureErr("groups", i, "name and vpc are required")
		}
		k := nameKey{g.VPC, g.Name}
		if names[k] || rs.groupByName(g.VPC, g.Name) != nil {
			return fixtureErr("groups", i, "a group named %q already exists in %s", g.Name, g.VPC)
		}
		names[k] = true
		if g.ID != "" {
			groupIDs[g.ID] = true
		}
	}
	for i, g := range f.Groups {
		for dir, rules := range map[string][]RuleSpec{"ingress": g.Ingress, "egress": g.Egress} {
			for j, r := range rules {
				if r.ID != "" && (!strings.HasPrefix(r.ID, "sgr-") || !claim(r.ID)) {
					return fixtureErr("groups", i, "%s[%d]: id %q is not a new sgr- id", dir, j, r.ID)
				}
				if _, err := specRule(rs, r, "", pls, groupIDs); err != nil {
					return fixtureErr("groups", i, "%s[%d]: %v", dir, j, err)
				}
			}
		}
	}
	for i, n := range f.NetworkInterfaces {
		if n.ID != "" && (!strings.HasPrefix(n.ID, "eni-") || !claim(n.ID)) {
			return fixtureErr("networkInterfaces", i, "id %q is not a new eni- id", n.ID)
		}
		if n.VPC == "" {
			return fixtureErr("networkInterfaces", i, "vpc is required")
		}
		for _, gid := range n.Groups {
			if !groupIDs[gid] && rs.groups[gid] == nil {
				return fixtureErr("networkInterfaces", i, "group %s is not defined", gid)
			}
		}
	}
	for i, t := range f.Topics {
		if !topicNameRE.MatchString(strings.TrimSuffix(t, ".fifo")) {
			return fixtureErr("topics", i, "%q is not a topic name", t)
		}
	}
	return nil
}

// specRule converts a RuleSpec; self is the owning group's ID ("" while
// validating). knownPLs and knownGroups hold IDs the fixture defines.
func specRule(rs *regionState, r RuleSpec, self string, knownPLs map[string]string, knownGroups map[string]bool) (*rule, error) {
	protocol, aerr := normalizeProtocol(r.Protocol)
	if aerr != nil {
		return nil, errors.New(aerr.Message)
	}
	var from, to int32
	if r.From != nil {
		from = *r.From
	}
	if r.To != nil {
		to = *r.To
	}
	from, to, aerr = normalizePorts(protocol, from, to, r.From != nil, r.To != nil)
	if aerr != nil {
		return nil, errors.New(aerr.Message)
	}
	out := &rule{id: r.ID, protocol: protocol, from: from, to: to, description: r.Description, tags: copyTags(r.Tags)}
	n := 0
	if r.CIDR != "" {
		n++
		out.kind, out.peer = peerCIDR4, r.CIDR
	}
	if r.CIDR6 != "" {
		n++
		out.kind, out.peer = peerCIDR6, r.CIDR6
	}
	if r.PrefixList != "" {
		n++
		out.kind, out.peer = peerPrefixList, r.PrefixList
		if _, ok := knownPLs[r.PrefixList]; !ok && rs.prefixLists[r.PrefixList] == nil {
			return nil, fmt.Errorf("prefix list %s is not defined", r.PrefixList)
		}
	}
	if r.Group != "" {
		n++
		out.kind, out.peer, out.peerUser = peerGroup, r.Group, rs.account
		if r.Group == "self" {
			out.peer = self
		} else if !knownGroups[r.Group] && rs.groups[r.Group] == nil {
			return nil, fmt.Errorf("group %s is not defined", r.Group)
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("exactly one of cidr, cidr6, prefixList, group is required (got %d)", n)
	}
	if out.kind == peerCIDR4 || out.kind == peerCIDR6 {
		ref := peerRef{kind: out.kind, value: out.peer}
		if aerr := rs.validatePeer(&ref); aerr != nil {
			return nil, errors.New(aerr.Message)
		}
	}
	return out, nil
}

// seed applies a validated fixture.
func (s *Server) seed(rs *regionState, f *Fixture) {
	for _, v := range f.VPCs {
		rs.createVPC(v.ID, v.CIDR, v.Default, hasDefaultGroup(f, v.ID))
	}
	ensureVPC := func(id string) {
		if rs.vpcs[id] == nil {
			rs.createVPC(id, "", false, hasDefaultGroup(f, id))
		}
	}
	for _, p := range f.PrefixLists {
		fam := p.AddressFamily
		if fam == "" {
			fam = "IPv4"
		}
		max := p.MaxEntries
		if max == 0 {
			max = int32(max32(len(p.Entries), 10))
		}
		entries := make([]plEntry, len(p.Entries))
		for i, e := range p.Entries {
			entries[i] = plEntry{cidr: e.CIDR, description: e.Description}
		}
		rs.createPrefixList(p.ID, p.Name, fam, max, entries, p.Tags)
	}
	// Groups first, so rules can reference any group of the fixture.
	created := make([]*group, len(f.Groups))
	for i, g := range f.Groups {
		ensureVPC(g.VPC)
		desc := g.Description
		if desc == "" {
			desc = g.Name
		}
		created[i] = rs.createGroup(groupSpec{id: g.ID, name: g.Name, description: desc, vpcID: g.VPC, tags: g.Tags, noDefaultEgress: g.Egress != nil || g.Name == "default"})
	}
	for i, g := range f.Groups {
		grp := created[i]
		for _, spec := range g.Ingress {
			s.seedRule(rs, grp, spec, false)
		}
		for _, spec := range g.Egress {
			s.seedRule(rs, grp, spec, true)
		}
	}
	for _, n := range f.NetworkInterfaces {
		ensureVPC(n.VPC)
		id := n.ID
		if id == "" {
			id = rs.newID("eni", func(x string) bool { return rs.enis[x] != nil })
		}
		typ := n.InterfaceType
		if typ == "" {
			typ = "interface"
		}
		ni := &eni{
			id: id, vpcID: n.VPC, subnetID: n.Subnet, groups: append([]string(nil), n.Groups...), interfaceType: typ,
			instanceID: n.InstanceID, requesterID: n.RequesterID, requesterManaged: n.RequesterManaged,
			description: n.Description, privateIP: n.PrivateIP, publicIP: n.PublicIP, tags: copyTags(n.Tags), seq: rs.next(),
		}
		rs.enis[id] = ni
		rs.eniOrder.add(ni)
	}
	for _, t := range f.Topics {
		arn := "arn:aws:sns:" + rs.name + ":" + rs.account + ":" + t
		if rs.topics[arn] == nil {
			attrs := map[string]string{}
			if strings.HasSuffix(t, ".fifo") {
				attrs["FifoTopic"] = "true"
			}
			rs.topics[arn] = &topic{arn: arn, name: t, attributes: attrs, seq: rs.next()}
		}
	}
}

func (s *Server) seedRule(rs *regionState, g *group, spec RuleSpec, egress bool) {
	r, err := specRule(rs, spec, g.id, nil, nil)
	if err != nil {
		return // validated before; cannot happen
	}
	r.egress = egress
	if g.keys[r.key()] != nil {
		return // a fixture may list the same rule twice; AWS keeps one
	}
	rs.addRule(g, r)
}

func hasDefaultGroup(f *Fixture, vpcID string) bool {
	for _, g := range f.Groups {
		if g.VPC == vpcID && g.Name == "default" {
			return true
		}
	}
	return false
}

func max32(a, b int) int {
	if a > b {
		return a
	}
	return b
}
