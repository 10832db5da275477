package awslocal

import (
	"net/http"
	"slices"
)

// orgService emulates the Organizations reads the organization audit
// makes (awsJson 1.1): DescribeOrganization, ListRoots, ListAccounts,
// ListAccountsForParent, ListOrganizationalUnitsForParent and ListChildren.
// Only the management account and delegated administrators may call it,
// as in AWS.
type orgService struct{ s *Server }

// orgMaxResults is the largest page Organizations' list operations return.
const orgMaxResults = 20

func (o orgService) service() jsonService {
	return jsonService{s: o.s, throttleCode: "TooManyRequestsException", denyCode: "AccessDeniedException", iamPrefix: "organizations",
		jsonProtocol: jsonProtocol{target: "AWSOrganizationsV20161128", version: "1.1", ops: map[string]func(*call) (any, *APIError){
			"DescribeOrganization":             o.describeOrganization,
			"ListRoots":                        o.listRoots,
			"ListAccounts":                     o.listAccounts,
			"ListAccountsForParent":            o.listAccountsForParent,
			"ListOrganizationalUnitsForParent": o.listOUsForParent,
			"ListChildren":                     o.listChildren,
		}}}
}

// DelegateAdministrator lets account read the organization, as
// RegisterDelegatedAdministrator does for a service in AWS.
func (s *Server) DelegateAdministrator(account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.org.accounts[account] == nil {
		return errNotMember(account)
	}
	s.org.admins = append(s.org.admins, account)
	return nil
}

// orgRead checks that the caller may read the organization and holds s.mu
// for the call; the caller must call the returned unlock.
func (o orgService) orgRead(c *call) (unlock func(), aerr *APIError) {
	s := o.s
	s.mu.Lock()
	if c.account != s.account && !slices.Contains(s.org.admins, c.account) {
		s.mu.Unlock()
		return nil, &APIError{Status: http.StatusBadRequest, Code: "AccessDeniedException",
			Message: "You don't have permissions to access this resource."}
	}
	return s.mu.Unlock, nil
}

type orgPageInput struct {
	ParentId   string
	ChildType  string
	NextToken  string
	MaxResults *int
}

func (o orgService) input(c *call) (*orgPageInput, *APIError) {
	var in orgPageInput
	if aerr := decodeInput(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > orgMaxResults) {
		return nil, clientErr("InvalidInputException", "You provided a value that does not match the required pattern: MaxResults must be between 1 and %d.", orgMaxResults)
	}
	return &in, nil
}

func (in *orgPageInput) max() int {
	if in.MaxResults == nil {
		return orgMaxResults
	}
	return *in.MaxResults
}

