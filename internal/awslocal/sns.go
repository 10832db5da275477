package awslocal

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	snsAPIVersion = "2010-03-31"
	snsXMLNS      = "http://sns.amazonaws.com/doc/2010-03-31/"
	// snsMaxMessageBytes is SNS's limit on message plus attributes.
	snsMaxMessageBytes = 256 * 1024
	snsListPageSize    = 100
)

// SNSMessage is a message published to an emulated topic.
type SNSMessage struct {
	MessageID              string                         `json:"messageId"`
	TopicARN               string                         `json:"topicArn"`
	Subject                string                         `json:"subject,omitempty"`
	Message                string                         `json:"message"`
	MessageStructure       string                         `json:"messageStructure,omitempty"`
	Attributes             map[string]SNSMessageAttribute `json:"attributes,omitempty"`
	MessageGroupID         string                         `json:"messageGroupId,omitempty"`
	MessageDeduplicationID string                         `json:"messageDeduplicationId,omitempty"`
	SequenceNumber         string                         `json:"sequenceNumber,omitempty"`
	Time                   time.Time                      `json:"time"`
}

// SNSMessageAttribute is one message attribute as published.
type SNSMessageAttribute struct {
	DataType    string `json:"dataType"`
	StringValue string `json:"stringValue,omitempty"`
	BinaryValue []byte `json:"binaryValue,omitempty"`
}

// DefaultMessage returns the message an email or SQS subscriber without
// a protocol-specific entry would get: the "default" entry of a
// MessageStructure=json message, or the message itself.
func (m SNSMessage) DefaultMessage() string {
	if m.MessageStructure != "json" {
		return m.Message
	}
	var byProto map[string]string
	if err := json.Unmarshal([]byte(m.Message), &byProto); err != nil {
		return ""
	}
	return byProto["default"]
}

// MessageFor returns the message a subscriber of protocol ("email", "sqs",
// ...) gets: its own entry of a MessageStructure=json message, else the
// "default" entry, or the message itself.
func (m SNSMessage) MessageFor(protocol string) string {
	if m.MessageStructure != "json" {
		return m.Message
	}
	var byProto map[string]string
	if err := json.Unmarshal([]byte(m.Message), &byProto); err != nil {
		return ""
	}
	if msg, ok := byProto[protocol]; ok {
		return msg
	}
	return byProto["default"]
}

// snsService emulates SNS topics and Publish (awsquery).
type snsService struct{ s *Server }

func (sn snsService) proto() queryProtocol {
	return queryProtocol{version: snsAPIVersion, xmlns: snsXMLNS, ops: map[string]func(*call, form, *xmlWriter) *APIError{
		"CreateTopic": sn.createTopic,
		"DeleteTopic": sn.deleteTopic,
		"ListTopics":  sn.listTopics,
		"Publish":     sn.publish,
	}}
}

func (sn snsService) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	return sn.proto().decode(r, body)
}

func (sn snsService) serve(c *call) ([]byte, *APIError) { return sn.proto().serve(c) }

func (sn snsService) writeError(w http.ResponseWriter, c *call, e *APIError) {
	sn.proto().writeError(w, c, e)
}

func (sn snsService) contentType() string { return "text/xml" }

func (sn snsService) faultError(kind FaultKind, op string) *APIError {
	return sn.proto().faultError(kind, op, "AuthorizationError", sn.s.callerARN, "SNS")
}

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func snsInvalid(format string, args ...any) *APIError {
	return clientErr("InvalidParameter", "Invalid parameter: "+format, args...)
}

func (sn snsService) createTopic(c *call, f form, x *xmlWriter) *APIError {
	name := f.get("Name")
	attrs := map[string]string{}
	for _, i := range f.indexes("Attributes.entry") {
		p := sub("Attributes.entry", i)
		attrs[f.get(p+"key")] = f.get(p + "value")
	}
	fifo := strings.EqualFold(attrs["FifoTopic"], "true")
	base := name
	if fifo {
		var ok bool
		if base, ok = strings.CutSuffix(name, ".fifo"); !ok {
			return snsInvalid("Topic Name")
		}
	}
	if !topicNameRE.MatchString(base) || len(name) > 256 {
		return snsInvalid("Topic Name")
	}
	s := sn.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(c.region)
	arn := "arn:aws:sns:" + c.region + ":" + s.account + ":" + name
	if _, ok := rs.topics[arn]; !ok {
		rs.topics[arn] = &topic{arn: arn, name: name, attributes: attrs, seq: rs.next()}
	}
	x.elem("TopicArn", arn)
	return nil
}

