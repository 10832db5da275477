package awslocal

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// regionState is everything one region of the account holds. The
// Server's mutex guards it.
type regionState struct {
	account string
	name    string
	seq     uint64 // creation order, used for stable paging

	vpcs        map[string]*vpc
	groups      map[string]*group
	rules       map[string]*rule
	enis        map[string]*eni
	prefixLists map[string]*prefixList
	otherTags   map[string]map[string]string // tags on resources not modelled (i-...)
	topics      map[string]*topic

	// Indexes: group names per VPC, and creation order for paging, so a
	// page costs its own size rather than a sort of the whole region.
	groupNames map[groupName]*group
	groupOrder ordered[*group]
	ruleOrder  ordered[*rule]
	eniOrder   ordered[*eni]

	rng *rand.Rand
}

func newRegionState(account, name string) *regionState {
	return &regionState{
		account:     account,
		name:        name,
		vpcs:        map[string]*vpc{},
		groups:      map[string]*group{},
		rules:       map[string]*rule{},
		enis:        map[string]*eni{},
		prefixLists: map[string]*prefixList{},
		otherTags:   map[string]map[string]string{},
		topics:      map[string]*topic{},
		groupNames:  map[groupName]*group{},
		rng:         rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
}

func (rs *regionState) next() uint64 {
	rs.seq++
	return rs.seq
}

// newID returns an unused ID shaped like AWS's: prefix + 17 hex digits.
func (rs *regionState) newID(prefix string, taken func(string) bool) string {
	for {
		id := fmt.Sprintf("%s-%017x", prefix, rs.rng.Uint64())
		if !taken(id) {
			return id
		}
	}
}

type vpc struct {
	id        string
	cidr      string
	isDefault bool
	seq       uint64
	tags      map[string]string
}

// groupName is a group's name within its VPC, unique there.
type groupName struct{ vpcID, name string }

type group struct {
	gone        bool // deleted; still in groupOrder until swept
	id          string
	name        string
	description string
	vpcID       string
	seq         uint64
	tags        map[string]string
	ingress     []*rule
	egress      []*rule
	keys        map[ruleKey]*rule // duplicate detection
}

func (g *group) rulesOf(egress bool) []*rule {
	if egress {
		return g.egress
	}
	return g.ingress
}

func (g *group) addRule(r *rule) {
	if egress := r.egress; egress {
		g.egress = append(g.egress, r)
	} else {
		g.ingress = append(g.ingress, r)
	}
	g.keys[r.key()] = r
}

func (g *group) removeRule(r *rule) {
	list := &g.ingress
	if r.egress {
		list = &g.egress
	}
	for i, x := range *list {
		if x == r {
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			break
		}
	}
	delete(g.keys, r.key())
}

// peerKind says which field of a rule names its peer.
type peerKind uint8

const (
	peerCIDR4 peerKind = iota + 1
	peerCIDR6
	peerPrefixList
	peerGroup
)

// rule is one security group rule: a single protocol/port range and a
// single peer, as DescribeSecurityGroupRules shows it.
type rule struct {
	gone        bool // revoked; still in ruleOrder until swept
	id          string
	groupID     string
	egress      bool
	protocol    string // tcp, udp, icmp, icmpv6, -1 or a number
	from, to    int32  // -1 when the protocol has no ports
	kind        peerKind
	peer        string // CIDR, prefix list ID or group ID
	peerUser    string // owner of a referenced group
	description string
	tags        map[string]string
	seq         uint64
}

// ruleKey identifies a rule's content; descriptions and tags do not count.
type ruleKey struct {
	egress   bool
	protocol string
	from, to int32
	kind     peerKind
	peer     string
}

func (r *rule) key() ruleKey {
	return ruleKey{r.egress, r.protocol, r.from, r.to, r.kind, r.peer}
}

type eni struct {
	gone             bool
	id               string
	vpcID            string
	subnetID         string
	groups           []string
	interfaceType    string
	instanceID       string
	requesterID      string
	requesterManaged bool
	description      string
	privateIP        string
	publicIP         string
	tags             map[string]string
	seq              uint64
}

type prefixList struct {
	id            string
	name          string
	addressFamily string
	maxEntries    int32
	version       int64
	versions      map[int64][]plEntry // entries of every version
	tags          map[string]string
	seq           uint64
	state         string
}

type plEntry struct {
	cidr        string
	description string
}

func (p *prefixList) entries() []plEntry { return p.versions[p.version] }

type topic struct {
	arn        string
	name       string
	attributes map[string]string
	seq        uint64
}

// vpcOf returns the default VPC, if the region has one.
func (rs *regionState) defaultVPC() *vpc {
	for _, v := range rs.vpcs {
		if v.isDefault {
			return v
		}
	}
	return nil
}

// groupByName finds a group by name in a VPC.
func (rs *regionState) groupByName(vpcID, name string) *group {
	return rs.groupNames[groupName{vpcID, name}]
}

// pageToken and parseToken implement NextToken: the token carries the
// creation sequence of the next item, so paging stays stable while items
// are added or removed.
func pageToken(kind string, seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatUint(seq, 10)))
}

