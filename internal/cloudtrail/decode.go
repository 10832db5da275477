package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// eventKinds is the single table of supported events: SupportedEventNames
// and kindOf are both read from it.
var eventKinds = [...]struct {
	name string
	kind Kind
}{
	{"AuthorizeSecurityGroupIngress", KindRuleAdded},
	{"AuthorizeSecurityGroupEgress", KindRuleAdded},
	{"RevokeSecurityGroupIngress", KindRuleRevoked},
	{"RevokeSecurityGroupEgress", KindRuleRevoked},
	{"ModifySecurityGroupRules", KindRuleModified},
	{"CreateSecurityGroup", KindGroupCreated},
	{"CreateManagedPrefixList", KindPrefixListChange},
	{"ModifyManagedPrefixList", KindPrefixListChange},
	{"RestoreManagedPrefixListVersion", KindPrefixListChange},
	{"CreateTags", KindTagsChanged},
	{"DeleteTags", KindTagsChanged},
	{"RunInstances", KindGroupsAttached},
	{"CreateNetworkInterface", KindGroupsAttached},
	{"ModifyNetworkInterfaceAttribute", KindGroupsAttached},
	{"ModifyInstanceAttribute", KindGroupsAttached},
}

// SupportedEventNames lists every eventName the decoder handles, in a
// stable order. The EventBridge rule in infra/cdk is built from this list.
var SupportedEventNames = func() []string {
	names := make([]string, len(eventKinds))
	for i, e := range eventKinds {
		names[i] = e.name
	}
	return names
}()

// The envelope and record values the decoder accepts.
const (
	DetailType  = "AWS API Call via CloudTrail"
	Source      = "aws.ec2"
	EventSource = "ec2.amazonaws.com"
)

// kindOf maps a supported eventName to its Kind; ok is false for any other name.
func kindOf(name string) (Kind, bool) {
	for i := range eventKinds {
		if eventKinds[i].name == name {
			return eventKinds[i].kind, true
		}
	}
	return "", false
}

