package cloudtrail

import "errors"

// SupportedEventNames lists every eventName the decoder handles. The
// EventBridge rule in infra/cdk is built from this list.
var SupportedEventNames = []string{
	"AuthorizeSecurityGroupIngress",
	"AuthorizeSecurityGroupEgress",
	"RevokeSecurityGroupIngress",
	"RevokeSecurityGroupEgress",
	"ModifySecurityGroupRules",
	"CreateSecurityGroup",
	"CreateManagedPrefixList",
	"ModifyManagedPrefixList",
	"CreateTags",
	"DeleteTags",
	"RunInstances",
	"CreateNetworkInterface",
	"ModifyNetworkInterfaceAttribute",
}

// Decode turns an EventBridge "AWS API Call via CloudTrail" event (or a bare
// CloudTrail record) into an Event. Errors are *DecodeError. (stub)
func Decode(data []byte) (*Event, error) { return nil, errors.New("stub") }

// DecodeError says which event and field could not be decoded.
type DecodeError struct {
	EventID string
	Field   string
	Err     error
}

func (e *DecodeError) Error() string {
	return "decode event " + e.EventID + ": " + e.Field + ": " + e.Err.Error()
}
func (e *DecodeError) Unwrap() error { return e.Err }

// Sentinels for errors.Is.
var (
	ErrMalformed   = errors.New("malformed event")
	ErrUnsupported = errors.New("unsupported event")
)
