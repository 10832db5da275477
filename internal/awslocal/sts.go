package awslocal

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	stsAPIVersion = "2011-06-15"
	stsXMLNS      = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// stsService emulates STS GetCallerIdentity and AssumeRole (awsquery).
type stsService struct{ s *Server }

func (st stsService) proto() queryProtocol {
	return queryProtocol{version: stsAPIVersion, xmlns: stsXMLNS, ops: map[string]func(*call, form, *xmlWriter) *APIError{
		"GetCallerIdentity": st.getCallerIdentity,
		"AssumeRole":        st.assumeRole,
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
	st.s.mu.Lock()
	arn, account := st.s.callerOf(c.accessKey)
	st.s.mu.Unlock()
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
	x.elem("Account", account)
	x.elem("Arn", arn)
	return nil
}

// Session durations AssumeRole accepts: 15 minutes up to the role's
// maximum, which is one hour unless the role says otherwise.
const (
	minSessionSeconds = 900
	maxSessionSeconds = 3600
)

// assumeRole issues credentials acting in the role's account. Every role of
// every account of the organization is assumable unless DenyRole made it
// deny; an account outside the organization denies.
func (st stsService) assumeRole(c *call, f form, x *xmlWriter) *APIError {
	roleARN, name := f.get("RoleArn"), f.get("RoleSessionName")
	if roleARN == "" {
		return stsValidation("roleArn", "Member must not be null")
	}
	if !sessionRE.MatchString(name) {
		return stsValidation("roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	seconds := int64(maxSessionSeconds)
	if v := f.get("DurationSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < minSessionSeconds {
			return stsValidation("durationSeconds", "Member must have value greater than or equal to 900")
		}
		if n > maxSessionSeconds {
			return clientErr("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		seconds = n
	}
	account, ok := parseRoleARN(roleARN)
	if !ok {
		return clientErr("ValidationError", "%s is invalid", roleARN)
	}
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	caller, _ := s.callerOf(c.accessKey)
	if _, denied := s.org.denied[roleARN]; denied || s.org.accounts[account] == nil {
		return &APIError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN}
	}
	key, secret, token, sess := s.org.newSession(account, roleARN, name, time.Duration(seconds)*time.Second)
	x.open("AssumedRoleUser")
	x.elem("Arn", sess.arn)
	x.elem("AssumedRoleId", "AROA0000AWSLOCALROLE:"+name)
	x.close("AssumedRoleUser")
	x.open("Credentials")
	x.elem("AccessKeyId", key)
	x.elem("Expiration", sess.expires.Format(time.RFC3339))
	x.elem("SecretAccessKey", secret)
	x.elem("SessionToken", token)
	x.close("Credentials")
	x.int("PackedPolicySize", 0)
	return nil
}

// parseRoleARN returns the account of arn:aws:iam::<account>:role/<path/name>.
func parseRoleARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !accountRE.MatchString(parts[4]) {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "role/")
	if !ok || !roleNameRE.MatchString(name[strings.LastIndex(name, "/")+1:]) {
		return "", false
	}
	return parts[4], true
}

func stsValidation(member, constraint string) *APIError {
	return clientErr("ValidationError", "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", member, constraint)
}
