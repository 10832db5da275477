package awslocal

import (
	"net/http"
	"net/url"
)

// queryProtocol holds what SNS and STS share: awsquery requests (form
// POST with Action and Version) and <XResponse><XResult> responses.
type queryProtocol struct {
	version string
	xmlns   string
	ops     map[string]func(c *call, f form, x *xmlWriter) *APIError
}

func (q queryProtocol) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, clientErr("MalformedQueryString", "The query string is malformed: %v", err)
	}
	for k, v := range r.URL.Query() {
		params[k] = append(params[k], v...)
	}
	op := params.Get("Action")
	if op == "" {
		return "", params, clientErr("MissingAction", "Missing Action")
	}
	if _, ok := q.ops[op]; !ok {
		return op, params, clientErr("InvalidAction", "Could not find operation %s for version %s", op, q.version)
	}
	return op, params, nil
}

func (q queryProtocol) serve(c *call) ([]byte, *APIError) {
	x := &xmlWriter{}
	x.buf.WriteString(`<` + c.op + `Response xmlns="` + q.xmlns + `">`)
	x.open(c.op + "Result")
	if aerr := q.ops[c.op](c, form(c.params), x); aerr != nil {
		return nil, aerr
	}
	x.close(c.op + "Result")
	x.open("ResponseMetadata")
	x.elem("RequestId", c.requestID)
	x.close("ResponseMetadata")
	x.close(c.op + "Response")
	return x.bytes(), nil
}

func (q queryProtocol) writeError(w http.ResponseWriter, c *call, e *APIError) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	x := &xmlWriter{}
	x.buf.WriteString(`<ErrorResponse xmlns="` + q.xmlns + `">`)
	x.open("Error")
	x.elem("Type", kind)
	x.elem("Code", e.Code)
	x.elem("Message", e.Message)
	x.close("Error")
	x.elem("RequestId", c.requestID)
	x.close("ErrorResponse")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", c.requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(x.bytes())
}

// faultError returns the errors the query services share.
func (q queryProtocol) faultError(kind FaultKind, op, denyCode, callerARN, service string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
	case FaultDeny:
		return &APIError{Status: http.StatusForbidden, Code: denyCode,
			Message: "User: " + callerARN + " is not authorized to perform: " + service + ":" + op}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "We encountered an internal error. Please try again."}
	}
}
