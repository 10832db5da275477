package remediate

import (
	"errors"

	"github.com/aws/smithy-go"
)

// AWS error codes that mean "the thing is already gone".
const (
	codePermissionNotFound = "InvalidPermission.NotFound"
	codeRuleIDNotFound     = "InvalidSecurityGroupRuleId.NotFound"
	codeGroupNotFound      = "InvalidGroup.NotFound"
)

// ErrorCode returns the AWS error code of err, or "" when err is not an AWS
// API error.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether err says the rule or group no longer exists,
// which sgwarden counts as already reverted.
func IsNotFound(err error) bool {
	switch ErrorCode(err) {
	case codePermissionNotFound, codeRuleIDNotFound, codeGroupNotFound:
		return true
	}
	return false
}

func isGroupNotFound(err error) bool {
	return ErrorCode(err) == codeGroupNotFound
}
