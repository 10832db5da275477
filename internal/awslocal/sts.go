package awslocal

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	stsAPIVersion = "2011-06-15"
	stsXMLNS      = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// stsService emulates STS GetCallerIdentity (awsquery).
type stsService struct{ s *Server }

func (st stsService) proto() queryProtocol {
	return queryProtocol{version: stsAPIVersion, xmlns: stsXMLNS, ops: map[string]func(*call, form, *xmlWriter) *APIError{
		"GetCallerIdentity": st.getCallerIdentity,
	}}
}

func (st stsService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	return st.proto().decode(r, body)
}

func (st stsService) serve(c *call) ([]byte, *APIError) { return st.proto().serve(c) }

func (st stsService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	st.proto().writeError(w, c, e)
}

func (st stsService) contentType() string { return "text/xml" }

func (st stsService) faultError(kind FaultKind, op string) *APIError {
	return st.proto().faultError(kind, op, "AccessDenied", st.s.callerARN, "sts")
}

func (st stsService) getCallerIdentity(c *call, f form, x *xmlWriter) *APIError {
	arn := st.s.callerARN
	userID := "AIDA0000AWSLOCALUSER"
	if i := strings.Index(arn, ":assumed-role/"); i >= 0 {
		parts := strings.Split(arn[i+len(":assumed-role/"):], "/")
		session := "awslocal"
		if len(parts) > 1 {
			session = parts[1]
		}
		userID = "AROA0000AWSLOCALROLE:" + session
	}
	x.elem("UserId", userID)
	x.elem("Account", st.s.account)
	x.elem("Arn", arn)
	return nil
}