// checkParent returns the error for a parent that is neither the root nor
// an OU.
func (o orgService) checkParent(id string) *APIError {
	if id == "" {
		return required("InvalidInputException", "parentId")
	}
	if id != o.s.org.rootID && o.s.org.ous[id] == nil {
		return clientErr("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	return nil
}

func (o orgService) describeOrganization(c *call) (any, *APIError) {
	unlock, aerr := o.orgRead(c)
	if aerr != nil {
		return nil, aerr
	}
	defer unlock()
	org, mgmt := o.s.org, o.s.account
	return map[string]any{"Organization": map[string]any{
		"Id":                 org.id,
		"Arn":                "arn:aws:organizations::" + mgmt + ":organization/" + org.id,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   "arn:aws:organizations::" + mgmt + ":account/" + org.id + "/" + mgmt,
		"MasterAccountId":    mgmt,
		"MasterAccountEmail": org.accounts[mgmt].email,
	}}, nil
}

func (o orgService) listRoots(c *call) (any, *APIError) {
	unlock, aerr := o.orgRead(c)
	if aerr != nil {
		return nil, aerr
	}
	defer unlock()
	org := o.s.org
	return map[string]any{"Roots": []map[string]any{{
		"Id": org.rootID, "Name": "Root",
		"Arn": "arn:aws:organizations::" + o.s.account + ":root/" + org.id + "/" + org.rootID,
	}}}, nil
}

func (o orgService) listAccounts(c *call) (any, *APIError) {
	return o.accountsUnder(c, false)
}

func (o orgService) listAccountsForParent(c *call) (any, *APIError) {
	return o.accountsUnder(c, true)
}

func (o orgService) accountsUnder(c *call, byParent bool) (any, *APIError) {
	in, aerr := o.input(c)
	if aerr != nil {
		return nil, aerr
	}
	unlock, aerr := o.orgRead(c)
	if aerr != nil {
		return nil, aerr
	}
	defer unlock()
	if byParent {
		if aerr := o.checkParent(in.ParentId); aerr != nil {
			return nil, aerr
		}
	}
	org := o.s.org
	var accounts []*orgAccount
	for _, id := range org.order {
		if a := org.accounts[id]; !byParent || a.parent == in.ParentId {
			accounts = append(accounts, a)
		}
	}
	page, next, aerr := paginate(accounts, func(a *orgAccount) uint64 { return a.seq }, "account", in.NextToken, in.max())
	if aerr != nil {
		return nil, orgBadToken()
	}
	out := make([]map[string]any, 0, len(page))
	for _, a := range page {
		out = append(out, map[string]any{
			"Id": a.id, "Name": a.name, "Email": a.email,
			"Arn":    "arn:aws:organizations::" + o.s.account + ":account/" + org.id + "/" + a.id,
			"Status": "ACTIVE", "State": "ACTIVE", "JoinedMethod": "CREATED",
			"JoinedTimestamp": a.joined.Unix(),
		})
	}
	return pageOut("Accounts", out, next), nil
}

func (o orgService) listOUsForParent(c *call) (any, *APIError) {
	in, aerr := o.input(c)
	if aerr != nil {
		return nil, aerr
	}
	unlock, aerr := o.orgRead(c)
	if aerr != nil {
		return nil, aerr
	}
	defer unlock()
	if aerr := o.checkParent(in.ParentId); aerr != nil {
		return nil, aerr
	}
	page, next, aerr := paginate(o.childOUs(in.ParentId), func(u *orgUnit) uint64 { return u.seq }, "ou", in.NextToken, in.max())
	if aerr != nil {
		return nil, orgBadToken()
	}
	out := make([]map[string]any, 0, len(page))
	for _, u := range page {
		out = append(out, map[string]any{"Id": u.id, "Name": u.name,
			"Arn": "arn:aws:organizations::" + o.s.account + ":ou/" + o.s.org.id + "/" + u.id})
	}
	return pageOut("OrganizationalUnits", out, next), nil
}

func (o orgService) childOUs(parent string) []*orgUnit {
	var out []*orgUnit
	for _, id := range o.s.org.ouOrder {
		if u := o.s.org.ous[id]; u.parent == parent {
			out = append(out, u)
		}
	}
	return out
}

func (o orgService) listChildren(c *call) (any, *APIError) {
	in, aerr := o.input(c)
	if aerr != nil {
		return nil, aerr
	}
	unlock, aerr := o.orgRead(c)
	if aerr != nil {
		return nil, aerr
	}
	defer unlock()
	if aerr := o.checkParent(in.ParentId); aerr != nil {
		return nil, aerr
	}
	type child struct {
		id  string
		seq uint64
	}
	var kids []child
	switch in.ChildType {
	case "ACCOUNT":
		for _, id := range o.s.org.order {
			if a := o.s.org.accounts[id]; a.parent == in.ParentId {
				kids = append(kids, child{a.id, a.seq})
			}
		}
	case "ORGANIZATIONAL_UNIT":
		for _, u := range o.childOUs(in.ParentId) {
			kids = append(kids, child{u.id, u.seq})
		}
	default:
		return nil, clientErr("InvalidInputException", "You provided a value that does not match the required pattern: ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.")
	}
	page, next, aerr := paginate(kids, func(k child) uint64 { return k.seq }, "child", in.NextToken, in.max())
	if aerr != nil {
		return nil, orgBadToken()
	}
	out := make([]map[string]any, 0, len(page))
	for _, k := range page {
		out = append(out, map[string]any{"Id": k.id, "Type": in.ChildType})
	}
	return pageOut("Children", out, next), nil
}

func pageOut(key string, items []map[string]any, next string) map[string]any {
	out := map[string]any{key: items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

func orgBadToken() *APIError {
	return clientErr("InvalidInputException", "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.")
}
