package awsenv

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// PrivateBodies returns a RoundTripper that hands next a private copy of
// each request body.
//
// Why: smithy-go closes the request body as soon as the response headers
// arrive, and its body wrapper then answers WriteTo with io.EOF. When the
// server answers before net/http's write loop has made its final read of
// the body, that io.EOF becomes a write error, the transport closes the
// connection and the SDK fails reading a 200 response with "use of closed
// network connection". The retry reuses the closed wrapper, so every
// attempt fails the same way (aws/aws-sdk-go-v2#2737). A fast endpoint
// (a local emulator, a VPC endpoint) makes it likely; request bodies are
// small or already in memory, so the copy costs little.
func PrivateBodies(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		c, err := withPrivateBody(r)
		if err != nil {
			return nil, err
		}
		return next.RoundTrip(c)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// privateBodyClient applies the same copy in front of an aws.HTTPClient.
type privateBodyClient struct{ next aws.HTTPClient }

func (p privateBodyClient) Do(r *http.Request) (*http.Response, error) {
	c, err := withPrivateBody(r)
	if err != nil {
		return nil, err
	}
	return p.next.Do(c)
}

// maxCopiedBody is the largest body copied; a larger one (an S3 upload of
// a report) is passed through a wrapper that offers Read only, so that
// net/http reads it to its end rather than asking the closed wrapper to
// WriteTo, without holding a second copy.
const maxCopiedBody = 1 << 20

func withPrivateBody(r *http.Request) (*http.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return r, nil
	}
	if r.ContentLength < 0 || r.ContentLength > maxCopiedBody {
		c := r.Clone(r.Context())
		c.Body = readOnly{r.Body}
		return c, nil
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return c, nil
}

// readOnly hides any WriteTo of the body it wraps.
type readOnly struct{ io.ReadCloser }
