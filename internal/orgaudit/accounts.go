package orgaudit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// OrganizationsAPI is the part of Organizations the list step reads;
// *organizations.Client satisfies it.
type OrganizationsAPI interface {
	organizations.ListAccountsAPIClient
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

// Account is one member account.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Item is one account and region to audit.
type Item struct {
	Account string `json:"account"`
	Region  string `json:"region"`
}

// ListAccounts returns the active member accounts of the organization, or
// of the given OUs and every OU below them, sorted by ID. Suspended or closed
// accounts are left out: their roles cannot be assumed. So is the management
// account: a service-managed StackSet never deploys there, so it has no
// read role, and auditing it would only ever report a denial.
func ListAccounts(ctx context.Context, org OrganizationsAPI, ous []string) ([]Account, error) {
	seen := map[string]bool{}
	var out []Account
	add := func(as []orgtypes.Account) {
		for _, a := range as {
			id := aws.ToString(a.Id)
			if seen[id] || !active(a) || isManagement(a) {
				continue
			}
			seen[id] = true
			out = append(out, Account{ID: id, Name: aws.ToString(a.Name)})
		}
	}
	if len(ous) == 0 {
		p := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the organization's accounts: %w", err)
			}
			add(page.Accounts)
		}
	} else {
		// Breadth first through the OUs, so nested OUs are covered too.
		queue := slices.Clone(ous)
		visited := map[string]bool{}
		for len(queue) > 0 {
			parent := queue[0]
			queue = queue[1:]
			if visited[parent] {
				continue
			}
			visited[parent] = true
			p := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list the accounts of %s: %w", parent, err)
				}
				add(page.Accounts)
			}
			q := organizations.NewListOrganizationalUnitsForParentPaginator(org, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
			for q.HasMorePages() {
				page, err := q.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list the OUs under %s: %w", parent, err)
				}
				for _, ou := range page.OrganizationalUnits {
					queue = append(queue, aws.ToString(ou.Id))
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// isManagement reports whether a is the organization's management account:
// an account ARN is arn:aws:organizations::<management>:account/o-.../<id>.
func isManagement(a orgtypes.Account) bool {
	parts := strings.SplitN(aws.ToString(a.Arn), ":", 6)
	return len(parts) == 6 && parts[4] != "" && parts[4] == aws.ToString(a.Id)
}

// active reads the account's State where present (it replaces Status),
// else Status.
func active(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// Plan returns one item per account and region, in account then region
// order.
func Plan(accounts []Account, regions []string) []Item {
	items := make([]Item, 0, len(accounts)*len(regions))
	for _, a := range accounts {
		for _, r := range regions {
			items = append(items, Item{Account: a.ID, Region: r})
		}
	}
	return items
}
