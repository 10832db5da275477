// Package audittest measures the audit at scale against the emulated
// account: a deterministic synthetic account (Scale.Fixture), a measured
// audit run (Measure: wall time, evaluation time, peak heap, calls) and the
// baseline of bare paging (BarePaging). The benchmarks of internal/audit and
// the bench table of cmd/sgwarden-bench both use it.
//
// It imports awslocal, so only tests and the bench harness may import it,
// never a Lambda binary.
package audittest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sgwarden/sgwarden/internal/audit"
	"github.com/sgwarden/sgwarden/internal/awslocal"
	"github.com/sgwarden/sgwarden/internal/policy"
)

// Scale is the size of a synthetic account in one region.
type Scale struct {
	Groups int
	// Rules is the total over every group, egress included; it is spread
	// evenly (at least two per group: one egress, one ingress).
	Rules             int
	NetworkInterfaces int
	// GroupsPerInterface is the number of distinct groups of each interface.
	GroupsPerInterface int
}

// Target is the scale of the performance targets: 10,000 groups, 100,000
// rules and 20,000 interfaces with 3 groups each.
var Target = Scale{Groups: 10_000, Rules: 100_000, NetworkInterfaces: 20_000, GroupsPerInterface: 3}

const (
	vpcID       = "vpc-0scale000000001"
	prefixLists = 5
)

// GroupID is the ID of the i-th synthetic group.
func GroupID(i int) string { return fmt.Sprintf("sg-%017x", i+1) }

