package awslocal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// DefaultAccount is the account ID used unless WithAccount says otherwise.
const DefaultAccount = "123456789012"

// DefaultRegion is the region used for seeding and for requests that carry
// no credential scope.
const DefaultRegion = "us-east-1"

// maxBodyBytes bounds a request body; SNS allows 256 KiB messages, and
// form encoding can triple that.
const maxBodyBytes = 4 << 20

// maxObjectBytes bounds an S3 object body: an audit report of a large
// region is tens of MiB (S3 itself takes 5 GiB in one PUT).
const maxObjectBytes = 256 << 20

// Server is an emulated AWS account. Create one with New (or Start in
// tests); all methods are safe for concurrent use.
type Server struct {
	account       string
	defaultRegion string
	callerARN     string
	pageSize      int // 0 = AWS behaviour: no MaxResults returns everything
	logf          func(format string, args ...any)
	pending       []*Fixture

	mu      sync.Mutex
	regions map[string]*regionState // the server's own account
	// org is the organization (accounts.go); memberRegions holds the state
	// of its other accounts.
	org           *orgState
	memberRegions map[accountRegionKey]*regionState
	buckets       map[string]*s3Bucket // s3.go
	// SNS messages published, in order, and the FIFO sequence counter.
	messages []SNSMessage
	snsSeq   uint64

	services map[string]service
	// delivery holds the CloudTrail/EventBridge/Lambda/CloudWatch/SQS/IAM
	// state that doctor reads (doctor_state.go).
	delivery *deliveryState
	// hub and puts hold Security Hub findings and the events PutEvents
	// accepted (securityhub.go, events_put.go).
	hub  *hubState
	puts *busState

	rec    recorder
	faults faultSet

	httpSrv  *http.Server
	listener net.Listener
	url      string
}

// Option configures a Server.
type Option func(*Server) error

// WithAccount sets the account ID (12 digits).
func WithAccount(id string) Option {
	return func(s *Server) error {
		if !accountRE.MatchString(id) {
			return fmt.Errorf("awslocal: account %q is not 12 digits", id)
		}
		s.account = id
		return nil
	}
}

// WithRegion sets the region used for seeding and for unsigned requests.
func WithRegion(region string) Option {
	return func(s *Server) error {
		if !regionRE.MatchString(region) {
			return fmt.Errorf("awslocal: region %q is not a region name", region)
		}
		s.defaultRegion = region
		return nil
	}
}

// WithCallerARN sets the ARN that STS GetCallerIdentity reports.
func WithCallerARN(arn string) Option {
	return func(s *Server) error {
		if !strings.HasPrefix(arn, "arn:") {
			return fmt.Errorf("awslocal: caller ARN %q does not start with \"arn:\"", arn)
		}
		s.callerARN = arn
		return nil
	}
}

// WithDefaultPageSize makes Describe calls that carry no MaxResults return
// at most n items and a NextToken. AWS returns everything in that case;
// this option exists to prove that callers follow NextToken.
func WithDefaultPageSize(n int) Option {
	return func(s *Server) error {
		if n < 1 {
			return fmt.Errorf("awslocal: default page size %d < 1", n)
		}
		s.pageSize = n
		return nil
	}
}

// WithFixture seeds the server with f when it is created.
func WithFixture(f *Fixture) Option {
	return func(s *Server) error {
		s.pending = append(s.pending, f)
		return nil
	}
}

// WithLogf sends one line per request to logf (for the standalone server).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(s *Server) error {
		s.logf = logf
		return nil
	}
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)
)

// New returns a Server that is not listening yet: use it as an
// http.Handler, or call Listen.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		account:       DefaultAccount,
		defaultRegion: DefaultRegion,
		regions:       make(map[string]*regionState),
		memberRegions: make(map[accountRegionKey]*regionState),
	}
	s.services = map[string]service{
		"ec2":           ec2Service{s},
		"sns":           snsService{s},
		"sts":           stsService{s},
		"organizations": orgService{s}.service(),
		"s3":            s3Service{s},
	}
	s.addDeliveryServices()
	s.addFindingServices()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.org = newOrgState(s.account)
	// Fixtures are seeded once the account and region are settled.
	for _, f := range s.pending {
		if err := s.Seed(f); err != nil {
			return nil, err
		}
	}
	s.pending = nil
	if s.callerARN == "" {
		s.callerARN = "arn:aws:iam::" + s.account + ":user/awslocal"
	}
	return s, nil
}

