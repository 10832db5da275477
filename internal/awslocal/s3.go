package awslocal

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// s3Service emulates the S3 calls the audits make (restXml): PutObject,
// GetObject and ListObjectsV2 on buckets made with CreateBucket. Requests
// are path style (/bucket/key), as the SDK sends them to an IP endpoint;
// virtual-hosted style (bucket.host) is accepted too. Buckets are global
// and not limited by policies: any account may read and write them.
type s3Service struct{ s *Server }

const s3XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

type s3Bucket struct {
	name, owner, region string
	objects             map[string]*s3Object
}

type s3Object struct {
	data        []byte
	contentType string
	etag        string
	modified    time.Time
}

var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// CreateBucket makes an empty bucket owned by the server's account in
// region (empty: the default region). Making an existing bucket again is a
// no-op.
func (s *Server) CreateBucket(name, region string) error {
	if !bucketNameRE.MatchString(name) {
		return fmt.Errorf("awslocal: bucket name %q is not valid", name)
	}
	if region == "" {
		region = s.defaultRegion
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = map[string]*s3Bucket{}
	}
	if s.buckets[name] == nil {
		s.buckets[name] = &s3Bucket{name: name, owner: s.account, region: region, objects: map[string]*s3Object{}}
	}
	return nil
}

// Object returns the body of an object and whether it exists.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[bucket]; b != nil {
		if o := b.objects[key]; o != nil {
			return bytes.Clone(o.data), true
		}
	}
	return nil, false
}

// ObjectKeys returns the keys of bucket under prefix, sorted.
func (s *Server) ObjectKeys(bucket, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if b := s.buckets[bucket]; b != nil {
		for k := range b.objects {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s3 s3Service) decode(r *http.Request, body []byte) (string, url.Values, *APIError) {
	bucket, key := s3.bucketAndKey(r)
	params := url.Values{}
	for k, v := range r.URL.Query() {
		params[k] = v
	}
	params.Set("Bucket", bucket)
	if key != "" {
		params.Set("Key", key)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		params.Set("Content-Type", ct)
	}
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		params.Set("aws-chunked", "true")
	}
	var op string
	switch {
	case bucket == "":
		return "", params, s3Err(http.StatusBadRequest, "InvalidRequest", "no bucket in the request")
	case r.Method == http.MethodPut && key != "":
		op = "PutObject"
	case r.Method == http.MethodGet && key != "":
		op = "GetObject"
	case r.Method == http.MethodGet && params.Get("list-type") == "2":
		op = "ListObjectsV2"
	default:
		return "", params, s3Err(http.StatusNotImplemented, "NotImplemented", "%s %s is not emulated", r.Method, r.URL.Path)
	}
	return op, params, nil
}

// bucketAndKey reads the bucket from the host (virtual-hosted style) or
// from the first path segment (path style).
func (s3Service) bucketAndKey(r *http.Request) (bucket, key string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if net.ParseIP(host) == nil {
		if b, rest, ok := strings.Cut(host, "."); ok && rest != "" && !strings.HasPrefix(b, "s3") && bucketNameRE.MatchString(b) {
			return b, path
		}
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

func (s3 s3Service) serve(c *call) ([]byte, *APIError) {
	s := s3.s
	f := form(c.params)
	var body []byte
	if c.op == "PutObject" {
		body = c.body
		if f.get("aws-chunked") == "true" {
			var err error
			if body, err = decodeAWSChunked(c.body); err != nil {
				return nil, s3Err(http.StatusBadRequest, "IncompleteBody", "aws-chunked body: %v", err)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[f.get("Bucket")]
	if b == nil {
		return nil, s3Err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	switch c.op {
	case "PutObject":
		sum := md5.Sum(body)
		ct := f.get("Content-Type")
		if ct == "" {
			ct = "binary/octet-stream"
		}
		b.objects[f.get("Key")] = &s3Object{data: bytes.Clone(body), contentType: ct,
			etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: time.Now().UTC()}
		return nil, nil
	case "GetObject":
		o := b.objects[f.get("Key")]
		if o == nil {
			return nil, s3Err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		}
		return bytes.Clone(o.data), nil
	default:
		return s3.list(b, f)
	}
}

func (s3Service) list(b *s3Bucket, f form) ([]byte, *APIError) {
	prefix, token := f.get("prefix"), f.get("continuation-token")
	max := 1000
	if v := f.get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, s3Err(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		max = min(n, 1000)
	}
	start := f.get("start-after")
	if token != "" {
		raw, err := hex.DecodeString(token)
		if err != nil {
			return nil, s3Err(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		start = string(raw)
	}
	var keys []string
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) && k > start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	truncated := len(keys) > max
	if truncated {
		keys = keys[:max]
	}
	enc := func(k string) string { return k }
	x := &xmlWriter{}
	x.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.buf.WriteString(`<ListBucketResult xmlns="` + s3XMLNS + `">`)
	if f.get("encoding-type") == "url" {
		enc = url.QueryEscape
		x.elem("EncodingType", "url")
	}
	x.elem("Name", b.name)
	x.elem("Prefix", enc(prefix))
	x.int("KeyCount", int64(len(keys)))
	x.int("MaxKeys", int64(max))
	x.bool("IsTruncated", truncated)
	if token != "" {
		x.elem("ContinuationToken", token)
	}
	if truncated {
		x.elem("NextContinuationToken", hex.EncodeToString([]byte(keys[len(keys)-1])))
	}
	for _, k := range keys {
		o := b.objects[k]
		x.open("Contents")
		x.elem("Key", enc(k))
		x.elem("LastModified", o.modified.Format("2006-01-02T15:04:05.000Z"))
		x.elem("ETag", o.etag)
		x.int("Size", int64(len(o.data)))
		x.elem("StorageClass", "STANDARD")
		x.close("Contents")
	}
	x.close("ListBucketResult")
	return x.bytes(), nil
}

// decodeAWSChunked returns the payload of an aws-chunked body:
// "<hex size>[;chunk-signature=...]\r\n<data>\r\n" repeated, ending with a
// zero-size chunk and optional trailers.
func decodeAWSChunked(body []byte) ([]byte, error) {
	var out []byte
	for {
		line, rest, ok := bytes.Cut(body, []byte("\r\n"))
		if !ok {
			return nil, fmt.Errorf("chunk header without CRLF")
		}
		sizeHex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(sizeHex)), 16, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("chunk size %q", sizeHex)
		}
		if n == 0 {
			return out, nil
		}
		if int64(len(rest)) < n+2 {
			return nil, fmt.Errorf("chunk of %d bytes is cut short", n)
		}
		out = append(out, rest[:n]...)
		body = rest[n+2:]
	}
}

func (s3Service) writeError(w http.ResponseWriter, c *call, e *APIError) {
	x := &xmlWriter{}
	x.buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("Error")
	x.elem("Code", e.Code)
	x.elem("Message", e.Message)
	if k := form(c.params).get("Key"); k != "" {
		x.elem("Key", k)
	}
	x.elem("RequestId", c.requestID)
	x.close("Error")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", c.requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(x.bytes())
}

func (s3Service) contentType() string { return "application/xml" }

func (s3Service) faultError(kind FaultKind, op string) *APIError {
	switch kind {
	case FaultThrottle:
		return s3Err(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case FaultDeny:
		return s3Err(http.StatusForbidden, "AccessDenied", "Access Denied")
	default:
		return s3Err(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
}

func s3Err(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}
