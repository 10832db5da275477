package awslocal

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cloudWatchService emulates CloudWatch GetMetricStatistics. The SDK's
// CloudWatch client speaks Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/NAME, CBOR bodies) with
// AWS query-compatible error codes.
type cloudWatchService struct{ s *Server }

const (
	cloudWatchServicePath = "/service/GraniteServiceVersion20100801/operation/"
	cloudWatchNS          = "com.amazonaws.cloudwatch#"
	// cloudWatchMaxDatapoints is the most datapoints one call may ask for.
	cloudWatchMaxDatapoints = 1440
)

// cloudWatchShapes maps the query error codes callers see to the error
// shapes CloudWatch names in __type.
var cloudWatchShapes = map[string]string{
	"InvalidParameterValue":       "InvalidParameterValueException",
	"MissingParameter":            "MissingRequiredParameterException",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"InternalServiceError":        "InternalServiceFault",
}

var cloudWatchOps = []string{"GetMetricStatistics"}

func (cw cloudWatchService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	op, ok := strings.CutPrefix(r.URL.Path, cloudWatchServicePath)
	if !ok || r.Method != http.MethodPost || !slices.Contains(cloudWatchOps, op) {
		return op, nil, clientErr("UnknownOperationException", "%s %s is not an emulated CloudWatch operation", r.Method, r.URL.Path)
	}
	top, aerr := cborObject(body)
	if aerr != nil {
		return op, nil, aerr
	}
	params := url.Values{}
	for k, v := range top {
		if s, ok := v.(string); ok {
			params.Set(k, s)
		}
	}
	return op, params, nil
}

// cborObject decodes a CBOR map into JSON-like Go values: timestamps
// (tag 1) become epoch seconds.
func cborObject(body []byte) (map[string]any, *APIError) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, clientErr("SerializationException", "cannot decode the CBOR body: %v", err)
	}
	m, ok := fromCBOR(v).(map[string]any)
	if !ok {
		return nil, clientErr("SerializationException", "the CBOR body is not a map")
	}
	return m, nil
}

func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = fromCBOR(x)
		}
		return m
	case cbor.List:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = fromCBOR(x)
		}
		return l
	case cbor.String:
		return string(v)
	case cbor.Uint:
		return float64(v)
	case cbor.NegInt:
		return -1 - float64(v)
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.Bool:
		return bool(v)
	case *cbor.Tag:
		return fromCBOR(v.Value)
	}
	return nil
}

func (cw cloudWatchService) serve(c *call) ([]byte, *APIError) {
	top, aerr := cborObject(c.body)
	if aerr != nil {
		return nil, aerr
	}
	var in struct {
		Namespace  string
		MetricName string
		Dimensions []struct{ Name, Value string }
		StartTime  *float64
		EndTime    *float64
		Period     int64
		Statistics []string
	}
	raw, _ := json.Marshal(top)
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, clientErr("SerializationException", "cannot read the GetMetricStatistics request: %v", err)
	}
	for name, missing := range map[string]bool{"Namespace": in.Namespace == "", "MetricName": in.MetricName == "",
		"StartTime": in.StartTime == nil, "EndTime": in.EndTime == nil, "Period": in.Period == 0} {
		if missing {
			return nil, clientErr("MissingParameter", "The parameter %s is required.", name)
		}
	}
	if len(in.Statistics) == 0 {
		return nil, clientErr("InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics, but not both.")
	}
	for _, st := range in.Statistics {
		if !slices.Contains([]string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}, st) {
			return nil, clientErr("InvalidParameterValue", "The parameter Statistics.member.1 must be a value in the set [ SampleCount, Average, Sum, Minimum, Maximum ].")
		}
	}
	if in.Period < 60 || in.Period%60 != 0 {
		return nil, clientErr("InvalidParameterValue", "The parameter Period must be a multiple of 60.")
	}
	start, end := epochTime(*in.StartTime), epochTime(*in.EndTime)
	if !end.After(start) {
		return nil, clientErr("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	period := time.Duration(in.Period) * time.Second
	buckets := int64(math.Ceil(float64(end.Sub(start)) / float64(period)))
	if buckets > cloudWatchMaxDatapoints {
		return nil, clientErr("InvalidParameterCombination", "You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", buckets, cloudWatchMaxDatapoints)
	}
	dims := map[string]string{}
	for _, dm := range in.Dimensions {
		dims[dm.Name] = dm.Value
	}

	type agg struct {
		n, sum, min, max float64
	}
	byBucket := map[int64]*agg{}
	d := cw.s.delivery
	d.mu.Lock()
	for _, m := range d.region(c.region).metrics {
		// CloudWatch matches the exact dimension set.
		if m.Namespace != in.Namespace || m.MetricName != in.MetricName || !sameDims(m.Dimensions, dims) ||
			m.Time.Before(start) || !m.Time.Before(end) {
			continue
		}
		i := int64(m.Time.Sub(start) / period)
		a := byBucket[i]
		if a == nil {
			a = &agg{min: m.Value, max: m.Value}
			byBucket[i] = a
		}
		a.n++
		a.sum += m.Value
		a.min, a.max = math.Min(a.min, m.Value), math.Max(a.max, m.Value)
	}
	d.mu.Unlock()

	keys := make([]int64, 0, len(byBucket))
	for k := range byBucket {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	points := cbor.List{}
	for _, k := range keys {
		a := byBucket[k]
		ts := start.Add(time.Duration(k) * period)
		p := cbor.Map{"Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(ts.UnixMilli()) / 1e3)}, "Unit": cbor.String("Count")}
		for _, st := range in.Statistics {
			switch st {
			case "SampleCount":
				p[st] = cbor.Float64(a.n)
			case "Average":
				p[st] = cbor.Float64(a.sum / a.n)
			case "Sum":
				p[st] = cbor.Float64(a.sum)
			case "Minimum":
				p[st] = cbor.Float64(a.min)
			case "Maximum":
				p[st] = cbor.Float64(a.max)
			}
		}
		points = append(points, p)
	}
	return cbor.Encode(cbor.Map{"Label": cbor.String(in.MetricName), "Datapoints": points}), nil
}

func epochTime(sec float64) time.Time {
	return time.UnixMilli(int64(math.Round(sec * 1e3))).UTC()
}

func sameDims(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (cw cloudWatchService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	shape, ok := cloudWatchShapes[e.Code]
	if !ok {
		shape = e.Code
	}
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Query-Error", e.Code+";"+fault)
	w.Header().Set("X-Amzn-RequestId", c.requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(cloudWatchNS + shape), "message": cbor.String(e.Message)}))
}

func (cw cloudWatchService) contentType() string { return "application/cbor" }

func (cw cloudWatchService) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return &APIError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
	case FaultDeny:
		return &APIError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: fmt.Sprintf("User: %s is not authorized to perform: cloudwatch:%s", cw.s.callerARN, op)}
	default:
		return &APIError{Status: http.StatusInternalServerError, Code: "InternalServiceError", Message: "Internal service error"}
	}
}
