package awslocal_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func (e *env) prefixList(t *testing.T, maxEntries int32, cidrs ...string) *types.ManagedPrefixList {
	t.Helper()
	ctx := context.Background()
	in := &ec2.CreateManagedPrefixListInput{PrefixListName: aws.String(unique("pl")), AddressFamily: aws.String("IPv4"), MaxEntries: aws.Int32(maxEntries)}
	for _, c := range cidrs {
		in.Entries = append(in.Entries, types.AddPrefixListEntry{Cidr: aws.String(c)})
	}
	out, err := e.ec2.CreateManagedPrefixList(ctx, in)
	if err != nil {
		t.Fatalf("CreateManagedPrefixList: %v", err)
	}
	id := out.PrefixList.PrefixListId
	t.Cleanup(func() { _, _ = e.ec2.DeleteManagedPrefixList(ctx, &ec2.DeleteManagedPrefixListInput{PrefixListId: id}) })
	return out.PrefixList
}

func (e *env) entries(t *testing.T, id string, version int64) []string {
	t.Helper()
	in := &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id), MaxResults: aws.Int32(100)}
	if version > 0 {
		in.TargetVersion = aws.Int64(version)
	}
	var cidrs []string
	drain(t, ec2.NewGetManagedPrefixListEntriesPaginator(e.ec2, in), func(out *ec2.GetManagedPrefixListEntriesOutput) {
		for _, en := range out.Entries {
			cidrs = append(cidrs, aws.ToString(en.Cidr))
		}
	})
	return cidrs
}

func TestModifyManagedPrefixListChecksCurrentVersion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pl := e.prefixList(t, 10, "10.0.0.0/8", "192.168.0.0/16")
	id := aws.ToString(pl.PrefixListId)
	if aws.ToInt64(pl.Version) != 1 {
		t.Fatalf("new prefix list version = %d, want 1", aws.ToInt64(pl.Version))
	}
	out, err := e.ec2.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{
		PrefixListId: aws.String(id), CurrentVersion: aws.Int64(1),
		AddEntries:    []types.AddPrefixListEntry{{Cidr: aws.String("0.0.0.0/0"), Description: aws.String("oops")}},
		RemoveEntries: []types.RemovePrefixListEntry{{Cidr: aws.String("192.168.0.0/16")}},
	})
	if err != nil {
		t.Fatalf("ModifyManagedPrefixList(v1): %v", err)
	}
	if v := aws.ToInt64(out.PrefixList.Version); v != 2 {
		t.Errorf("version after modify = %d, want 2", v)
	}
	// A writer that read version 1 loses.
	_, err = e.ec2.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{
		PrefixListId: aws.String(id), CurrentVersion: aws.Int64(1), RemoveEntries: []types.RemovePrefixListEntry{{Cidr: aws.String("0.0.0.0/0")}},
	})
	wantErr(t, "ModifyManagedPrefixList(stale version)", err, "PrefixListVersionMismatch", 400)
	if got := e.entries(t, id, 0); fmt.Sprint(got) != "[10.0.0.0/8 0.0.0.0/0]" {
		t.Errorf("current entries = %v, want [10.0.0.0/8 0.0.0.0/0]", got)
	}
	if got := e.entries(t, id, 1); fmt.Sprint(got) != "[10.0.0.0/8 192.168.0.0/16]" {
		t.Errorf("version 1 entries = %v, want [10.0.0.0/8 192.168.0.0/16]", got)
	}
	// Renaming keeps the version.
	renamed, err := e.ec2.ModifyManagedPrefixList(ctx, &ec2.ModifyManagedPrefixListInput{PrefixListId: aws.String(id), PrefixListName: aws.String(unique("renamed"))})
	if err != nil {
		t.Fatalf("ModifyManagedPrefixList(rename): %v", err)
	}
	if v := aws.ToInt64(renamed.PrefixList.Version); v != 2 {
		t.Errorf("version after rename = %d, want 2", v)
	}
	d, err := e.ec2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{PrefixListIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeManagedPrefixLists: %v", err)
	}
	if len(d.PrefixLists) != 1 || aws.ToInt64(d.PrefixLists[0].Version) != 2 || aws.ToInt32(d.PrefixLists[0].MaxEntries) != 10 {
		t.Errorf("DescribeManagedPrefixLists = %+v, want version 2, max 10", d.PrefixLists)
	}
	_, err = e.ec2.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String("pl-0000000000000dead")})
	wantErr(t, "GetManagedPrefixListEntries(missing)", err, "InvalidPrefixListID.NotFound", 400)
}

