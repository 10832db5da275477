package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// Dump is a saved account listing: the JSON output of
// `aws ec2 describe-security-groups`, `describe-security-group-rules` and
// `describe-network-interfaces`, in one file or several.
type Dump struct {
	SecurityGroups     []types.SecurityGroup
	SecurityGroupRules []types.SecurityGroupRule
	NetworkInterfaces  []types.NetworkInterface
	// PrefixListEntries (an sgwarden extension) maps a prefix list ID to the
	// Entries that `aws ec2 get-managed-prefix-list-entries` prints.
	PrefixListEntries map[string][]types.PrefixListEntry

	// rulesDerived is true when the rules came from the groups' IpPermissions.
	rulesDerived bool
}

// dumpFile is one file's top-level keys.
type dumpFile struct {
	SecurityGroups     *[]types.SecurityGroup
	SecurityGroupRules *[]types.SecurityGroupRule
	NetworkInterfaces  *[]types.NetworkInterface
	PrefixListEntries  map[string][]types.PrefixListEntry
}

// ErrDump marks a dump that cannot be read.
var ErrDump = errors.New("bad dump")

// LoadDump reads and merges dump files (name is used in errors). When no file
// holds SecurityGroupRules, the rules are derived from the groups'
// IpPermissions, without rule IDs.
func LoadDump(files map[string]io.Reader) (*Dump, error) {
	d := &Dump{PrefixListEntries: map[string][]types.PrefixListEntry{}}
	var errs []error
	sawGroups, sawRules := false, false
	for name, r := range files {
		data, err := io.ReadAll(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: read %s: %w", ErrDump, name, err))
			continue
		}
		var f dumpFile
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&f); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrDump, name, err))
			continue
		}
		if f.SecurityGroups == nil && f.SecurityGroupRules == nil && f.NetworkInterfaces == nil && f.PrefixListEntries == nil {
			errs = append(errs, fmt.Errorf("%w: %s: no SecurityGroups, SecurityGroupRules or NetworkInterfaces key", ErrDump, name))
			continue
		}
		if f.SecurityGroups != nil {
			sawGroups = true
			d.SecurityGroups = append(d.SecurityGroups, *f.SecurityGroups...)
		}
		if f.SecurityGroupRules != nil {
			sawRules = true
			d.SecurityGroupRules = append(d.SecurityGroupRules, *f.SecurityGroupRules...)
		}
		if f.NetworkInterfaces != nil {
			d.NetworkInterfaces = append(d.NetworkInterfaces, *f.NetworkInterfaces...)
		}
		for id, es := range f.PrefixListEntries {
			d.PrefixListEntries[id] = append(d.PrefixListEntries[id], es...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !sawGroups && !sawRules {
		return nil, fmt.Errorf("%w: no SecurityGroups or SecurityGroupRules in any input", ErrDump)
	}
	if !sawRules {
		d.SecurityGroupRules = rulesFromGroups(d.SecurityGroups)
		d.rulesDerived = true
	}
	return d, nil
}

// RulesDerived reports whether the rules were derived from IpPermissions
// (no describe-security-group-rules output), so they carry no rule IDs.
func (d *Dump) RulesDerived() bool { return d.rulesDerived }

// rulesFromGroups expands IpPermissions into one rule per peer, as
// DescribeSecurityGroupRules would list them (without IDs or tags).
func rulesFromGroups(groups []types.SecurityGroup) []types.SecurityGroupRule {
	var out []types.SecurityGroupRule
	for gi := range groups {
		g := &groups[gi]
		add := func(perms []types.IpPermission, egress bool) {
			for _, p := range perms {
				base := types.SecurityGroupRule{
					GroupId: g.GroupId, GroupOwnerId: g.OwnerId, IsEgress: aws.Bool(egress),
					IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort,
				}
				for _, r := range p.IpRanges {
					x := base
					x.CidrIpv4, x.Description = r.CidrIp, r.Description
					out = append(out, x)
				}
				for _, r := range p.Ipv6Ranges {
					x := base
					x.CidrIpv6, x.Description = r.CidrIpv6, r.Description
					out = append(out, x)
				}
				for _, r := range p.PrefixListIds {
					x := base
					x.PrefixListId, x.Description = r.PrefixListId, r.Description
					out = append(out, x)
				}
				for _, r := range p.UserIdGroupPairs {
					x := base
					x.ReferencedGroupInfo = &types.ReferencedSecurityGroup{GroupId: r.GroupId, UserId: r.UserId}
					x.Description = r.Description
					out = append(out, x)
				}
			}
		}
		add(g.IpPermissions, false)
		add(g.IpPermissionsEgress, true)
	}
	return out
}

// DumpClient serves a Dump through the EC2 API the audit uses, with paging,
// so that an audit of a dump runs exactly the code of a live audit and makes
// no AWS call.
type DumpClient struct{ D *Dump }

var _ EC2API = DumpClient{}

// page returns the bounds of the page that token and max select in n items.
func page(token *string, max *int32, n int) (start, end int, next *string, err error) {
	if token != nil && *token != "" {
		start, err = strconv.Atoi(*token)
		if err != nil || start < 0 || start > n {
			return 0, 0, nil, &smithy.GenericAPIError{Code: "InvalidNextToken", Message: "bad token"}
		}
	}
	end = n
	if max != nil && *max > 0 && start+int(*max) < n {
		end = start + int(*max)
		next = aws.String(strconv.Itoa(end))
	}
	return start, end, next, nil
}

// DescribeSecurityGroups lists the dump's groups.
func (c DumpClient) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	s, e, next, err := page(in.NextToken, in.MaxResults, len(c.D.SecurityGroups))
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: c.D.SecurityGroups[s:e], NextToken: next}, nil
}

