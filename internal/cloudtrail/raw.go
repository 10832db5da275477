package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// The raw* types mirror the JSON that CloudTrail writes. They hold only the
// fields the decoder reads, so encoding/json skips everything else without
// allocating. Scalars that arrive in more than one JSON type (numbers as
// strings, protocols as names or numbers) use the json* types below, whose
// UnmarshalJSON never fails: they record a bad value and let the decoder
// report it with the field's path and the event ID, which a failing
// UnmarshalJSON would lose.

// rawTop is either an EventBridge envelope (detail set) or a bare CloudTrail
// record (the embedded rawRecord's fields at the top level).
type rawTop struct {
	ID         string     `json:"id"`
	DetailType *string    `json:"detail-type"`
	Source     *string    `json:"source"`
	Account    string     `json:"account"`
	Region     string     `json:"region"`
	Detail     *rawRecord `json:"detail"`
	rawRecord
}

type rawRecord struct {
	EventVersion       string       `json:"eventVersion"`
	UserIdentity       rawIdentity  `json:"userIdentity"`
	EventTime          jsonTime     `json:"eventTime"`
	EventSource        string       `json:"eventSource"`
	EventName          string       `json:"eventName"`
	AWSRegion          string       `json:"awsRegion"`
	SourceIPAddress    string       `json:"sourceIPAddress"`
	UserAgent          string       `json:"userAgent"`
	ErrorCode          string       `json:"errorCode"`
	ErrorMessage       string       `json:"errorMessage"`
	RequestParameters  *rawRequest  `json:"requestParameters"`
	ResponseElements   *rawResponse `json:"responseElements"`
	EventID            string       `json:"eventID"`
	RecipientAccountID string       `json:"recipientAccountId"`
}

type rawIdentity struct {
	Type           string `json:"type"`
	PrincipalID    string `json:"principalId"`
	ARN            string `json:"arn"`
	AccountID      string `json:"accountId"`
	UserName       string `json:"userName"`
	InvokedBy      string `json:"invokedBy"`
	SessionContext *struct {
		SessionIssuer *struct {
			ARN      string `json:"arn"`
			UserName string `json:"userName"`
		} `json:"sessionIssuer"`
	} `json:"sessionContext"`
}

// items is CloudTrail's XML-style list: {"items": [...]}, with {} for empty.
type items[T any] struct {
	Items []T `json:"items"`
}

// rawRequest is the union of the requestParameters of every supported event.
type rawRequest struct {
	// Authorize*/Revoke*
	GroupID       string               `json:"groupId"`
	GroupName     string               `json:"groupName"`
	IPPermissions items[rawPermission] `json:"ipPermissions"`
	// The legacy flat form.
	CIDRIP                     string    `json:"cidrIp"`
	IPProtocol                 jsonProto `json:"ipProtocol"`
	FromPort                   jsonInt   `json:"fromPort"`
	ToPort                     jsonInt   `json:"toPort"`
	SourceSecurityGroupName    string    `json:"sourceSecurityGroupName"`
	SourceSecurityGroupOwnerID string    `json:"sourceSecurityGroupOwnerId"`
	// Revoke* by rule ID.
	SecurityGroupRuleIDs *items[idItem] `json:"securityGroupRuleIds"`
	// Tags given at creation (Authorize*, CreateSecurityGroup).
	TagSpecificationSet *items[rawTagSpec] `json:"tagSpecificationSet"`

	// CreateSecurityGroup
	VPCID string `json:"vpcId"`

	// Wrapped PascalCase requests.
	ModifySecurityGroupRules *rawModifyRulesRequest `json:"ModifySecurityGroupRulesRequest"`
	ModifyManagedPrefixList  *rawPrefixListRequest  `json:"ModifyManagedPrefixListRequest"`
	CreateManagedPrefixList  *rawPrefixListRequest  `json:"CreateManagedPrefixListRequest"`
	RestorePrefixListVersion *rawPrefixListRequest  `json:"RestoreManagedPrefixListVersionRequest"`
	// RestoreManagedPrefixListVersion, if recorded flat.
	PrefixListID    string  `json:"prefixListId"`
	PreviousVersion jsonInt `json:"previousVersion"`
	CurrentVersion  jsonInt `json:"currentVersion"`
	// ModifyInstanceAttribute (with groupSet, or another attribute).
	InstanceID          string                   `json:"instanceId"`
	ResourcesSet        *items[rawResourceItem]  `json:"resourcesSet"`
	TagSet              *items[rawTag]           `json:"tagSet"`
	GroupSet            *items[rawGroupRef]      `json:"groupSet"`
	SecurityGroupIDSet  *items[idItem]           `json:"securityGroupIdSet"`
	NetworkInterfaceSet *items[rawInterfaceSpec] `json:"networkInterfaceSet"`
	NetworkInterfaceID  string                   `json:"networkInterfaceId"`
}