// Account returns the emulated account ID.
func (s *Server) Account() string { return s.account }

// Region returns the default region.
func (s *Server) Region() string { return s.defaultRegion }

// Listen starts serving on addr (for example "127.0.0.1:0") in the
// background and returns once the listener is open.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("awslocal: listen %s: %w", addr, err)
	}
	s.listener = ln
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && s.logf != nil {
			s.logf("awslocal: serve: %v", err)
		}
	}()
	return nil
}

// URL returns the base URL once Listen has been called ("" before).
func (s *Server) URL() string { return s.url }

// Close stops the listener started by Listen.
func (s *Server) Close() error {
	if s.httpSrv == nil {
		return nil
	}
	return s.httpSrv.Close()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return
	}
	limit := maxBodyBytes
	if name, _ := credentialScope(r.Header.Get("Authorization")); name == "s3" {
		limit = maxObjectBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > limit {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	name, region := credentialScope(r.Header.Get("Authorization"))
	if region == "" {
		region = s.defaultRegion
	}
	if name == "" {
		name = guessService(r, body)
	}
	svc, ok := s.services[name]
	if !ok {
		http.Error(w, fmt.Sprintf("awslocal: service %q is not emulated", name), http.StatusBadRequest)
		return
	}
	accessKey := accessKeyOf(r.Header.Get("Authorization"))
	s.mu.Lock()
	account := s.accountOf(accessKey)
	s.mu.Unlock()
	c := &call{
		srv:       s,
		service:   name,
		account:   account,
		accessKey: accessKey,
		region:    region,
		requestID: newRequestID(),
		header:    r.Header,
		body:      body,
	}
	op, params, aerr := svc.decode(r, body)
	c.op, c.params = op, params
	if aerr == nil {
		aerr = s.faults.apply(r.Context(), svc, c)
	}
	var resp []byte
	if aerr == nil {
		resp, aerr = svc.serve(c)
	}
	s.rec.add(c, aerr)
	if s.logf != nil {
		code := "ok"
		if aerr != nil {
			code = aerr.Code
		}
		s.logf("%s %s %s %s", region, name, op, code)
	}
	if aerr != nil {
		svc.writeError(w, c, aerr)
		return
	}
	w.Header().Set("Content-Type", svc.contentType())
	w.Header().Set("X-Amzn-RequestId", c.requestID)
	_, _ = w.Write(resp)
}

// service is one emulated AWS service: it decodes requests in its wire
// protocol, serves operations and encodes errors. Add a service by adding
// an entry to Server.services; JSON protocols decode the operation from
// X-Amz-Target (or the path for REST protocols).
type service interface {
	// decode returns the operation name and its parameters.
	decode(r *http.Request, body []byte) (op string, params url.Values, err *APIError)
	// serve runs the operation and returns the response body.
	serve(c *call) ([]byte, *APIError)
	writeError(w http.ResponseWriter, c *call, e *APIError)
	contentType() string
	// faultError returns this protocol's error for an injected fault.
	faultError(kind FaultKind, op string) *APIError
}

// call is one request being served.
type call struct {
	srv     *Server
	service string
	// account is the account the request acts in, from its access key
	// (accounts.go).
	account   string
	accessKey string
	region    string
	requestID string
	op        string
	params    url.Values
	header    http.Header
	body      []byte
}

// APIError is an AWS error as sent on the wire.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func clientErr(code, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// credentialScope extracts the service and region from a SigV4
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
func credentialScope(auth string) (service, region string) {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[3], parts[2]
}

// guessService routes unsigned requests (curl, the demo) by the query API
// version or the JSON target.
func guessService(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return strings.ToLower(strings.SplitN(t, "_", 2)[0])
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	switch form.Get("Version") {
	case ec2APIVersion:
		return "ec2"
	case snsAPIVersion:
		return "sns"
	case stsAPIVersion:
		return "sts"
	}
	return ""
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// region returns the state of one region, creating it on first use.
// The caller holds s.mu.
func (s *Server) region(name string) *regionState {
	rs, ok := s.regions[name]
	if !ok {
		rs = newRegionState(s.account, name)
		s.regions[name] = rs
	}
	return rs
}