// topicByARN finds a topic in the region its ARN names.
func (s *Server) topicByARN(arn string) (*topic, *APIError) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return nil, snsInvalid("TopicArn")
	}
	// The topic's own account: a member may publish to a central topic.
	t := s.accountRegion(parts[4], parts[3]).topics[arn]
	if t == nil {
		return nil, &APIError{Status: http.StatusNotFound, Code: "NotFound", Message: "Topic does not exist"}
	}
	return t, nil
}

func (sn snsService) deleteTopic(c *call, f form, x *xmlWriter) *APIError {
	s := sn.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.topicByARN(f.get("TopicArn"))
	if aerr != nil {
		if aerr.Code == "NotFound" {
			return nil // DeleteTopic of a missing topic succeeds.
		}
		return aerr
	}
	parts := strings.Split(t.arn, ":")
	delete(s.accountRegion(parts[4], parts[3]).topics, t.arn)
	return nil
}

func (sn snsService) listTopics(c *call, f form, x *xmlWriter) *APIError {
	s := sn.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(c.region)
	topics := make([]*topic, 0, len(rs.topics))
	for _, t := range rs.topics {
		topics = append(topics, t)
	}
	page, next, aerr := paginate(topics, func(t *topic) uint64 { return t.seq }, "topic", f.get("NextToken"), snsListPageSize)
	if aerr != nil {
		return snsInvalid("NextToken")
	}
	x.open("Topics")
	for _, t := range page {
		x.open("member")
		x.elem("TopicArn", t.arn)
		x.close("member")
	}
	x.close("Topics")
	x.opt("NextToken", next)
	return nil
}

var (
	attrNameRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	attrDataTypeRE = regexp.MustCompile(`^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$`)
)

func attrInvalid(format string, args ...any) *APIError {
	return clientErr("ParameterValueInvalid", format, args...)
}

// parseMessageAttributes reads MessageAttributes.entry.N.{Name,Value.*}
// and validates them as SNS does.
func parseMessageAttributes(f form) (map[string]SNSMessageAttribute, int, *APIError) {
	idx := f.indexes("MessageAttributes.entry")
	if len(idx) == 0 {
		return nil, 0, nil
	}
	if len(idx) > 10 {
		return nil, 0, attrInvalid("Number of message attributes [%d] exceeds the allowed maximum [10].", len(idx))
	}
	attrs := make(map[string]SNSMessageAttribute, len(idx))
	size := 0
	for _, i := range idx {
		p := sub("MessageAttributes.entry", i)
		name := f.get(p + "Name")
		lower := strings.ToLower(name)
		if !attrNameRE.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return nil, 0, attrInvalid("The message attribute name '%s' is invalid.", name)
		}
		if _, dup := attrs[name]; dup {
			return nil, 0, attrInvalid("Message attribute name '%s' has already been used.", name)
		}
		a := SNSMessageAttribute{DataType: f.get(p + "Value.DataType"), StringValue: f.get(p + "Value.StringValue")}
		if a.DataType == "" {
			return nil, 0, attrInvalid("The message attribute '%s' must contain a non-empty message attribute type.", name)
		}
		var base string
		if a.DataType == "String.Array" {
			base = "String.Array"
		} else if m := attrDataTypeRE.FindStringSubmatch(a.DataType); m != nil {
			base = m[1]
		} else {
			return nil, 0, attrInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		switch base {
		case "String", "Number", "String.Array":
			if a.StringValue == "" {
				return nil, 0, attrInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
					return nil, 0, attrInvalid("Could not cast message attribute '%s' value to number.", name)
				}
			}
			if base == "String.Array" {
				var arr []any
				if err := json.Unmarshal([]byte(a.StringValue), &arr); err != nil {
					return nil, 0, attrInvalid("The message attribute '%s' with type 'String.Array' must use a JSON array.", name)
				}
			}
		case "Binary":
			raw := f.get(p + "Value.BinaryValue")
			b, err := base64.StdEncoding.DecodeString(raw)
			if raw == "" || err != nil {
				return nil, 0, attrInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
			a.BinaryValue = b
		}
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		attrs[name] = a
	}
	return attrs, size, nil
}

