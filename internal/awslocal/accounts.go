package awslocal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The emulated organization. The server's own account (WithAccount) is the
// management account and the account of every request whose credentials
// name no other; AddAccount adds members, each with its own EC2 and SNS
// state per region. A request acts in a member account when its access key
// is one that STS AssumeRole issued for a role in that account, or when the
// access key is the 12-digit account ID itself (the convention LocalStack
// uses, handy for seeding and benchmarks).

// orgState is the organization: accounts, organizational units, the roles
// made to deny, and the sessions AssumeRole issued. The Server's mutex
// guards it.
type orgState struct {
	id      string // o-...
	rootID  string // r-...
	created time.Time

	accounts map[string]*orgAccount
	order    []string // account IDs in the order they joined
	ous      map[string]*orgUnit
	ouOrder  []string

	admins   []string            // delegated administrators
	denied   map[string]string   // role ARN -> reason given to AssumeRole callers
	sessions map[string]*session // access key ID -> session
}

type orgAccount struct {
	id, name, email string
	parent          string // root or OU ID
	joined          time.Time
	seq             uint64
}

type orgUnit struct {
	id, name, parent string
	seq              uint64
}

// session is one set of temporary credentials issued by AssumeRole.
type session struct {
	account string
	roleARN string
	arn     string // arn:aws:sts::<account>:assumed-role/<role>/<session>
	expires time.Time
}

func newOrgState(management string) *orgState {
	o := &orgState{
		id:       "o-" + randomLower(10),
		rootID:   "r-" + randomLower(4),
		created:  time.Now().UTC(),
		accounts: map[string]*orgAccount{},
		ous:      map[string]*orgUnit{},
		denied:   map[string]string{},
		sessions: map[string]*session{},
	}
	o.add(management, "management", o.rootID)
	return o
}

func (o *orgState) add(id, name, parent string) *orgAccount {
	a := &orgAccount{id: id, name: name, email: "aws+" + id + "@example.com", parent: parent,
		joined: time.Now().UTC().Truncate(time.Second), seq: uint64(len(o.order) + 1)}
	o.accounts[id] = a
	o.order = append(o.order, id)
	return a
}

func errNotMember(account string) error {
	return fmt.Errorf("awslocal: account %s is not in the organization (AddAccount)", account)
}

func randomLower(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

var (
	roleNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionRE    = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	accessKeyLen = 20
)

// AddOU adds an organizational unit under parent (empty: the root) and
// returns its ID.
func (s *Server) AddOU(name, parent string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if parent == "" {
		parent = s.org.rootID
	}
	if parent != s.org.rootID && s.org.ous[parent] == nil {
		return "", fmt.Errorf("awslocal: parent %q is neither the root nor an OU", parent)
	}
	id := "ou-" + s.org.rootID[2:] + "-" + randomLower(8)
	s.org.ous[id] = &orgUnit{id: id, name: name, parent: parent, seq: uint64(len(s.org.ouOrder) + 1)}
	s.org.ouOrder = append(s.org.ouOrder, id)
	return id, nil
}

// AddAccount adds a member account (12 digits) named name under parent (an
// OU ID from AddOU; empty: the root). Its EC2 state starts empty in every
// region; seed it with a Fixture whose Account is id.
func (s *Server) AddAccount(id, name, parent string) error {
	if !accountRE.MatchString(id) {
		return fmt.Errorf("awslocal: account %q is not 12 digits", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.org.accounts[id] != nil {
		return fmt.Errorf("awslocal: account %s is already in the organization", id)
	}
	if parent == "" {
		parent = s.org.rootID
	}
	if parent != s.org.rootID && s.org.ous[parent] == nil {
		return fmt.Errorf("awslocal: parent %q is neither the root nor an OU", parent)
	}
	s.org.add(id, name, parent)
	return nil
}

// OrganizationAccounts returns the IDs of every account of the
// organization, the management account first.
func (s *Server) OrganizationAccounts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.org.order)
}

// RootID returns the ID of the organization's root.
func (s *Server) RootID() string { return s.org.rootID }

// DenyRole makes STS AssumeRole of role roleName in account fail with
// AccessDenied until AllowRole, as when the role is missing or does not
// trust the caller. Sessions already issued keep working, as in AWS.
func (s *Server) DenyRole(account, roleName string) error {
	if !accountRE.MatchString(account) || !roleNameRE.MatchString(roleName) {
		return fmt.Errorf("awslocal: deny role: bad account %q or role name %q", account, roleName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.denied[roleARN(account, roleName)] = "denied by DenyRole"
	return nil
}

// AllowRole undoes DenyRole.
func (s *Server) AllowRole(account, roleName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.org.denied, roleARN(account, roleName))
}

func roleARN(account, roleName string) string {
	return "arn:aws:iam::" + account + ":role/" + roleName
}

// AccountConfig returns an SDK configuration that acts directly in account
// (its access key is the account ID), for seeding and benchmarks that do
// not go through AssumeRole.
func (s *Server) AccountConfig(account string) aws.Config {
	cfg := Config(s.URL(), s.defaultRegion)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(account, "awslocal-secret", "")
	return cfg
}

// accountOf returns the account a request acts in, from its access key
// ID. The caller holds s.mu.
func (s *Server) accountOf(accessKey string) string {
	if sess, ok := s.org.sessions[accessKey]; ok {
		return sess.account
	}
	if accountRE.MatchString(accessKey) {
		return accessKey
	}
	return s.account
}

// callerOf returns the ARN of the identity behind an access key. The
// caller holds s.mu.
func (s *Server) callerOf(accessKey string) (arn, account string) {
	if sess, ok := s.org.sessions[accessKey]; ok {
		return sess.arn, sess.account
	}
	if accountRE.MatchString(accessKey) && accessKey != s.account {
		return "arn:aws:iam::" + accessKey + ":user/awslocal", accessKey
	}
	return s.callerARN, s.account
}

// accessKeyOf extracts the access key ID from a SigV4 Authorization header.
func accessKeyOf(auth string) string {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexByte(cred, '/'); j >= 0 {
		return cred[:j]
	}
	return ""
}

// accountRegion returns the state of one region of an account, creating it
// on first use. The caller holds s.mu.
func (s *Server) accountRegion(account, name string) *regionState {
	if account == "" || account == s.account {
		return s.region(name)
	}
	k := accountRegionKey{account, name}
	rs, ok := s.memberRegions[k]
	if !ok {
		rs = newRegionState(account, name)
		s.memberRegions[k] = rs
	}
	return rs
}

type accountRegionKey struct{ account, region string }

// newSession issues temporary credentials for roleARN in account.
func (o *orgState) newSession(account, roleARN, sessionName string, d time.Duration) (key, secret, token string, sess *session) {
	for {
		key = "ASIA" + strings.ToUpper(randomLower(accessKeyLen-4))
		if _, taken := o.sessions[key]; !taken {
			break
		}
	}
	role := roleARN[strings.LastIndex(roleARN, "/")+1:]
	sess = &session{account: account, roleARN: roleARN,
		arn:     "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + sessionName,
		expires: time.Now().UTC().Add(d).Truncate(time.Second)}
	o.sessions[key] = sess
	return key, randomLower(40), "awslocal-session-" + randomLower(32), sess
}
