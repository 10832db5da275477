package assume

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sgwarden/sgwarden/internal/awsclients"
)

// DefaultSessionName is the RoleSessionName of AssumeRole sessions, which
// CloudTrail records in every member account.
const DefaultSessionName = "sgwarden-audit"

// expiryWindow renews credentials this long before they expire, so that a
// long audit never signs with credentials about to lapse.
const expiryWindow = 5 * time.Minute

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// Option configures Role.
type Option func(*assumeRole)

// WithSessionName sets the RoleSessionName (default DefaultSessionName).
func WithSessionName(name string) Option {
	return func(a *assumeRole) { a.session = name }
}

// WithSTSClient sets the client that calls AssumeRole (default: one built
// from the base configuration).
func WithSTSClient(c stscreds.AssumeRoleAPIClient) Option {
	return func(a *assumeRole) { a.sts = c }
}

// Role serves every account by assuming
// arn:aws:iam::<account>:role/<roleName> with base's credentials. The
// credentials of an account are shared by its regions and renewed shortly
// before they expire. Config assumes the role before it returns, so a denied
// role is an error of Config naming the role, not of some later call.
func Role(base aws.Config, roleName string, opts ...Option) awsclients.Provider {
	a := &assumeRole{base: base, role: roleName, session: DefaultSessionName, creds: map[string]*aws.CredentialsCache{}}
	for _, o := range opts {
		o(a)
	}
	if a.sts == nil {
		a.sts = sts.NewFromConfig(base)
	}
	return a
}

type assumeRole struct {
	base    aws.Config
	role    string
	session string
	sts     stscreds.AssumeRoleAPIClient

	mu    sync.Mutex
	creds map[string]*aws.CredentialsCache // by account
}

// RoleARN returns the ARN of roleName in account.
func RoleARN(account, roleName string) string {
	return "arn:aws:iam::" + account + ":role/" + roleName
}

func (a *assumeRole) Config(ctx context.Context, k awsclients.Key) (aws.Config, error) {
	if !accountIDRE.MatchString(k.Account) || k.Region == "" || a.role == "" {
		return aws.Config{}, &awsclients.NotServedError{Key: k, Serves: "12-digit accounts through role " + a.role}
	}
	arn := RoleARN(k.Account, a.role)
	a.mu.Lock()
	cache, ok := a.creds[k.Account]
	if !ok {
		cache = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(a.sts, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = a.session
		}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = expiryWindow })
		a.creds[k.Account] = cache
	}
	a.mu.Unlock()
	// The cache answers from memory until the credentials near expiry; a
	// failure is not cached, so the next Config tries again.
	if _, err := cache.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("assume role %s: %w", arn, err)
	}
	cfg := a.base.Copy()
	cfg.Region = k.Region
	cfg.Credentials = cache
	return cfg, nil
}