func TestGetManagedPrefixListEntriesPages(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var first []string
	for i := 0; i < 100; i++ {
		first = append(first, fmt.Sprintf("10.%d.0.0/16", i))
	}
	pl := e.prefixList(t, 1000, first...)
	id := aws.ToString(pl.PrefixListId)
	version := int64(1)
	for batch := 1; batch <= 2; batch++ {
		in := &ec2.ModifyManagedPrefixListInput{PrefixListId: aws.String(id), CurrentVersion: aws.Int64(version)}
		for i := 0; i < 75; i++ {
			in.AddEntries = append(in.AddEntries, types.AddPrefixListEntry{Cidr: aws.String(fmt.Sprintf("172.%d.%d.0/24", 15+batch, i))})
		}
		out, err := e.ec2.ModifyManagedPrefixList(ctx, in)
		if err != nil {
			t.Fatalf("ModifyManagedPrefixList(batch %d): %v", batch, err)
		}
		version = aws.ToInt64(out.PrefixList.Version)
	}
	p := ec2.NewGetManagedPrefixListEntriesPaginator(e.ec2, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id), MaxResults: aws.Int32(100)})
	seen := map[string]bool{}
	pages := drain(t, p, func(out *ec2.GetManagedPrefixListEntriesOutput) {
		for _, en := range out.Entries {
			seen[aws.ToString(en.Cidr)] = true
		}
	})
	if pages != 3 || len(seen) != 250 {
		t.Errorf("250 entries at MaxResults 100: %d pages, %d distinct entries; want 3 and 250", pages, len(seen))
	}
}

func TestRulesReferencingPrefixLists(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	vpc := e.vpc(t)
	web := e.group(t, vpc, "web")
	pl := e.prefixList(t, 5, "10.0.0.0/8")
	perm := func(id string) types.IpPermission {
		return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
			PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String(id)}}}
	}
	out, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{perm(aws.ToString(pl.PrefixListId))}})
	if err != nil {
		t.Fatalf("Authorize(prefix list): %v", err)
	}
	if got := aws.ToString(out.SecurityGroupRules[0].PrefixListId); got != aws.ToString(pl.PrefixListId) {
		t.Errorf("rule prefix list = %q, want %s", got, aws.ToString(pl.PrefixListId))
	}
	_, err = e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{perm("pl-0000000000000dead")}})
	wantErr(t, "Authorize(missing prefix list)", err, "InvalidPrefixListID.NotFound", 400)
	_, err = e.ec2.DeleteManagedPrefixList(ctx, &ec2.DeleteManagedPrefixListInput{PrefixListId: pl.PrefixListId})
	if err == nil {
		t.Errorf("DeleteManagedPrefixList(referenced) succeeded, want an error")
	}
	if _, err := e.ec2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web), SecurityGroupRuleIds: ruleIDs(out.SecurityGroupRules)}); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
}

func TestRestoreManagedPrefixListVersion(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pl := e.prefixList(t, 10, "10.0.0.0/8")
	id := aws.ToString(pl.PrefixListId)
	modify := func(v int64, add, remove string) {
		t.Helper()
		in := &ec2.ModifyManagedPrefixListInput{PrefixListId: aws.String(id), CurrentVersion: aws.Int64(v)}
		if add != "" {
			in.AddEntries = []types.AddPrefixListEntry{{Cidr: aws.String(add)}}
		}
		if remove != "" {
			in.RemoveEntries = []types.RemovePrefixListEntry{{Cidr: aws.String(remove)}}
		}
		if _, err := e.ec2.ModifyManagedPrefixList(ctx, in); err != nil {
			t.Fatalf("ModifyManagedPrefixList(v%d): %v", v, err)
		}
	}
	modify(1, "0.0.0.0/0", "") // v2 holds the world
	modify(2, "", "0.0.0.0/0") // v3 does not
	out, err := e.ec2.RestoreManagedPrefixListVersion(ctx, &ec2.RestoreManagedPrefixListVersionInput{
		PrefixListId: aws.String(id), PreviousVersion: aws.Int64(2), CurrentVersion: aws.Int64(3),
	})
	if err != nil {
		t.Fatalf("RestoreManagedPrefixListVersion: %v", err)
	}
	if v := aws.ToInt64(out.PrefixList.Version); v != 4 || aws.ToString(out.PrefixList.PrefixListId) != id {
		t.Errorf("restored list = %s version %d, want %s version 4", aws.ToString(out.PrefixList.PrefixListId), v, id)
	}
	if got := fmt.Sprint(e.entries(t, id, 0)); got != "[10.0.0.0/8 0.0.0.0/0]" {
		t.Errorf("entries after the restore = %s, want version 2's [10.0.0.0/8 0.0.0.0/0]", got)
	}
	_, err = e.ec2.RestoreManagedPrefixListVersion(ctx, &ec2.RestoreManagedPrefixListVersionInput{
		PrefixListId: aws.String(id), PreviousVersion: aws.Int64(1), CurrentVersion: aws.Int64(3),
	}, noRetry)
	wantErr(t, "RestoreManagedPrefixListVersion(stale current version)", err, "PrefixListVersionMismatch", 400)
	_, err = e.ec2.RestoreManagedPrefixListVersion(ctx, &ec2.RestoreManagedPrefixListVersionInput{
		PrefixListId: aws.String(id), PreviousVersion: aws.Int64(9), CurrentVersion: aws.Int64(4),
	}, noRetry)
	wantErr(t, "RestoreManagedPrefixListVersion(no such version)", err, "InvalidParameterValue", 400)
}