// Fixture lays the account out deterministically. Per group, the rules are:
// one allow-all egress; 443 from the world; then private CIDRs and
// references to other groups. Every 10th group also allows 8443 from a
// public /24 and references one of 5 managed prefix lists (one of which
// holds a public entry); every 100th group opens 22 to the world (3
// findings, 1 revert candidate). The default group of the VPC is the first
// group.
func (s Scale) Fixture() *awslocal.Fixture {
	f := &awslocal.Fixture{VPCs: []awslocal.VPCSpec{{ID: vpcID, CIDR: "10.0.0.0/8"}}}
	for p := range prefixLists {
		pl := awslocal.PrefixListSpec{ID: fmt.Sprintf("pl-0scale%011x", p), Name: fmt.Sprintf("scale-%d", p)}
		for e := range 8 {
			pl.Entries = append(pl.Entries, awslocal.PrefixListEntry{CIDR: fmt.Sprintf("10.%d.%d.0/24", 200+p, e)})
		}
		if p == 0 {
			pl.Entries = append(pl.Entries, awslocal.PrefixListEntry{CIDR: "52.94.76.0/22", Description: "partner"})
		}
		f.PrefixLists = append(f.PrefixLists, pl)
	}
	per := max(s.Rules/max(s.Groups, 1), 2)
	extra := s.Rules - per*s.Groups // the first groups take one more rule
	for i := range s.Groups {
		n := per
		if i < extra {
			n++
		}
		g := awslocal.GroupSpec{ID: GroupID(i), Name: fmt.Sprintf("scale-%05d", i), VPC: vpcID,
			Egress: []awslocal.RuleSpec{awslocal.AllTraffic("0.0.0.0/0")}}
		if i == 0 {
			g.Name = "default"
		}
		in := []awslocal.RuleSpec{awslocal.TCP(443, "0.0.0.0/0")}
		if i%10 == 0 {
			in = append(in, awslocal.TCP(8443, fmt.Sprintf("52.%d.%d.0/24", 10+i/2560%200, i/10%256)))
			in = append(in, awslocal.TCP(5432, fmt.Sprintf("pl-0scale%011x", i/10%prefixLists)))
		}
		if i%100 == 0 {
			in = append(in, awslocal.TCP(22, "0.0.0.0/0"))
		}
		for k := 0; len(in) < n-1; k++ {
			if k%3 == 2 && s.Groups > 1 {
				in = append(in, awslocal.TCP(int32(9000+k), GroupID((i+k+1)%s.Groups)))
				continue
			}
			in = append(in, awslocal.TCP(int32(1000+k), fmt.Sprintf("10.%d.%d.%d/32", i/65536%256, i/256%256, i%256)))
		}
		g.Ingress = in
		f.Groups = append(f.Groups, g)
	}
	for k := range s.NetworkInterfaces {
		e := awslocal.ENISpec{ID: fmt.Sprintf("eni-%017x", k+1), VPC: vpcID, Subnet: "subnet-0scale00000001",
			InstanceID: fmt.Sprintf("i-%017x", k+1), PrivateIP: fmt.Sprintf("10.%d.%d.%d", 100+k/65536, k/256%256, k%256)}
		for m := 0; len(e.Groups) < min(s.GroupsPerInterface, s.Groups); m++ {
			// A fixed pseudo-random spread, distinct within an interface.
			id := GroupID((k*7919 + m*104729) % s.Groups)
			if !contains(e.Groups, id) {
				e.Groups = append(e.Groups, id)
			}
		}
		f.NetworkInterfaces = append(f.NetworkInterfaces, e)
	}
	return f
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Measurement is one measured audit run.
type Measurement struct {
	// Wall is the time of Auditor.Run.
	Wall time.Duration
	// Evaluate is the evaluation and exposure part, as the report's
	// timings measure it (millisecond resolution).
	Evaluate time.Duration
	// PeakHeap is the peak of heap memory in objects (live or not yet
	// collected) during the run, above the level before it.
	PeakHeap uint64
	// PeakLiveHeap is the peak of the heap found live by a collection
	// during the run, above the live heap before it.
	PeakLiveHeap uint64
	// Calls are the API calls per operation, from the report (the fewest
	// pages; retries excluded).
	Calls map[string]int
	// TotalCalls is the sum of Calls.
	TotalCalls int
	Report     *audit.Report
}

// Measure runs one dry-run audit of region with the default policy through
// cfg (opts are applied last) and measures it. The heap figures are of the
// whole process: when the emulated account runs in the same process, they
// include its transient response buffers, not its resident state (that is
// in the baseline).
func Measure(ctx context.Context, cfg aws.Config, region string, opts ...audit.Option) (*Measurement, error) {
	clients := audit.NewClients(cfg, []string{region})
	base := []audit.Option{audit.WithRegions(region), audit.WithMode(policy.ModeDryRun)}
	a, err := audit.New(policy.Default(), clients.EC2, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	p := startHeapPoll()
	start := time.Now()
	rep, err := a.Run(ctx)
	wall := time.Since(start)
	peak, live := p.stop()
	if err != nil {
		return nil, fmt.Errorf("audit at scale: %w", err)
	}
	m := &Measurement{Wall: wall, PeakHeap: peak, PeakLiveHeap: live, Calls: map[string]int{}, Report: rep}
	for _, rr := range rep.Regions {
		m.Evaluate += time.Duration(rr.Timings.EvaluateMillis) * time.Millisecond
		for op, n := range rr.Calls {
			m.Calls[op] += n
			m.TotalCalls += n
		}
	}
	return m, nil
}

// heapPoll samples the heap every millisecond.
type heapPoll struct {
	baseObjects, baseLive uint64
	peakObjects, peakLive uint64
	done                  chan struct{}
	wg                    sync.WaitGroup
}

func readHeap() (objects, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

func startHeapPoll() *heapPoll {
	runtime.GC()
	p := &heapPoll{done: make(chan struct{})}
	p.baseObjects, p.baseLive = readHeap()
	p.peakObjects, p.peakLive = p.baseObjects, p.baseLive
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			o, l := readHeap()
			p.peakObjects, p.peakLive = max(p.peakObjects, o), max(p.peakLive, l)
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPoll) stop() (objects, live uint64) {
	close(p.done)
	p.wg.Wait()
	o, l := readHeap()
	p.peakObjects, p.peakLive = max(p.peakObjects, o), max(p.peakLive, l)
	return p.peakObjects - p.baseObjects, p.peakLive - p.baseLive
}

// pager is an SDK paginator.
type pager[T any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(*ec2.Options)) (T, error)
}

// drain reads every page of p, handing each to use, and counts the calls.
func drain[T any](ctx context.Context, p pager[T], use func(T)) (int, error) {
	calls := 0
	for p.HasMorePages() {
		calls++
		out, err := p.NextPage(ctx)
		if err != nil {
			return calls, err
		}
		use(out)
	}
	return calls, nil
}

// BarePaging is the baseline of an audit: the same three listings, paged
// with the same page size through the raw SDK paginators, decoding and
// dropping each page. It returns the time and the calls made.
func BarePaging(ctx context.Context, cfg aws.Config, region string) (time.Duration, int, error) {
	c := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
	start := time.Now()
	page := aws.Int32(1000)
	n1, err := drain(ctx, ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{MaxResults: page}), func(*ec2.DescribeSecurityGroupsOutput) {})
	if err != nil {
		return 0, n1, fmt.Errorf("bare paging: %w", err)
	}
	n2, err := drain(ctx, ec2.NewDescribeSecurityGroupRulesPaginator(c, &ec2.DescribeSecurityGroupRulesInput{MaxResults: page}), func(*ec2.DescribeSecurityGroupRulesOutput) {})
	if err != nil {
		return 0, n1 + n2, fmt.Errorf("bare paging: %w", err)
	}
	n3, err := drain(ctx, ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: page}), func(*ec2.DescribeNetworkInterfacesOutput) {})
	if err != nil {
		return 0, n1 + n2 + n3, fmt.Errorf("bare paging: %w", err)
	}
	return time.Since(start), n1 + n2 + n3, nil
}