// Decode turns an EventBridge "AWS API Call via CloudTrail" event (or a bare
// CloudTrail record) into an Event. Errors are *DecodeError wrapping
// ErrMalformed or ErrUnsupported.
//
// A failed call (errorCode present) still decodes: Event.Failed reports it,
// ErrorCode has no "Client." or "Server." prefix, and whatever part of the
// request could not be read is left out instead of failing the decode.
func Decode(data []byte) (*Event, error) {
	var top rawTop
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(data, &top); err != nil && !errors.As(err, &typeErr) {
		return nil, &DecodeError{Field: "json", Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	d := decoder{rec: &top.rawRecord, account: top.Account, region: top.Region}
	envelope := top.Detail != nil || top.DetailType != nil || top.Source != nil
	if envelope {
		d.prefix = "detail."
		if top.Detail == nil {
			return nil, &DecodeError{EventID: top.ID, Field: "detail", Err: fmt.Errorf("%w: missing", ErrMalformed)}
		}
		d.rec = top.Detail
	}
	rec := d.rec
	ev := &Event{ID: rec.EventID}
	d.ev = ev
	if typeErr != nil && (rec.ErrorCode == "" || !inPayload(typeErr.Field)) {
		field := typeErr.Field
		if field == "" {
			field = "json"
		}
		return nil, d.partial(&DecodeError{EventID: ev.ID, Field: field, Err: fmt.Errorf("%w: %s is not %s", ErrMalformed, typeErr.Value, typeErr.Type)})
	}
	if envelope {
		if top.DetailType == nil || *top.DetailType != DetailType {
			return nil, &DecodeError{EventID: ev.ID, Field: "detail-type", Err: fmt.Errorf("%w: want %q", ErrUnsupported, DetailType)}
		}
		if top.Source == nil || *top.Source != Source {
			return nil, &DecodeError{EventID: ev.ID, Field: "source", Err: fmt.Errorf("%w: want %q", ErrUnsupported, Source)}
		}
		ev.EnvelopeID = top.ID
	}
	if ev.ID == "" {
		return nil, d.fail("eventID", ErrMalformed, "missing")
	}
	if rec.EventSource != EventSource {
		if rec.EventSource == "" {
			return nil, d.fail("eventSource", ErrMalformed, "missing")
		}
		return nil, d.fail("eventSource", ErrUnsupported, "want "+EventSource)
	}
	if rec.EventName == "" {
		return nil, d.fail("eventName", ErrMalformed, "missing")
	}
	kind, ok := kindOf(rec.EventName)
	if !ok {
		return nil, d.fail("eventName", ErrUnsupported, strconv.Quote(rec.EventName))
	}
	if rec.EventTime.Bad || !rec.EventTime.Set {
		return nil, d.fail("eventTime", ErrMalformed, "missing or not an RFC 3339 time")
	}

	ev.Name = rec.EventName
	ev.Kind = kind
	ev.Version = rec.EventVersion
	ev.Time = rec.EventTime.V
	ev.Account = firstNonEmpty(rec.RecipientAccountID, top.Account, rec.UserIdentity.AccountID)
	ev.Region = firstNonEmpty(rec.AWSRegion, top.Region)
	ev.ErrorCode = trimErrorPrefix(rec.ErrorCode)
	if ev.ErrorCode == "" && rec.ErrorCode != "" {
		ev.ErrorCode = rec.ErrorCode
	}
	ev.ErrorMessage = rec.ErrorMessage
	ui := &rec.UserIdentity
	ev.Actor = Actor{
		Type:        ui.Type,
		ARN:         ui.ARN,
		PrincipalID: ui.PrincipalID,
		AccountID:   ui.AccountID,
		UserName:    ui.UserName,
		SourceIP:    rec.SourceIPAddress,
		UserAgent:   rec.UserAgent,
		InvokedBy:   ui.InvokedBy,
	}
	if sc := ui.SessionContext; sc != nil && sc.SessionIssuer != nil {
		ev.Actor.IssuerARN = sc.SessionIssuer.ARN
		if ev.Actor.UserName == "" {
			ev.Actor.UserName = sc.SessionIssuer.UserName
		}
	}

	var err error
	switch kind {
	case KindRuleAdded, KindRuleRevoked:
		err = d.ruleChange(strings.HasSuffix(ev.Name, "Egress"))
	case KindRuleModified:
		err = d.modifyRules()
	case KindGroupCreated:
		err = d.groupCreated()
	case KindPrefixListChange:
		err = d.prefixList()
	case KindTagsChanged:
		err = d.tags()
	case KindGroupsAttached:
		err = d.attachment()
	}
	if err != nil && !ev.Failed() {
		if v := rec.EventVersion; v != "" && !KnownVersion(v) {
			// Say why the shape may have changed.
			var de *DecodeError
			if errors.As(err, &de) {
				de.Err = fmt.Errorf("%w (eventVersion %q is not 1.x)", de.Err, v)
			}
		}
		return nil, err
	}
	return ev, nil
}

// KnownVersion reports whether v is a CloudTrail record version the decoder
// was written for (1.x). An event of another version is still decoded where
// its shape parses: ignoring a supported event would fail open.
func KnownVersion(v string) bool { return strings.HasPrefix(v, "1.") }

// inPayload reports whether a JSON path lies in the request or response.
func inPayload(field string) bool {
	field = strings.TrimPrefix(field, "detail.")
	return strings.HasPrefix(field, "requestParameters") || strings.HasPrefix(field, "responseElements")
}

func trimErrorPrefix(code string) string {
	code = strings.TrimPrefix(code, "Client.")
	return strings.TrimPrefix(code, "Server.")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decoder carries what error reports need while one event is decoded.
type decoder struct {
	rec    *rawRecord
	ev     *Event
	prefix string // "detail." inside an EventBridge envelope
	// account and region of the EventBridge envelope.
	account, region string
}

func (d *decoder) fail(field string, sentinel error, msg string) error {
	return d.partial(&DecodeError{EventID: d.ev.ID, Field: d.prefix + field, Err: fmt.Errorf("%w: %s", sentinel, msg)})
}

// partial fills e with what could be read of the record, so that a FAILED
// alert can name the event and its group.
func (d *decoder) partial(e *DecodeError) *DecodeError {
	rec := d.rec
	e.EventName = rec.EventName
	e.Account = firstNonEmpty(rec.RecipientAccountID, d.account, rec.UserIdentity.AccountID)
	e.Region = firstNonEmpty(rec.AWSRegion, d.region)
	e.GroupID = d.ev.GroupID
	if e.GroupID == "" && rec.RequestParameters != nil {
		req := rec.RequestParameters
		e.GroupID = req.GroupID
		if m := req.ModifySecurityGroupRules; e.GroupID == "" && m != nil {
			e.GroupID = m.GroupID
		}
	}
	return e
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// ruleChange decodes Authorize* and Revoke*.
func (d *decoder) ruleChange(egress bool) error {
	ev, req, resp := d.ev, d.rec.RequestParameters, d.rec.ResponseElements
	if req == nil {
		if resp == nil || resp.SecurityGroupRuleSet == nil || len(resp.SecurityGroupRuleSet.Items) == 0 {
			return d.fail("requestParameters", ErrMalformed, "missing")
		}
		// The response lists the rules as created: judge those.
		req = &rawRequest{}
	}
	dir := policy.Ingress
	if egress {
		dir = policy.Egress
	}
	ev.GroupID, ev.GroupName = req.GroupID, req.GroupName

	var respRules []rawResponseRule
	respPath := "responseElements.securityGroupRuleSet.items"
	if resp != nil {
		if resp.SecurityGroupRuleSet != nil {
			respRules = resp.SecurityGroupRuleSet.Items
		}
		if ev.Kind == KindRuleRevoked && resp.RevokedSecurityGroupRuleSet != nil && len(resp.RevokedSecurityGroupRuleSet.Items) > 0 {
			respRules = resp.RevokedSecurityGroupRuleSet.Items
			respPath = "responseElements.revokedSecurityGroupRuleSet.items"
		}
	}

	if len(respRules) > 0 {
		// The response lists the rules as created, with their IDs: it is the truth.
		// Rules are appended only once complete: a failed call keeps the
		// ones that decoded.
		ev.Rules = make([]policy.Rule, 0, len(respRules))
		for i := range respRules {
			var r policy.Rule
			if err := d.responseRule(&r, &respRules[i], idx(respPath, i)); err != nil {
				return err
			}
			ev.Rules = append(ev.Rules, r)
			if ev.GroupID == "" {
				ev.GroupID = r.GroupID
			}
		}
	} else {
		n := 0
		for i := range req.IPPermissions.Items {
			p := &req.IPPermissions.Items[i]
			n += len(p.IPRanges.Items) + len(p.IPv6Ranges.Items) + len(p.PrefixListIDs.Items) + len(p.Groups.Items)
		}
		legacy := req.CIDRIP != "" || req.SourceSecurityGroupName != "" || req.IPProtocol.Set || req.IPProtocol.Bad
		if legacy {
			n++
		}
		if req.SecurityGroupRuleIDs != nil {
			n += len(req.SecurityGroupRuleIDs.Items)
		}
		if n == 0 {
			return d.fail("requestParameters.ipPermissions", ErrMalformed, "no rule in the request")
		}
		ev.Rules = make([]policy.Rule, 0, n)
		for i := range req.IPPermissions.Items {
			if err := d.permission(&req.IPPermissions.Items[i], dir, idx("requestParameters.ipPermissions.items", i)); err != nil {
				return err
			}
		}
		if legacy {
			if err := d.legacyRule(req, dir); err != nil {
				return err
			}
		}
		if req.SecurityGroupRuleIDs != nil {
			for i, it := range req.SecurityGroupRuleIDs.Items {
				if it.Bad || !strings.HasPrefix(it.ID, "sgr-") {
					return d.fail(idx("requestParameters.securityGroupRuleIds.items", i), ErrMalformed, "not a security group rule ID")
				}
				ev.Rules = append(ev.Rules, policy.Rule{RuleID: it.ID, Direction: dir})
			}
		}
	}
	if ev.GroupID == "" {
		ev.GroupUnresolved = true
	}
	var ruleTags map[string]string
	if req.TagSpecificationSet != nil {
		ruleTags = tagSpecTags(req.TagSpecificationSet.Items, "security-group-rule")
	}
	for i := range ev.Rules {
		r := &ev.Rules[i]
		if r.GroupID == "" {
			r.GroupID = ev.GroupID
		}
		if r.GroupName == "" {
			r.GroupName = ev.GroupName
		}
		if r.GroupOwner == "" {
			r.GroupOwner = ev.Account
		}
		if r.RuleTags == nil && ruleTags != nil {
			r.RuleTags = ruleTags
		}
	}
	return nil
}

// tagSpecTags merges the tags of the specifications for resourceType; nil
// when there are none.
func tagSpecTags(specs []rawTagSpec, resourceType string) map[string]string {
	var m map[string]string
	for _, s := range specs {
		if s.ResourceType != resourceType || s.Tags.Err != nil {
			continue
		}
		for _, t := range s.Tags.Items {
			if m == nil {
				m = make(map[string]string, len(s.Tags.Items))
			}
			m[t.Key] = t.Value
		}
	}
	return m
}

func (d *decoder) responseRule(r *policy.Rule, rr *rawResponseRule, path string) error {
	if rr.IsEgress.Bad {
		return d.fail(path+".isEgress", ErrMalformed, "not a boolean")
	}
	dir := policy.Ingress
	if rr.IsEgress.V {
		dir = policy.Egress
	}
	head, err := d.ruleHead(dir, rr.IPProtocol, rr.FromPort, rr.ToPort, path, false)
	if err != nil {
		return err
	}
	*r = head
	r.GroupID = rr.GroupID
	r.GroupOwner = rr.GroupOwnerID
	r.RuleID = rr.SecurityGroupRuleID
	r.Description = rr.Description
	switch {
	case rr.CIDRIPv4 != "":
		p, ok := parseCIDR(rr.CIDRIPv4, policy.PeerIPv4)
		if !ok {
			return d.fail(path+".cidrIpv4", ErrMalformed, "not an IPv4 CIDR")
		}
		r.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: p}
	case rr.CIDRIPv6 != "":
		p, ok := parseCIDR(rr.CIDRIPv6, policy.PeerIPv6)
		if !ok {
			return d.fail(path+".cidrIpv6", ErrMalformed, "not an IPv6 CIDR")
		}
		r.Peer = policy.Peer{Kind: policy.PeerIPv6, CIDR: p}
	case rr.PrefixListID != "":
		r.Peer = policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: rr.PrefixListID}
	case rr.ReferencedGroupInfo != nil && rr.ReferencedGroupInfo.GroupID != "":
		r.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: rr.ReferencedGroupInfo.GroupID, GroupOwner: rr.ReferencedGroupInfo.UserID}
	default:
		return d.fail(path, ErrMalformed, "no cidrIpv4, cidrIpv6, prefixListId or referencedGroupInfo")
	}
	if rr.TagSet != nil && len(rr.TagSet.Items) > 0 {
		r.RuleTags = make(map[string]string, len(rr.TagSet.Items))
		for _, t := range rr.TagSet.Items {
			r.RuleTags[t.Key] = t.Value
		}
	}
	return nil
}

// ruleHead checks a permission's protocol and ports and returns a rule with
// them set. pascal says the keys are PascalCase (wrapped requests).
func (d *decoder) ruleHead(dir policy.Direction, proto jsonProto, fromPort, toPort jsonInt, path string, pascal bool) (policy.Rule, error) {
	if proto.Bad || !proto.Set {
		return policy.Rule{}, d.fail(path+key(".ipProtocol", pascal), ErrMalformed, "missing or not a protocol")
	}
	from, to, msg, isTo := normPorts(proto.V, fromPort, toPort)
	if msg != "" {
		k := ".fromPort"
		if isTo {
			k = ".toPort"
		}
		return policy.Rule{}, d.fail(path+key(k, pascal), ErrMalformed, msg)
	}
	return policy.Rule{Direction: dir, Protocol: proto.V, FromPort: from, ToPort: to}, nil
}

// key returns a ".camelCase" JSON key, in PascalCase when asked.
func key(k string, pascal bool) string {
	if !pascal {
		return k
	}
	return "." + strings.ToUpper(k[1:2]) + k[2:]
}

// permission appends one rule per peer of an ipPermissions item.
func (d *decoder) permission(p *rawPermission, dir policy.Direction, path string) error {
	head, err := d.ruleHead(dir, p.IPProtocol, p.FromPort, p.ToPort, path, false)
	if err != nil {
		return err
	}
	ev := d.ev
	for i, r := range p.IPRanges.Items {
		c, ok := parseCIDR(r.CIDRIP, policy.PeerIPv4)
		if !ok {
			return d.fail(idx(path+".ipRanges.items", i)+".cidrIp", ErrMalformed, "not an IPv4 CIDR")
		}
		rule := head
		rule.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: c}
		rule.Description = r.Description
		ev.Rules = append(ev.Rules, rule)
	}
	for i, r := range p.IPv6Ranges.Items {
		c, ok := parseCIDR(r.CIDRIPv6, policy.PeerIPv6)
		if !ok {
			return d.fail(idx(path+".ipv6Ranges.items", i)+".cidrIpv6", ErrMalformed, "not an IPv6 CIDR")
		}
		rule := head
		rule.Peer = policy.Peer{Kind: policy.PeerIPv6, CIDR: c}
		rule.Description = r.Description
		ev.Rules = append(ev.Rules, rule)
	}
	for i, r := range p.PrefixListIDs.Items {
		if !strings.HasPrefix(r.PrefixListID, "pl-") {
			return d.fail(idx(path+".prefixListIds.items", i)+".prefixListId", ErrMalformed, "not a prefix list ID")
		}
		rule := head
		rule.Peer = policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: r.PrefixListID}
		rule.Description = r.Description
		ev.Rules = append(ev.Rules, rule)
	}
	for i, r := range p.Groups.Items {
		if r.GroupID == "" && r.GroupName == "" {
			return d.fail(idx(path+".groups.items", i)+".groupId", ErrMalformed, "missing")
		}
		rule := head
		// A peer named only by groupName (default VPC) keeps an empty GroupID.
		rule.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: r.GroupID, GroupOwner: r.UserID}
		rule.Description = r.Description
		ev.Rules = append(ev.Rules, rule)
	}
	return nil
}

