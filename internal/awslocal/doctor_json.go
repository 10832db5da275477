package awslocal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// jsonProtocol serves awsJson 1.0 and 1.1 (EventBridge, CloudTrail, SQS):
// POST / with X-Amz-Target "Prefix.Operation" and a JSON body; errors are
// {"__type": ..., "message": ...}.
type jsonProtocol struct {
	target  string // X-Amz-Target prefix, e.g. "AWSEvents"
	version string // "1.0" or "1.1"
	// shapes maps the error codes callers see to the error shape names of
	// an awsQueryCompatible service (SQS): the shape goes in __type and
	// the code in X-Amzn-Query-Error, as the service sends them.
	shapes map[string]string
	ops    map[string]func(c *call) (any, *APIError)
}

func (p jsonProtocol) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	prefix, op, ok := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	if !ok || prefix != p.target {
		return "", nil, clientErr("UnknownOperationException", "X-Amz-Target %q is not %s.<Operation>", r.Header.Get("X-Amz-Target"), p.target)
	}
	if _, ok := p.ops[op]; !ok {
		return op, nil, clientErr("UnknownOperationException", "Operation %s is not emulated", op)
	}
	// Top-level scalars are recorded as the call's parameters.
	params := url.Values{}
	var top map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &top); err != nil {
			return op, nil, clientErr("SerializationException", "Start of structure or map found where not expected: %v", err)
		}
	}
	for k, v := range top {
		switch v.(type) {
		case string, bool, float64:
			params.Set(k, fmt.Sprint(v))
		}
	}
	return op, params, nil
}

func (p jsonProtocol) serve(c *call) ([]byte, *APIError) {
	out, aerr := p.ops[c.op](c)
	if aerr != nil {
		return nil, aerr
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
	}
	return b, nil
}

func (p jsonProtocol) contentType() string { return "application/x-amz-json-" + p.version }

func (p jsonProtocol) writeError(w http.ResponseWriter, c *call, e *APIError) {
	typ := e.Code
	if shape, ok := p.shapes[e.Code]; ok {
		typ = shape
		fault := "Sender"
		if e.Status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault)
	}
	writeJSONError(w, c, p.contentType(), e.Status, map[string]string{"__type": typ, "message": e.Message})
}

func writeJSONError(w http.ResponseWriter, c *call, contentType string, status int, body any) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", c.requestID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonService is a service speaking jsonProtocol, with its own codes for
// injected faults.
type jsonService struct {
	jsonProtocol
	s            *Server
	throttleCode string // e.g. ThrottlingException
	denyCode     string // e.g. AccessDeniedException
	iamPrefix    string // the service prefix of IAM actions, e.g. "events"
}

func (j jsonService) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusBadRequest, Code: j.throttleCode, Message: "Rate exceeded"}
	case FaultDeny:
		return &APIError{Status: http.StatusBadRequest, Code: j.denyCode,
			Message: "User: " + j.s.callerARN + " is not authorized to perform: " + j.iamPrefix + ":" + op}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "We encountered an internal error. Please try again."}
	}
}

// decodeInput unmarshals the call's JSON body into in.
func decodeInput(c *call, in any) *APIError {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, in); err != nil {
		return clientErr("SerializationException", "cannot read the %s request: %v", c.op, err)
	}
	return nil
}

// required returns the validation error of a missing member.
func required(code, member string) *APIError {
	return clientErr(code, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}