func (sn snsService) publish(c *call, f form, x *xmlWriter) *APIError {
	arn := f.get("TopicArn")
	if arn == "" {
		arn = f.get("TargetArn")
	}
	if arn == "" {
		if f.get("PhoneNumber") != "" {
			return snsInvalid("PhoneNumber Reason: SMS is not emulated")
		}
		return snsInvalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	msg := f.get("Message")
	if msg == "" {
		return snsInvalid("Empty message")
	}
	subject := f.get("Subject")
	if f.has("Subject") && !validSubject(subject) {
		return snsInvalid("Subject")
	}
	structure := f.get("MessageStructure")
	switch structure {
	case "":
	case "json":
		var byProto map[string]any
		if err := json.Unmarshal([]byte(msg), &byProto); err != nil {
			return snsInvalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := byProto["default"]; !ok {
			return snsInvalid("Message Structure - No default entry in JSON message body")
		}
		for _, v := range byProto {
			if _, isString := v.(string); !isString {
				return snsInvalid("Message Structure - JSON message body failed to parse")
			}
		}
	default:
		return snsInvalid("MessageStructure")
	}
	attrs, attrBytes, aerr := parseMessageAttributes(f)
	if aerr != nil {
		return aerr
	}
	if len(msg)+attrBytes > snsMaxMessageBytes {
		return snsInvalid("Message too long")
	}
	s := sn.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.topicByARN(arn)
	if aerr != nil {
		return aerr
	}
	m := SNSMessage{
		MessageID: newRequestID(), TopicARN: t.arn, Subject: subject, Message: msg, MessageStructure: structure,
		Attributes: attrs, MessageGroupID: f.get("MessageGroupId"), MessageDeduplicationID: f.get("MessageDeduplicationId"),
		Time: time.Now().UTC(),
	}
	if strings.HasSuffix(t.name, ".fifo") {
		if m.MessageGroupID == "" {
			return snsInvalid("The MessageGroupId parameter is required for FIFO topics")
		}
		if m.MessageDeduplicationID == "" && !strings.EqualFold(t.attributes["ContentBasedDeduplication"], "true") {
			return snsInvalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		s.snsSeq++
		m.SequenceNumber = strconv.FormatUint(10000000000000000000+s.snsSeq, 10)
	}
	s.messages = append(s.messages, m)
	x.elem("MessageId", m.MessageID)
	x.opt("SequenceNumber", m.SequenceNumber)
	return nil
}

// validSubject follows SNS: UTF-8 text without line breaks or control
// characters, under 100 characters, not starting with a space.
func validSubject(s string) bool {
	if s == "" || s[0] == ' ' || !utf8.ValidString(s) || utf8.RuneCountInString(s) >= 100 {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// SNSMessages returns every message published so far, in order.
func (s *Server) SNSMessages() []SNSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SNSMessage(nil), s.messages...)
}

// ResetSNSMessages forgets the published messages.
func (s *Server) ResetSNSMessages() {
	s.mu.Lock()
	s.messages = nil
	s.mu.Unlock()
}

// CreateTopic creates a topic in region (empty: the default region) from
// Go and returns its ARN.
func (s *Server) CreateTopic(region, name string) string {
	if region == "" {
		region = s.defaultRegion
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(region)
	arn := "arn:aws:sns:" + region + ":" + s.account + ":" + name
	if _, ok := rs.topics[arn]; !ok {
		rs.topics[arn] = &topic{arn: arn, name: name, attributes: map[string]string{}, seq: rs.next()}
	}
	return arn
}