type rawPermission struct {
	IPProtocol    jsonProto               `json:"ipProtocol"`
	FromPort      jsonInt                 `json:"fromPort"`
	ToPort        jsonInt                 `json:"toPort"`
	IPRanges      items[rawIPRange]       `json:"ipRanges"`
	IPv6Ranges    items[rawIPv6Range]     `json:"ipv6Ranges"`
	PrefixListIDs items[rawPrefixListRef] `json:"prefixListIds"`
	Groups        items[rawUserGroupPair] `json:"groups"`
}

type rawIPRange struct {
	CIDRIP      string `json:"cidrIp"`
	Description string `json:"description"`
}

type rawIPv6Range struct {
	CIDRIPv6    string `json:"cidrIpv6"`
	Description string `json:"description"`
}

type rawPrefixListRef struct {
	PrefixListID string `json:"prefixListId"`
	Description  string `json:"description"`
}

type rawUserGroupPair struct {
	GroupID     string `json:"groupId"`
	GroupName   string `json:"groupName"`
	UserID      string `json:"userId"`
	Description string `json:"description"`
}

type rawTagSpec struct {
	ResourceType string            `json:"resourceType"`
	Tags         oneOrMany[rawTag] `json:"tags"`
}

type rawTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type rawResourceItem struct {
	ResourceID string `json:"resourceId"`
}

type rawGroupRef struct {
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName"`
}

type rawInterfaceSpec struct {
	NetworkInterfaceID string              `json:"networkInterfaceId"`
	GroupSet           *items[rawGroupRef] `json:"groupSet"`
}

type rawModifyRulesRequest struct {
	GroupID           string                       `json:"GroupId"`
	SecurityGroupRule oneOrMany[rawModifyRuleItem] `json:"SecurityGroupRule"`
}

type rawModifyRuleItem struct {
	SecurityGroupRuleID string          `json:"SecurityGroupRuleId"`
	SecurityGroupRule   *rawRuleSpec    `json:"SecurityGroupRule"`
	Tag                 json.RawMessage `json:"tag"`
}

type rawRuleSpec struct {
	CIDRIPv4          string    `json:"CidrIpv4"`
	CIDRIPv6          string    `json:"CidrIpv6"`
	PrefixListID      string    `json:"PrefixListId"`
	ReferencedGroupID string    `json:"ReferencedGroupId"`
	IPProtocol        jsonProto `json:"IpProtocol"`
	FromPort          jsonInt   `json:"FromPort"`
	ToPort            jsonInt   `json:"ToPort"`
	Description       string    `json:"Description"`
}

type rawPrefixListRequest struct {
	PrefixListID   string  `json:"PrefixListId"`
	PrefixListName string  `json:"PrefixListName"`
	AddressFamily  string  `json:"AddressFamily"`
	CurrentVersion jsonInt `json:"CurrentVersion"`
	// PreviousVersion is the version RestoreManagedPrefixListVersion
	// restores.
	PreviousVersion jsonInt                   `json:"PreviousVersion"`
	AddEntry        oneOrMany[rawPrefixEntry] `json:"AddEntry"`
	RemoveEntry     oneOrMany[rawPrefixEntry] `json:"RemoveEntry"`
	Entry           oneOrMany[rawPrefixEntry] `json:"Entry"`
}

type rawPrefixEntry struct {
	CIDR        string `json:"cidr"`
	Description string `json:"Description"`
}

// rawResponse is the union of the responseElements of every supported event.
type rawResponse struct {
	SecurityGroupRuleSet        *items[rawResponseRule] `json:"securityGroupRuleSet"`
	RevokedSecurityGroupRuleSet *items[rawResponseRule] `json:"revokedSecurityGroupRuleSet"`
	// CreateSecurityGroup
	GroupID string `json:"groupId"`
	// Create/ModifyManagedPrefixList, bare or wrapped.
	PrefixList                      *rawPrefixList `json:"prefixList"`
	CreateManagedPrefixListResponse *struct {
		PrefixList *rawPrefixList `json:"prefixList"`
	} `json:"CreateManagedPrefixListResponse"`
	ModifyManagedPrefixListResponse *struct {
		PrefixList *rawPrefixList `json:"prefixList"`
	} `json:"ModifyManagedPrefixListResponse"`
	RestoreManagedPrefixListVersionResponse *struct {
		PrefixList *rawPrefixList `json:"prefixList"`
	} `json:"RestoreManagedPrefixListVersionResponse"`
	// RunInstances
	InstancesSet *items[rawInstance] `json:"instancesSet"`
	// CreateNetworkInterface
	NetworkInterface *rawInterface `json:"networkInterface"`
}

