package awslocal

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	iamAPIVersion = "2010-05-08"
	iamXMLNS      = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// iamService emulates IAM SimulatePrincipalPolicy for roles (awsquery).
// IAM is global: roles are shared by every region.
type iamService struct{ s *Server }

func (im iamService) proto() queryProtocol {
	return queryProtocol{version: iamAPIVersion, xmlns: iamXMLNS, ops: map[string]func(*call, form, *xmlWriter) *APIError{
		"SimulatePrincipalPolicy": im.simulatePrincipalPolicy,
	}}
}

func (im iamService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	return im.proto().decode(r, body)
}
func (im iamService) serve(c *call) ([]byte, *APIError) { return im.proto().serve(c) }
func (im iamService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	im.proto().writeError(w, c, e)
}
func (im iamService) contentType() string { return "text/xml" }
func (im iamService) faultError(kind FaultKind, op string) *APIError {
	return im.proto().faultError(kind, op, "AccessDenied", im.s.callerARN, "iam")
}

func (im iamService) simulatePrincipalPolicy(c *call, f form, x *xmlWriter) *APIError {
	source := f.get("PolicySourceArn")
	actions := f.list("ActionNames.member")
	if source == "" {
		return clientErr("InvalidInput", "The PolicySourceArn parameter is required.")
	}
	if len(actions) == 0 {
		return clientErr("InvalidInput", "The ActionNames parameter must contain at least one action.")
	}
	p := strings.SplitN(source, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "iam" {
		return clientErr("InvalidInput", "ARN %s is not valid.", source)
	}
	kind, path, _ := strings.Cut(p[5], "/")
	name := path[strings.LastIndex(path, "/")+1:]
	d := im.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	role := d.roles["arn:aws:iam::"+im.s.account+":role/"+name]
	if kind != "role" || p[4] != im.s.account || role == nil {
		return &APIError{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The " + kind + " with name " + name + " cannot be found."}
	}
	resource := "*"
	if rs := f.list("ResourceArns.member"); len(rs) > 0 {
		resource = rs[0]
	}
	x.elem("IsTruncated", "false")
	x.open("EvaluationResults")
	for _, a := range actions {
		x.open("member")
		x.elem("EvalActionName", a)
		x.elem("EvalResourceName", resource)
		x.elem("EvalDecision", role.decision(a))
		x.close("member")
	}
	x.close("EvaluationResults")
	return nil
}

// decision evaluates an action against the role's patterns: an explicit
// deny wins, then an allow, else the implicit deny.
func (r *RoleSpec) decision(action string) string {
	matches := func(patterns []string) bool {
		for _, p := range patterns {
			if globMatch(strings.ToLower(p), strings.ToLower(action)) {
				return true
			}
		}
		return false
	}
	switch {
	case matches(r.Deny):
		return "explicitDeny"
	case matches(r.Allow):
		return "allowed"
	}
	return "implicitDeny"
}
