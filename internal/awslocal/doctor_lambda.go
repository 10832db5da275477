package awslocal

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
)

// lambdaService emulates the Lambda reads doctor makes (restjson1):
// GetFunction, GetPolicy, GetFunctionEventInvokeConfig.
type lambdaService struct{ s *Server }

// lambdaRoutes maps "METHOD version/suffix" to operations; the function
// name sits between "functions/" and the suffix.
var lambdaRoutes = map[string]string{
	"GET 2015-03-31/":                    "GetFunction",
	"GET 2015-03-31/policy":              "GetPolicy",
	"GET 2019-09-25/event-invoke-config": "GetFunctionEventInvokeConfig",
}

func (l lambdaService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	// /2015-03-31/functions/NAME[/policy]; NAME may be an escaped ARN.
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if len(parts) < 3 || len(parts) > 4 || parts[1] != "functions" {
		return "", nil, lambdaUnknown(r)
	}
	suffix := ""
	if len(parts) == 4 {
		suffix = parts[3]
	}
	op, ok := lambdaRoutes[r.Method+" "+parts[0]+"/"+suffix]
	if !ok {
		return "", nil, lambdaUnknown(r)
	}
	name, err := url.PathUnescape(parts[2])
	if err != nil || name == "" {
		return op, nil, clientErr("InvalidParameterValueException", "The function name %q is not valid", parts[2])
	}
	params := url.Values{"FunctionName": {name}}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		params.Set("Qualifier", q)
	}
	return op, params, nil
}

func lambdaUnknown(r *http.Request) *APIError {
	return &APIError{Status: http.StatusNotFound, Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.Path}
}

func (l lambdaService) serve(c *call) ([]byte, *APIError) {
	d := l.s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	fn, aerr := l.functionOf(c)
	if aerr != nil {
		return nil, aerr
	}
	var out any
	switch c.op {
	case "GetFunction":
		out = l.getFunction(fn)
	case "GetPolicy":
		if len(fn.Permissions) == 0 {
			return nil, lambdaNotFound("The resource you requested does not exist.")
		}
		out = map[string]string{"Policy": fn.policyDocument(), "RevisionId": revisionID(fn)}
	case "GetFunctionEventInvokeConfig":
		if fn.OnFailure == "" {
			return nil, lambdaNotFound("The function %s has no event invoke config.", fn.arn+":$LATEST")
		}
		out = map[string]any{
			"FunctionArn":              fn.arn + ":$LATEST",
			"MaximumRetryAttempts":     2,
			"MaximumEventAgeInSeconds": 3600,
			"DestinationConfig":        map[string]any{"OnSuccess": map[string]string{}, "OnFailure": map[string]string{"Destination": fn.OnFailure}},
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &APIError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: err.Error()}
	}
	return b, nil
}

// functionOf resolves FunctionName (a name, an ARN, or a partial ARN) and
// Qualifier. The caller holds the delivery lock.
func (l lambdaService) functionOf(c *call) (*function, *APIError) {
	name := c.params.Get("FunctionName")
	qualifier := c.params.Get("Qualifier")
	region := c.region
	if strings.HasPrefix(name, "arn:") {
		p := strings.Split(name, ":")
		if len(p) < 7 || len(p) > 8 || p[2] != "lambda" || p[5] != "function" {
			return nil, clientErr("InvalidParameterValueException", "The function ARN %s is not valid", name)
		}
		if p[4] != l.s.account {
			return nil, lambdaNotFound("Function not found: %s", name)
		}
		region, name = p[3], p[6]
		if len(p) == 8 {
			if qualifier != "" && qualifier != p[7] {
				return nil, clientErr("InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.")
			}
			qualifier = p[7]
		}
	} else if n, q, ok := strings.Cut(name, ":"); ok {
		name = n
		if qualifier == "" {
			qualifier = q
		}
	}
	fn := l.s.delivery.region(region).functions[name]
	full := "arn:aws:lambda:" + region + ":" + l.s.account + ":function:" + name
	if qualifier != "" && qualifier != "$LATEST" {
		// Versions and aliases are not emulated: only $LATEST exists.
		fn = nil
		full += ":" + qualifier
	}
	if fn == nil {
		return nil, lambdaNotFound("Function not found: %s", full)
	}
	return fn, nil
}

func (l lambdaService) getFunction(fn *function) any {
	cfg := map[string]any{
		"FunctionName":     fn.Name,
		"FunctionArn":      fn.arn,
		"Runtime":          "provided.al2023",
		"Role":             fn.Role,
		"Handler":          "bootstrap",
		"CodeSize":         5 << 20,
		"Timeout":          30,
		"MemorySize":       128,
		"Version":          "$LATEST",
		"State":            fn.State,
		"LastUpdateStatus": "Successful",
		"PackageType":      "Zip",
		"Architectures":    []string{"arm64"},
		"RevisionId":       revisionID(fn),
	}
	if fn.StateReason != "" {
		cfg["StateReason"] = fn.StateReason
	}
	if len(fn.Environment) > 0 {
		cfg["Environment"] = map[string]any{"Variables": fn.Environment}
	}
	if fn.DeadLetterARN != "" {
		cfg["DeadLetterConfig"] = map[string]string{"TargetArn": fn.DeadLetterARN}
	}
	return map[string]any{
		"Configuration": cfg,
		"Code":          map[string]string{"RepositoryType": "S3", "Location": "https://awslocal.invalid/code/" + fn.Name},
	}
}

// revisionID is stable for a given function.
func revisionID(fn *function) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(fn.arn))
	x := fmt.Sprintf("%016x", h.Sum64())
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[1:4] + "-" + x[4:16]
}

func lambdaNotFound(format string, args ...any) *APIError {
	e := clientErr("ResourceNotFoundException", format, args...)
	e.Status = http.StatusNotFound
	return e
}

func (l lambdaService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSONError(w, c, "application/json", e.Status, map[string]string{"Type": kind, "Message": e.Message})
}

func (l lambdaService) contentType() string { return "application/json" }

func (l lambdaService) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded"}
	case FaultDeny:
		return &APIError{Status: http.StatusForbidden, Code: "AccessDeniedException",
			Message: "User: " + l.s.callerARN + " is not authorized to perform: lambda:" + op}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: "An error occurred and the request cannot be processed."}
	}
}
