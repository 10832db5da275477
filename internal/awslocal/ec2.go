package awslocal

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	ec2APIVersion = "2016-11-15"
	ec2XMLNS      = "http://ec2.amazonaws.com/doc/2016-11-15/"
)

// ec2Op serves one EC2 action. It runs with the server mutex held, must
// validate everything before changing state, and writes the elements that
// follow <requestId> in the response.
type ec2Op func(rs *regionState, c *call, f form, x *xmlWriter) *APIError

var ec2Ops map[string]ec2Op

func init() {
	ec2Ops = map[string]ec2Op{
		"CreateSecurityGroup":             ec2CreateSecurityGroup,
		"DescribeSecurityGroups":          ec2DescribeSecurityGroups,
		"DeleteSecurityGroup":             ec2DeleteSecurityGroup,
		"AuthorizeSecurityGroupIngress":   ec2AuthorizeIngress,
		"AuthorizeSecurityGroupEgress":    ec2AuthorizeEgress,
		"RevokeSecurityGroupIngress":      ec2RevokeIngress,
		"RevokeSecurityGroupEgress":       ec2RevokeEgress,
		"DescribeSecurityGroupRules":      ec2DescribeSecurityGroupRules,
		"ModifySecurityGroupRules":        ec2ModifySecurityGroupRules,
		"CreateTags":                      ec2CreateTags,
		"DeleteTags":                      ec2DeleteTags,
		"DescribeNetworkInterfaces":       ec2DescribeNetworkInterfaces,
		"DescribeVpcs":                    ec2DescribeVpcs,
		"CreateVpc":                       ec2CreateVpc,
		"DeleteVpc":                       ec2DeleteVpc,
		"CreateManagedPrefixList":         ec2CreateManagedPrefixList,
		"ModifyManagedPrefixList":         ec2ModifyManagedPrefixList,
		"GetManagedPrefixListEntries":     ec2GetManagedPrefixListEntries,
		"DescribeManagedPrefixLists":      ec2DescribeManagedPrefixLists,
		"DeleteManagedPrefixList":         ec2DeleteManagedPrefixList,
		"RestoreManagedPrefixListVersion": ec2RestoreManagedPrefixListVersion,
		"ModifyInstanceAttribute":         ec2ModifyInstanceAttribute,
	}
}

// ec2Service speaks ec2query: a form-encoded POST in, EC2 XML out.
type ec2Service struct{ s *Server }

func (ec2Service) contentType() string { return "text/xml;charset=UTF-8" }

func (ec2Service) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, clientErr("MalformedQueryString", "The query string is malformed: %v", err)
	}
	for k, v := range r.URL.Query() {
		params[k] = append(params[k], v...)
	}
	op := params.Get("Action")
	if op == "" {
		return "", params, clientErr("MissingAction", "The request must contain the parameter Action")
	}
	if _, ok := ec2Ops[op]; !ok {
		return op, params, clientErr("InvalidAction", "The action %s is not valid for this web service.", op)
	}
	return op, params, nil
}

func (e ec2Service) serve(c *call) ([]byte, *APIError) {
	f := form(c.params)
	if f.bool("DryRun") {
		return nil, &APIError{Status: http.StatusPreconditionFailed, Code: "DryRunOperation",
			Message: "Request would have succeeded, but DryRun flag is set."}
	}
	x := &xmlWriter{}
	x.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.buf.WriteString("<" + c.op + `Response xmlns="` + ec2XMLNS + `">`)
	x.elem("requestId", c.requestID)
	e.s.mu.Lock()
	aerr := ec2Ops[c.op](e.s.accountRegion(c.account, c.region), c, f, x)
	e.s.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	x.close(c.op + "Response")
	return x.bytes(), nil
}

func (ec2Service) writeError(w http.ResponseWriter, c *call, e *APIError) {
	x := &xmlWriter{}
	x.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("Response")
	x.open("Errors")
	x.open("Error")
	x.elem("Code", e.Code)
	x.elem("Message", e.Message)
	x.close("Error")
	x.close("Errors")
	x.elem("RequestID", c.requestID)
	x.close("Response")
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.Status)
	_, _ = w.Write(x.bytes())
}

func (e ec2Service) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusServiceUnavailable, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
	case FaultDeny:
		return &APIError{Status: http.StatusForbidden, Code: "UnauthorizedOperation",
			Message: "You are not authorized to perform this operation. User: " + e.s.callerARN +
				" is not authorized to perform: ec2:" + op + " because no identity-based policy allows the ec2:" + op + " action"}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "An internal error has occurred"}
	}
}

// tagSpecs returns the tags that TagSpecification.N gives resourceType.
func tagSpecs(f form, resourceType string) (map[string]string, *APIError) {
	var tags map[string]string
	for _, i := range f.indexes("TagSpecification") {
		p := sub("TagSpecification", i)
		rt := f.get(p + "ResourceType")
		if rt != resourceType {
			return nil, clientErr("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		t, aerr := tagList(f, p+"Tag")
		if aerr != nil {
			return nil, aerr
		}
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range t {
			tags[k] = v
		}
	}
	return tags, nil
}

// tagList reads Prefix.N.Key / Prefix.N.Value.
func tagList(f form, prefix string) (map[string]string, *APIError) {
	tags := map[string]string{}
	for _, i := range f.indexes(prefix) {
		p := sub(prefix, i)
		k := f.get(p + "Key")
		if k == "" {
			return nil, clientErr("InvalidParameterValue", "Tag keys must not be empty")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, clientErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
		tags[k] = f.get(p + "Value")
	}
	return tags, nil
}

// maxResults validates MaxResults against [lo, hi]; absent means the
// server's default page size (0 = everything, as AWS does).
func (c *call) maxResults(f form, lo, hi int32) (int, *APIError) {
	n, ok, aerr := f.int32("MaxResults")
	if aerr != nil {
		return 0, aerr
	}
	if !ok {
		return c.srv.pageSize, nil
	}
	if n < lo || n > hi {
		return 0, clientErr("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", n, lo, hi)
	}
	return int(n), nil
}