type rawResponseRule struct {
	GroupOwnerID        string    `json:"groupOwnerId"`
	GroupID             string    `json:"groupId"`
	SecurityGroupRuleID string    `json:"securityGroupRuleId"`
	IsEgress            jsonBool  `json:"isEgress"`
	IPProtocol          jsonProto `json:"ipProtocol"`
	FromPort            jsonInt   `json:"fromPort"`
	ToPort              jsonInt   `json:"toPort"`
	CIDRIPv4            string    `json:"cidrIpv4"`
	CIDRIPv6            string    `json:"cidrIpv6"`
	PrefixListID        string    `json:"prefixListId"`
	ReferencedGroupInfo *struct {
		GroupID string `json:"groupId"`
		UserID  string `json:"userId"`
	} `json:"referencedGroupInfo"`
	Description string         `json:"description"`
	TagSet      *items[rawTag] `json:"tagSet"`
}

type rawPrefixList struct {
	PrefixListID   string  `json:"prefixListId"`
	PrefixListName string  `json:"prefixListName"`
	AddressFamily  string  `json:"addressFamily"`
	Version        jsonInt `json:"version"`
}

type rawInstance struct {
	InstanceID          string               `json:"instanceId"`
	GroupSet            *items[rawGroupRef]  `json:"groupSet"`
	NetworkInterfaceSet *items[rawInterface] `json:"networkInterfaceSet"`
}

type rawInterface struct {
	NetworkInterfaceID string              `json:"networkInterfaceId"`
	GroupSet           *items[rawGroupRef] `json:"groupSet"`
}

// jsonInt is an integer given as a JSON number or a string of digits.
type jsonInt struct {
	V   int64
	Set bool // present and not null or ""
	Bad bool // present but not an integer
}

func (n *jsonInt) UnmarshalJSON(b []byte) error {
	*n = jsonInt{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] == '"' {
		b = b[1 : len(b)-1]
		if len(b) == 0 {
			return nil
		}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		n.Bad = true
		return nil
	}
	n.V, n.Set = v, true
	return nil
}

// jsonBool is a boolean given as a JSON boolean or a string.
type jsonBool struct {
	V   bool
	Bad bool
}

func (v *jsonBool) UnmarshalJSON(b []byte) error {
	*v = jsonBool{}
	switch string(b) {
	case "true", `"true"`:
		v.V = true
	case "false", `"false"`, "null", `""`:
	default:
		v.Bad = true
	}
	return nil
}

// jsonProto is an IP protocol given as a name ("tcp", "all"), a number or a
// string of digits ("-1", "6").
type jsonProto struct {
	V   policy.Protocol
	Set bool
	Bad bool
}

func (p *jsonProto) UnmarshalJSON(b []byte) error {
	*p = jsonProto{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] == '"' {
		b = b[1 : len(b)-1]
		if len(b) == 0 {
			return nil
		}
	}
	v, ok := parseProtocol(b)
	if !ok {
		p.Bad = true
		return nil
	}
	p.V, p.Set = v, true
	return nil
}

// jsonTime is a CloudTrail timestamp: RFC 3339 or "2006-01-02 15:04:05.000000000" (UTC).
type jsonTime struct {
	V   time.Time
	Set bool
	Bad bool
}

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	*t = jsonTime{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] != '"' {
		t.Bad = true
		return nil
	}
	b = b[1 : len(b)-1]
	if len(b) == 0 {
		return nil
	}
	v, ok := parseTime(b)
	if !ok {
		t.Bad = true
		return nil
	}
	t.V, t.Set = v, true
	return nil
}

// idItem is a list element that is either a plain string or an object with
// one of the ID keys CloudTrail uses.
type idItem struct {
	ID  string
	Bad bool
}

func (it *idItem) UnmarshalJSON(b []byte) error {
	*it = idItem{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	if b[0] == '"' {
		if err := json.Unmarshal(b, &it.ID); err != nil {
			it.Bad = true
		}
		return nil
	}
	var o struct {
		SecurityGroupRuleID string `json:"securityGroupRuleId"`
		SecurityGroupID     string `json:"securityGroupId"`
		GroupID             string `json:"groupId"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		it.Bad = true
		return nil
	}
	switch {
	case o.SecurityGroupRuleID != "":
		it.ID = o.SecurityGroupRuleID
	case o.SecurityGroupID != "":
		it.ID = o.SecurityGroupID
	default:
		it.ID = o.GroupID
	}
	return nil
}

// oneOrMany is a value that the wrapped PascalCase requests give either as
// one object or as a list of them.
type oneOrMany[T any] struct {
	Items []T
	Err   error
}

var errNotObjectOrList = errors.New("want an object or a list of objects")

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	*o = oneOrMany[T]{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case 'n':
		return nil
	case '[':
		o.Err = json.Unmarshal(b, &o.Items)
	case '{':
		o.Items = make([]T, 1)
		o.Err = json.Unmarshal(b, &o.Items[0])
	default:
		o.Err = errNotObjectOrList
	}
	return nil
}