// DescribeSecurityGroupRules lists the dump's rules.
func (c DumpClient) DescribeSecurityGroupRules(_ context.Context, in *ec2.DescribeSecurityGroupRulesInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupRulesOutput, error) {
	s, e, next, err := page(in.NextToken, in.MaxResults, len(c.D.SecurityGroupRules))
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeSecurityGroupRulesOutput{SecurityGroupRules: c.D.SecurityGroupRules[s:e], NextToken: next}, nil
}

// DescribeNetworkInterfaces lists the dump's interfaces.
func (c DumpClient) DescribeNetworkInterfaces(_ context.Context, in *ec2.DescribeNetworkInterfacesInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	s, e, next, err := page(in.NextToken, in.MaxResults, len(c.D.NetworkInterfaces))
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: c.D.NetworkInterfaces[s:e], NextToken: next}, nil
}

// DescribeManagedPrefixLists lists the prefix lists the dump has entries for,
// among those asked.
func (c DumpClient) DescribeManagedPrefixLists(_ context.Context, in *ec2.DescribeManagedPrefixListsInput, _ ...func(*ec2.Options)) (*ec2.DescribeManagedPrefixListsOutput, error) {
	var out []types.ManagedPrefixList
	for _, id := range in.PrefixListIds {
		if _, ok := c.D.PrefixListEntries[id]; !ok {
			return nil, &smithy.GenericAPIError{Code: "InvalidPrefixListID.NotFound", Message: "The prefix list ID '" + id + "' does not exist in the dump"}
		}
		out = append(out, types.ManagedPrefixList{PrefixListId: aws.String(id)})
	}
	return &ec2.DescribeManagedPrefixListsOutput{PrefixLists: out}, nil
}

// GetManagedPrefixListEntries returns a list's entries from the dump.
func (c DumpClient) GetManagedPrefixListEntries(_ context.Context, in *ec2.GetManagedPrefixListEntriesInput, _ ...func(*ec2.Options)) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	es, ok := c.D.PrefixListEntries[aws.ToString(in.PrefixListId)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "InvalidPrefixListID.NotFound", Message: "not in the dump"}
	}
	s, e, next, err := page(in.NextToken, in.MaxResults, len(es))
	if err != nil {
		return nil, err
	}
	return &ec2.GetManagedPrefixListEntriesOutput{Entries: es[s:e], NextToken: next}, nil
}