// legacyRule appends the rule of the flat form: cidrIp/ipProtocol/fromPort/toPort
// (or sourceSecurityGroupName) at the top of requestParameters.
func (d *decoder) legacyRule(req *rawRequest, dir policy.Direction) error {
	proto := req.IPProtocol
	if !proto.Set && !proto.Bad && req.CIDRIP == "" {
		// sourceSecurityGroupName alone grants every protocol.
		proto = jsonProto{V: policy.ProtoAll, Set: true}
	}
	rule, err := d.ruleHead(dir, proto, req.FromPort, req.ToPort, "requestParameters", false)
	if err != nil {
		return err
	}
	switch {
	case req.CIDRIP != "":
		c, ok := parseCIDR(req.CIDRIP, policy.PeerIPv4)
		if !ok {
			return d.fail("requestParameters.cidrIp", ErrMalformed, "not an IPv4 CIDR")
		}
		rule.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: c}
	case req.SourceSecurityGroupName != "":
		rule.Peer = policy.Peer{Kind: policy.PeerGroup, GroupOwner: req.SourceSecurityGroupOwnerID}
	default:
		return d.fail("requestParameters.cidrIp", ErrMalformed, "missing")
	}
	d.ev.Rules = append(d.ev.Rules, rule)
	return nil
}

