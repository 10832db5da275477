package lambdaenv

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Names of the organization audit's own variables (functions/orgaudit).
const (
	EnvOrgOUs         = "SGWARDEN_ORG_OUS"
	EnvReadRoleName   = "SGWARDEN_READ_ROLE_NAME"
	EnvRevertRoleName = "SGWARDEN_REVERT_ROLE_NAME"
)

// Default role names the member stacks create.
const (
	DefaultReadRoleName   = "sgwarden-audit-read"
	DefaultRevertRoleName = "sgwarden-audit-revert"
)

// OrgSettings is the organization audit's environment: the shared
// settings (policy, mode, topic, regions, max reverts, report bucket) and
// its own.
type OrgSettings struct {
	Settings
	// OUs are the organizational units to audit; empty: the whole
	// organization.
	OUs            []string
	ReadRoleName   string
	RevertRoleName string
}

// The patterns are compiled on first use: their counted repetitions make
// large programs, and every function links this package, so compiling them
// at init would lengthen the remediate function's cold start.
var (
	ouRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`) })
	roleNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,64}$`) })
)

// LoadOrg parses the organization audit's environment. The report bucket
// is required: the steps hand their results over through it.
func LoadOrg(getenv func(string) string, readFile ReadFile) (*OrgSettings, error) {
	var errs []error
	s, err := Load(getenv, readFile)
	if err != nil {
		errs = append(errs, err)
		s = &Settings{}
	}
	o := &OrgSettings{Settings: *s,
		ReadRoleName:   strings.TrimSpace(getenv(EnvReadRoleName)),
		RevertRoleName: strings.TrimSpace(getenv(EnvRevertRoleName)),
	}
	if s.ReportBucket == "" && err == nil {
		errs = append(errs, fmt.Errorf("%s: required: the bucket that holds each run's parts and report", EnvReportBucket))
	}
	for _, ou := range strings.Split(getenv(EnvOrgOUs), ",") {
		if ou = strings.TrimSpace(ou); ou == "" {
			continue
		}
		if !ouRE().MatchString(ou) {
			errs = append(errs, fmt.Errorf("%s: %q is not an OU ID (ou-xxxx-xxxxxxxx)", EnvOrgOUs, ou))
		}
		o.OUs = append(o.OUs, ou)
	}
	if o.ReadRoleName == "" {
		o.ReadRoleName = DefaultReadRoleName
	}
	if o.RevertRoleName == "" {
		o.RevertRoleName = DefaultRevertRoleName
	}
	for name, v := range map[string]string{EnvReadRoleName: o.ReadRoleName, EnvRevertRoleName: o.RevertRoleName} {
		if !roleNameRE().MatchString(v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a role name", name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}