// MinimumCalls is the fewest calls an audit of s can make: the three
// listings at 1,000 items a page, the rules read per batch of 200 groups
// (each batch its own pages; the default group of the VPC is the first
// synthetic group), one DescribeManagedPrefixLists batch and one
// GetManagedPrefixListEntries page per referenced list.
func (s Scale) MinimumCalls() map[string]int {
	pages := func(n int) int { return max((n+999)/1000, 1) }
	per := max(s.Rules/max(s.Groups, 1), 2)
	extra := s.Rules - per*s.Groups
	rulePages := 0
	for start := 0; start < s.Groups; start += 200 {
		n := 0
		for i := start; i < min(start+200, s.Groups); i++ {
			n += per
			if i < extra {
				n++
			}
		}
		rulePages += pages(n)
	}
	out := map[string]int{
		audit.OpDescribeSecurityGroups:     pages(s.Groups),
		audit.OpDescribeSecurityGroupRules: rulePages,
		audit.OpDescribeNetworkInterfaces:  pages(s.NetworkInterfaces),
	}
	if lists := min(prefixLists, (s.Groups+9)/10); lists > 0 {
		out[audit.OpDescribeManagedPrefixLists] = 1
		out[audit.OpGetManagedPrefixListEntries] = lists
	}
	return out
}

// Snapshot lists region into a Dump through cfg (as saved `aws ec2
// describe-*` output would hold it, plus the entries of every prefix list),
// so that an audit can be timed without the network.
func Snapshot(ctx context.Context, cfg aws.Config, region string) (*audit.Dump, error) {
	c := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = region })
	d := &audit.Dump{PrefixListEntries: map[string][]types.PrefixListEntry{}}
	page := aws.Int32(1000)
	var lists []string
	steps := []func() (int, error){
		func() (int, error) {
			return drain(ctx, ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{MaxResults: page}),
				func(o *ec2.DescribeSecurityGroupsOutput) {
					d.SecurityGroups = append(d.SecurityGroups, o.SecurityGroups...)
				})
		},
		func() (int, error) {
			return drain(ctx, ec2.NewDescribeSecurityGroupRulesPaginator(c, &ec2.DescribeSecurityGroupRulesInput{MaxResults: page}),
				func(o *ec2.DescribeSecurityGroupRulesOutput) {
					d.SecurityGroupRules = append(d.SecurityGroupRules, o.SecurityGroupRules...)
				})
		},
		func() (int, error) {
			return drain(ctx, ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: page}),
				func(o *ec2.DescribeNetworkInterfacesOutput) {
					d.NetworkInterfaces = append(d.NetworkInterfaces, o.NetworkInterfaces...)
				})
		},
		func() (int, error) {
			return drain(ctx, ec2.NewDescribeManagedPrefixListsPaginator(c, &ec2.DescribeManagedPrefixListsInput{MaxResults: aws.Int32(100)}),
				func(o *ec2.DescribeManagedPrefixListsOutput) {
					for _, l := range o.PrefixLists {
						lists = append(lists, aws.ToString(l.PrefixListId))
					}
				})
		},
	}
	for _, step := range steps {
		if _, err := step(); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	for _, id := range lists {
		_, err := drain(ctx, ec2.NewGetManagedPrefixListEntriesPaginator(c, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id), MaxResults: aws.Int32(100)}),
			func(o *ec2.GetManagedPrefixListEntriesOutput) {
				d.PrefixListEntries[id] = append(d.PrefixListEntries[id], o.Entries...)
			})
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", id, err)
		}
	}
	return d, nil
}