// modifyRules decodes ModifySecurityGroupRules: the wrapped PascalCase request.
func (d *decoder) modifyRules() error {
	ev, req := d.ev, d.rec.RequestParameters
	const base = "requestParameters.ModifySecurityGroupRulesRequest"
	if req == nil || req.ModifySecurityGroupRules == nil {
		return d.fail(base, ErrMalformed, "missing")
	}
	m := req.ModifySecurityGroupRules
	ev.GroupID = m.GroupID
	ev.GroupUnresolved = m.GroupID == ""
	ev.DirectionUnknown = true
	if m.SecurityGroupRule.Err != nil {
		return d.fail(base+".SecurityGroupRule", ErrMalformed, m.SecurityGroupRule.Err.Error())
	}
	if len(m.SecurityGroupRule.Items) == 0 {
		return d.fail(base+".SecurityGroupRule", ErrMalformed, "missing")
	}
	ev.Rules = make([]policy.Rule, 0, len(m.SecurityGroupRule.Items))
	for i := range m.SecurityGroupRule.Items {
		it := &m.SecurityGroupRule.Items[i]
		path := base + ".SecurityGroupRule"
		if len(m.SecurityGroupRule.Items) > 1 {
			path = idx(path, i)
		}
		if !strings.HasPrefix(it.SecurityGroupRuleID, "sgr-") {
			return d.fail(path+".SecurityGroupRuleId", ErrMalformed, "missing or not a rule ID")
		}
		s := it.SecurityGroupRule
		if s == nil {
			return d.fail(path+".SecurityGroupRule", ErrMalformed, "missing")
		}
		path += ".SecurityGroupRule"
		rule, err := d.ruleHead(policy.Ingress, s.IPProtocol, s.FromPort, s.ToPort, path, true)
		if err != nil {
			return err
		}
		switch {
		case s.CIDRIPv4 != "":
			c, ok := parseCIDR(s.CIDRIPv4, policy.PeerIPv4)
			if !ok {
				return d.fail(path+".CidrIpv4", ErrMalformed, "not an IPv4 CIDR")
			}
			rule.Peer = policy.Peer{Kind: policy.PeerIPv4, CIDR: c}
		case s.CIDRIPv6 != "":
			c, ok := parseCIDR(s.CIDRIPv6, policy.PeerIPv6)
			if !ok {
				return d.fail(path+".CidrIpv6", ErrMalformed, "not an IPv6 CIDR")
			}
			rule.Peer = policy.Peer{Kind: policy.PeerIPv6, CIDR: c}
		case s.PrefixListID != "":
			rule.Peer = policy.Peer{Kind: policy.PeerPrefixList, PrefixListID: s.PrefixListID}
		case s.ReferencedGroupID != "":
			rule.Peer = policy.Peer{Kind: policy.PeerGroup, GroupID: s.ReferencedGroupID}
		default:
			return d.fail(path, ErrMalformed, "no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId")
		}
		rule.RuleID = it.SecurityGroupRuleID
		rule.GroupID = m.GroupID
		rule.GroupOwner = ev.Account
		rule.Description = s.Description
		ev.Rules = append(ev.Rules, rule)
	}
	return nil
}