func parseToken(kind, token string) (uint64, *APIError) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), kind+":"); ok {
			if n, err := strconv.ParseUint(rest, 10, 64); err == nil {
				return n, nil
			}
		}
	}
	return 0, clientErr("InvalidPaginationToken", "Invalid pagination token: %q", token)
}

// paginate sorts items by creation, skips those before the token and cuts
// a page of max items (max <= 0: all of them).
func paginate[T any](items []T, seqOf func(T) uint64, kind, token string, max int) ([]T, string, *APIError) {
	start, aerr := parseToken(kind, token)
	if aerr != nil {
		return nil, "", aerr
	}
	sort.Slice(items, func(i, j int) bool { return seqOf(items[i]) < seqOf(items[j]) })
	i := sort.Search(len(items), func(i int) bool { return seqOf(items[i]) >= start })
	items = items[i:]
	if max <= 0 || len(items) <= max {
		return items, "", nil
	}
	return items[:max], pageToken(kind, seqOf(items[max])), nil
}

// pageItem is what ordered needs of an item: its creation sequence and
// whether it was deleted.
type pageItem interface {
	seqNo() uint64
	deleted() bool
}

func (g *group) seqNo() uint64 { return g.seq }
func (g *group) deleted() bool { return g.gone }
func (r *rule) seqNo() uint64  { return r.seq }
func (r *rule) deleted() bool  { return r.gone }
func (n *eni) seqNo() uint64   { return n.seq }
func (n *eni) deleted() bool   { return n.gone }

// ordered holds items in creation order (sequence numbers only grow, so
// appending keeps it sorted). Deleted items are swept once they are the
// majority.
type ordered[T pageItem] struct {
	items []T
	dead  int
}

func (o *ordered[T]) add(x T) { o.items = append(o.items, x) }

// removed notes that one item was marked deleted.
func (o *ordered[T]) removed() {
	o.dead++
	if o.dead < 1024 || o.dead*2 < len(o.items) {
		return
	}
	live := o.items[:0]
	for _, x := range o.items {
		if !x.deleted() {
			live = append(live, x)
		}
	}
	clear(o.items[len(live):])
	o.items, o.dead = live, 0
}

// page returns up to max live items that keep accepts, starting at the
// token, and the token of the next match (max <= 0: every match).
func (o *ordered[T]) page(kind, token string, max int, keep func(T) bool) ([]T, string, *APIError) {
	start, aerr := parseToken(kind, token)
	if aerr != nil {
		return nil, "", aerr
	}
	i := sort.Search(len(o.items), func(i int) bool { return o.items[i].seqNo() >= start })
	var out []T
	for ; i < len(o.items); i++ {
		x := o.items[i]
		if x.deleted() || !keep(x) {
			continue
		}
		if max > 0 && len(out) == max {
			return out, pageToken(kind, x.seqNo()), nil
		}
		out = append(out, x)
	}
	return out, "", nil
}

func copyTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}