func (d *decoder) groupCreated() error {
	ev, req, resp := d.ev, d.rec.RequestParameters, d.rec.ResponseElements
	if req == nil {
		return d.fail("requestParameters", ErrMalformed, "missing")
	}
	ev.GroupName = req.GroupName
	ev.VPCID = req.VPCID
	if resp != nil {
		ev.GroupID = resp.GroupID
	}
	ev.GroupUnresolved = ev.GroupID == ""
	if req.TagSpecificationSet != nil {
		if tags := tagSpecTags(req.TagSpecificationSet.Items, "security-group"); tags != nil {
			ev.Tags = &TagChange{Tags: tags}
			if ev.GroupID != "" {
				ev.Tags.ResourceIDs = []string{ev.GroupID}
			}
		}
	}
	return nil
}

// prefixList decodes Create/ModifyManagedPrefixList.
func (d *decoder) prefixList() error {
	ev, req, resp := d.ev, d.rec.RequestParameters, d.rec.ResponseElements
	create := ev.Name == "CreateManagedPrefixList"
	restore := ev.Name == "RestoreManagedPrefixListVersion"
	base := "requestParameters.ModifyManagedPrefixListRequest"
	var r *rawPrefixListRequest
	if req != nil {
		switch {
		case create:
			r = req.CreateManagedPrefixList
			base = "requestParameters.CreateManagedPrefixListRequest"
		case restore:
			r = req.RestorePrefixListVersion
			base = "requestParameters.RestoreManagedPrefixListVersionRequest"
			if r == nil && req.PrefixListID != "" {
				r = &rawPrefixListRequest{PrefixListID: req.PrefixListID, CurrentVersion: req.CurrentVersion, PreviousVersion: req.PreviousVersion}
				base = "requestParameters"
			}
		default:
			r = req.ModifyManagedPrefixList
		}
	}
	if r == nil {
		return d.fail(base, ErrMalformed, "missing")
	}
	pl := &PrefixListChange{ID: r.PrefixListID, Name: r.PrefixListName, AddressFamily: r.AddressFamily}
	ev.PrefixList = pl
	if r.CurrentVersion.Bad {
		return d.fail(base+".CurrentVersion", ErrMalformed, "not an integer")
	}
	pl.CurrentVersion = r.CurrentVersion.V
	if r.PreviousVersion.Bad {
		return d.fail(base+".PreviousVersion", ErrMalformed, "not an integer")
	}
	pl.RestoredVersion = r.PreviousVersion.V
	var rp *rawPrefixList
	if resp != nil {
		switch {
		case resp.PrefixList != nil:
			rp = resp.PrefixList
		case resp.CreateManagedPrefixListResponse != nil:
			rp = resp.CreateManagedPrefixListResponse.PrefixList
		case resp.ModifyManagedPrefixListResponse != nil:
			rp = resp.ModifyManagedPrefixListResponse.PrefixList
		case resp.RestoreManagedPrefixListVersionResponse != nil:
			rp = resp.RestoreManagedPrefixListVersionResponse.PrefixList
		}
	}
	if rp != nil {
		if pl.ID == "" {
			pl.ID = rp.PrefixListID
		}
		if pl.Name == "" {
			pl.Name = rp.PrefixListName
		}
		if pl.AddressFamily == "" {
			pl.AddressFamily = rp.AddressFamily
		}
	}
	var err error
	switch {
	case create:
		pl.Added, err = d.entries(r.Entry, base+".Entry")
	case restore:
		if pl.ID == "" {
			return d.fail(base+".PrefixListId", ErrMalformed, "missing")
		}
	default:
		if pl.ID == "" {
			return d.fail(base+".PrefixListId", ErrMalformed, "missing")
		}
		if pl.Added, err = d.entries(r.AddEntry, base+".AddEntry"); err == nil {
			pl.Removed, err = d.entries(r.RemoveEntry, base+".RemoveEntry")
		}
	}
	return err
}

func (d *decoder) entries(list oneOrMany[rawPrefixEntry], path string) ([]PrefixListEntry, error) {
	if list.Err != nil {
		return nil, d.fail(path, ErrMalformed, list.Err.Error())
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	out := make([]PrefixListEntry, len(list.Items))
	for i, e := range list.Items {
		p := path
		if len(list.Items) > 1 {
			p = idx(path, i)
		}
		c, ok := parseCIDRAny(e.CIDR)
		if !ok {
			return nil, d.fail(p+".cidr", ErrMalformed, "not a CIDR")
		}
		cidr := e.CIDR
		if c.String() != cidr {
			cidr = c.String()
		}
		out[i] = PrefixListEntry{CIDR: cidr, Description: e.Description}
	}
	return out, nil
}

func (d *decoder) tags() error {
	ev, req := d.ev, d.rec.RequestParameters
	ev.Tags = &TagChange{Deleted: ev.Name == "DeleteTags"}
	if req == nil {
		return d.fail("requestParameters", ErrMalformed, "missing")
	}
	if req.ResourcesSet != nil {
		for _, it := range req.ResourcesSet.Items {
			if strings.HasPrefix(it.ResourceID, "sg-") || strings.HasPrefix(it.ResourceID, "sgr-") {
				ev.Tags.ResourceIDs = append(ev.Tags.ResourceIDs, it.ResourceID)
			}
		}
	}
	if req.TagSet != nil && len(req.TagSet.Items) > 0 {
		ev.Tags.Tags = make(map[string]string, len(req.TagSet.Items))
		for _, t := range req.TagSet.Items {
			ev.Tags.Tags[t.Key] = t.Value
		}
	}
	return nil
}

// attachment decodes RunInstances, CreateNetworkInterface,
// ModifyNetworkInterfaceAttribute and ModifyInstanceAttribute.
func (d *decoder) attachment() error {
	ev, req, resp := d.ev, d.rec.RequestParameters, d.rec.ResponseElements
	a := &Attachment{}
	ev.Attachment = a
	if req == nil {
		return d.fail("requestParameters", ErrMalformed, "missing")
	}
	addGroups := func(set *items[rawGroupRef]) {
		if set == nil {
			return
		}
		for _, g := range set.Items {
			a.GroupIDs = appendUnique(a.GroupIDs, g.GroupID)
		}
	}
	addGroups(req.GroupSet)
	if req.SecurityGroupIDSet != nil {
		for i, it := range req.SecurityGroupIDSet.Items {
			if it.Bad {
				return d.fail(idx("requestParameters.securityGroupIdSet.items", i), ErrMalformed, "not a group ID")
			}
			a.GroupIDs = appendUnique(a.GroupIDs, it.ID)
		}
	}
	if req.NetworkInterfaceSet != nil {
		for _, n := range req.NetworkInterfaceSet.Items {
			addGroups(n.GroupSet)
			a.NetworkInterfaceIDs = appendUnique(a.NetworkInterfaceIDs, n.NetworkInterfaceID)
		}
	}
	a.NetworkInterfaceIDs = appendUnique(a.NetworkInterfaceIDs, req.NetworkInterfaceID)
	named := len(a.GroupIDs) > 0
	if d.ev.Name == "ModifyInstanceAttribute" && named {
		a.InstanceIDs = appendUnique(a.InstanceIDs, req.InstanceID)
	}
	if !named && (d.ev.Name == "ModifyNetworkInterfaceAttribute" || d.ev.Name == "ModifyInstanceAttribute") {
		// Another attribute (description, sourceDestCheck...) changed:
		// no group was attached.
		*a = Attachment{}
		return nil
	}
	if resp != nil {
		if resp.InstancesSet != nil {
			for _, in := range resp.InstancesSet.Items {
				a.InstanceIDs = appendUnique(a.InstanceIDs, in.InstanceID)
				if !named {
					addGroups(in.GroupSet)
				}
				if in.NetworkInterfaceSet != nil {
					for _, n := range in.NetworkInterfaceSet.Items {
						a.NetworkInterfaceIDs = appendUnique(a.NetworkInterfaceIDs, n.NetworkInterfaceID)
						if !named {
							addGroups(n.GroupSet)
						}
					}
				}
			}
		}
		if n := resp.NetworkInterface; n != nil {
			a.NetworkInterfaceIDs = appendUnique(a.NetworkInterfaceIDs, n.NetworkInterfaceID)
			if !named {
				addGroups(n.GroupSet)
			}
		}
	}
	return nil
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// DecodeError says which event and field could not be decoded, with what
// could be read of the event (any of them may be empty).
type DecodeError struct {
	EventID string
	Field   string
	Err     error

	EventName, Account, Region, GroupID string
}

func (e *DecodeError) Error() string {
	if e.EventID == "" {
		return "decode event: " + e.Field + ": " + e.Err.Error()
	}
	return "decode event " + e.EventID + ": " + e.Field + ": " + e.Err.Error()
}
func (e *DecodeError) Unwrap() error { return e.Err }

// Sentinels for errors.Is.
var (
	ErrMalformed   = errors.New("malformed event")
	ErrUnsupported = errors.New("unsupported event")
)
