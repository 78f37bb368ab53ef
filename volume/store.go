package volume

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Errors a Store returns wrap one of these when they apply, so callers can
// test with errors.Is.
var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("object does not exist")
	// ErrBucketNotFound: the volume's bucket does not exist.
	ErrBucketNotFound = errors.New("bucket does not exist")
	// ErrUnreachable: no connection could be made to the object storage
	// (refused, no route, DNS failure, dial timeout).
	ErrUnreachable = errors.New("object storage is unreachable")
	// ErrAccessDenied: the object storage refused the credentials or the
	// request (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch).
	ErrAccessDenied = errors.New("access denied by object storage")
)

// Client tuning. Requests fail fast so a drill notices an object-storage
// outage within seconds: a refused connection costs maxRetries attempts
// with sub-second backoff between them; a host that drops packets costs
// maxRetries dial timeouts.
const (
	maxRetries            = 3
	dialTimeout           = 2 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 30 * time.Second
	// partSize is the multipart part size: objects up to this size are one
	// PUT; larger ones (and streams of unknown size that turn out larger)
	// go up in parts of this size, so an upload buffers at most one part.
	partSize = 16 << 20
	// singlePutMax is the largest object of known size sent as one PUT
	// when its reader can seek (a retry rewinds it): a segment goes up in
	// one request, with no part buffers.
	singlePutMax = 128 << 20
)

// ObjectInfo describes one object; Key is relative to the store's prefix.
type ObjectInfo struct {
	Key      string
	Size     int64
	Modified time.Time
	ETag     string
}

// Error is the error every Store method returns: the URL of the object (or
// prefix) concerned, what went wrong, and the underlying error. Its text
// never contains the volume's secret key.
type Error struct {
	// URL is s3://bucket/key of the object or prefix.
	URL string
	// Err is the underlying error (from minio-go, the network or the caller's reader).
	Err  error
	kind error // ErrNotFound, ErrUnreachable, ... or nil
	msg  string
}

func (e *Error) Error() string { return e.URL + ": " + e.msg }

// Unwrap exposes the sentinel (ErrNotFound, ...) and the underlying error.
func (e *Error) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.Err}
	}
	return []error{e.Err}
}

// Store is one storage-volume location (s3://bucket/prefix) opened with the
// volume's properties. It is safe for concurrent use.
type Store struct {
	bucket    string
	prefix    string // no leading or trailing slash; may be empty
	endpoint  string // host[:port], for messages
	secret    string // scrubbed from every error message
	client    *minio.Client
	transport *http.Transport
}

// Open returns the Store of location (s3://bucket/prefix) with the volume
// properties props (the aws.s3.* keys). It checks the configuration but
// does not contact the object storage; Ping does.
//
// aws.s3.endpoint is host[:port] or http://host[:port] for plain HTTP and
// https://host[:port] for TLS (a bare Amazon S3 host name means TLS too);
// with no endpoint the region's Amazon S3 endpoint is used. Buckets are
// addressed path-style unless the endpoint is Amazon S3 or
// aws.s3.enable_path_style_access is false. Credentials are the static
// access/secret key, or with aws.s3.use_instance_profile the EC2/ECS/EKS
// instance role, or with aws.s3.use_aws_sdk_default_behavior the AWS
// environment variables, ~/.aws/credentials and then the instance role.
func Open(ctx context.Context, location string, props map[string]string) (*Store, error) {
	bucket, prefix, err := SplitLocation(location)
	if err != nil {
		return nil, err
	}
	if bucket == "" {
		return nil, fmt.Errorf("invalid location %q: no bucket", location)
	}
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return nil, fmt.Errorf("invalid location %q: %v", location, err)
	}
	s := &Store{bucket: bucket, prefix: prefix, secret: props[PropSecretKey]}
	fail := func(err error) (*Store, error) {
		return nil, fmt.Errorf("storage volume location %s: %s", s.Location(), s.scrub(err.Error()))
	}

	region := strings.TrimSpace(props[PropRegion])
	host, secure, err := parseEndpoint(props[PropEndpoint], region)
	if err != nil {
		return fail(err)
	}
	s.endpoint = host
	aws := isAmazon(host)
	if region == "" && !aws {
		// MinIO and most S3-compatible stores accept any region; naming one
		// avoids a GetBucketLocation round trip before the first request.
		region = "us-east-1"
	}

	lookup := minio.BucketLookupPath
	if aws {
		lookup = minio.BucketLookupAuto
	}
	if v, ok := props[PropPathStyle]; ok && strings.TrimSpace(v) != "" {
		b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v)))
		if err != nil {
			return fail(fmt.Errorf("invalid value %q for %s: must be true or false", v, PropPathStyle))
		}
		if b {
			lookup = minio.BucketLookupPath
		} else {
			lookup = minio.BucketLookupDNS
		}
	}

	creds, err := newCredentials(props)
	if err != nil {
		return fail(err)
	}

	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return fail(err)
	}
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = tlsHandshakeTimeout
	tr.ResponseHeaderTimeout = responseHeaderTimeout
	tr.ExpectContinueTimeout = time.Second
	s.transport = tr

	s.client, err = minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    tr,
		Region:       region,
		BucketLookup: lookup,
		MaxRetries:   maxRetries,
		// A CRC-32C trailer on every upload: the store rejects bytes that
		// changed on the way, before anything can reference them.
		TrailingHeaders: true,
	})
	if err != nil {
		return fail(err)
	}
	s.client.SetAppInfo("minirocks", "1")
	return s, nil
}

// parseEndpoint turns aws.s3.endpoint (and the region when it is empty)
// into host[:port] and whether to use TLS.
func parseEndpoint(endpoint, region string) (host string, secure bool, err error) {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if endpoint == "" {
		if region == "" {
			return "", false, fmt.Errorf("%s and %s cannot both be empty", PropEndpoint, PropRegion)
		}
		host = "s3." + region + ".amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			host += ".cn"
		}
		return host, true, nil
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return "", false, fmt.Errorf("invalid %s %q: %v", PropEndpoint, endpoint, err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http":
		case "https":
			secure = true
		default:
			return "", false, fmt.Errorf("invalid %s %q: scheme must be http or https", PropEndpoint, endpoint)
		}
		if u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", false, fmt.Errorf("invalid %s %q: must be [http[s]://]host[:port]", PropEndpoint, endpoint)
		}
		return u.Host, secure, nil
	}
	if strings.ContainsAny(endpoint, "/?#@ ") {
		return "", false, fmt.Errorf("invalid %s %q: must be [http[s]://]host[:port]", PropEndpoint, endpoint)
	}
	return endpoint, isAmazon(endpoint), nil
}

func isAmazon(host string) bool {
	return s3utils.IsAmazonEndpoint(url.URL{Host: host})
}

// newCredentials picks the credential source the properties ask for.
func newCredentials(props map[string]string) (*credentials.Credentials, error) {
	if props[PropIAMRoleARN] != "" {
		return nil, fmt.Errorf("%s (assume role) is not supported by minirocks; use an access key or the instance profile", PropIAMRoleARN)
	}
	iam := &credentials.IAM{Client: &http.Client{Timeout: 5 * time.Second}}
	switch {
	case isTrue(props[PropUseDefault]):
		return credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
			iam,
		}), nil
	case isTrue(props[PropInstanceProfile]):
		return credentials.New(iam), nil
	}
	ak, sk := props[PropAccessKey], props[PropSecretKey]
	if (ak == "") != (sk == "") {
		return nil, fmt.Errorf("%s and %s must be set together", PropAccessKey, PropSecretKey)
	}
	// Both empty means anonymous requests (a public bucket).
	return credentials.NewStaticV4(ak, sk, ""), nil
}

// Bucket is the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Prefix is the store's prefix inside the bucket, without slashes at
// either end; empty for a whole bucket.
func (s *Store) Prefix() string { return s.prefix }

// Location is s3://bucket/prefix.
func (s *Store) Location() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + s.prefix
}

// URL is the s3:// URL of key, for messages.
func (s *Store) URL(key string) string { return "s3://" + s.bucket + "/" + s.object(key) }

// Close releases idle connections. The Store must not be used afterwards.
func (s *Store) Close() { s.transport.CloseIdleConnections() }

// object is the bucket-relative name of key.
func (s *Store) object(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// relKey turns a bucket-relative object name back into a key.
func (s *Store) relKey(name string) string {
	if s.prefix == "" {
		return name
	}
	return strings.TrimPrefix(name, s.prefix+"/")
}

var errInvalidKey = errors.New("invalid object key")

func (s *Store) checkKey(key string) error {
	switch {
	case key == "":
		return &Error{URL: s.URL(key), Err: errInvalidKey, msg: "invalid object key: empty"}
	case strings.HasPrefix(key, "/"):
		return &Error{URL: s.URL(key), Err: errInvalidKey, msg: fmt.Sprintf("invalid object key %q: starts with /", key)}
	}
	return nil
}

// Ping checks that the bucket exists and the credentials are accepted.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.wrap("", err)
	}
	if !ok {
		return &Error{URL: s.URL(""), Err: ErrBucketNotFound, msg: s.noBucketMsg()}
	}
	return nil
}

// Put stores r as key. size is the exact length, or -1 when unknown; a
// stream longer than one part is uploaded in parts (multipart upload).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		// Read up to one part: a short stream becomes one retryable PUT
		// instead of a three-request multipart upload.
		head, err := io.ReadAll(io.LimitReader(r, partSize+1))
		if err != nil {
			return &Error{URL: s.URL(key), Err: err, msg: "reading the data to upload: " + s.scrub(err.Error())}
		}
		if len(head) <= partSize {
			r, size = bytes.NewReader(head), int64(len(head))
		} else {
			r = io.MultiReader(bytes.NewReader(head), r)
		}
	}
	// A reader that cannot seek is read once; remember its failure so the
	// error blames the data source, not the object storage. (Seekable
	// readers are passed as they are: minio-go retries by seeking.)
	var src *sourceReader
	if _, ok := r.(io.Seeker); !ok {
		src = &sourceReader{r: r}
		r = src
	}
	// The payload is not SHA-256 signed (the signature cost a tenth of a
	// load's CPU); the CRC-32C trailer (TrailingHeaders) guards the
	// transfer, and every object minirocks writes has its own checksums.
	_, err := s.client.PutObject(ctx, s.bucket, s.object(key), r, size, minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		PartSize:             partSize,
		DisableMultipart:     src == nil && size <= singlePutMax,
		DisableContentSha256: true,
	})
	if err != nil && src != nil && src.err != nil {
		return &Error{URL: s.URL(key), Err: src.err, msg: "reading the data to upload: " + s.scrub(src.err.Error())}
	}
	return s.wrap(key, err)
}

// sourceReader records the first error of the reader being uploaded.
type sourceReader struct {
	r   io.Reader
	err error
}

func (sr *sourceReader) Read(p []byte) (int, error) {
	n, err := sr.r.Read(p)
	if err != nil && err != io.EOF && sr.err == nil {
		sr.err = err
	}
	return n, err
}

// PutBytes stores b as key.
func (s *Store) PutBytes(ctx context.Context, key string, b []byte) error {
	return s.Put(ctx, key, bytes.NewReader(b), int64(len(b)))
}

// Get reads the whole object.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	rc, size, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(rc); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != size {
		return nil, &Error{URL: s.URL(key), Err: io.ErrUnexpectedEOF,
			msg: fmt.Sprintf("read %d bytes of an object of %d bytes", buf.Len(), size)}
	}
	return buf.Bytes(), nil
}

// Open starts a streaming read of key and returns the reader and the
// object's size. Read errors are *Error values naming the object.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := s.checkKey(key); err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, s.wrap(key, err)
	}
	st, err := obj.Stat() // sends the GET
	if err != nil {
		obj.Close()
		return nil, 0, s.wrap(key, err)
	}
	return &objectReader{obj: obj, s: s, key: key}, st.Size, nil
}

type objectReader struct {
	obj *minio.Object
	s   *Store
	key string
}

func (r *objectReader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.wrap(r.key, err)
	}
	return n, err
}

func (r *objectReader) Close() error { return r.obj.Close() }

// Stat describes key.
func (s *Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := s.checkKey(key); err != nil {
		return ObjectInfo{}, err
	}
	o, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, s.wrap(key, err)
	}
	return ObjectInfo{Key: key, Size: o.Size, Modified: o.LastModified, ETag: o.ETag}, nil
}

// List returns every object whose key starts with prefix (recursively),
// sorted by key; keys are relative to the store's prefix. An empty prefix
// lists the whole store.
func (s *Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the lister if we return early
	var out []ObjectInfo
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(prefix), Recursive: true}) {
		if o.Err != nil {
			return nil, s.wrap(prefix, o.Err)
		}
		out = append(out, ObjectInfo{Key: s.relKey(o.Key), Size: o.Size, Modified: o.LastModified, ETag: o.ETag})
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes keys in batches (S3 DeleteObjects); keys that do not
// exist are not an error. The first failure is returned.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		if err := s.checkKey(k); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan minio.ObjectInfo)
	go func() {
		defer close(in)
		for _, k := range keys {
			select {
			case in <- minio.ObjectInfo{Key: s.object(k)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var first error
	for e := range s.client.RemoveObjects(ctx, s.bucket, in, minio.RemoveObjectsOptions{}) {
		if first == nil && e.Err != nil {
			first = s.wrap(s.relKey(e.ObjectName), e.Err)
		}
	}
	if first == nil && ctx.Err() != nil {
		first = s.wrap(keys[0], ctx.Err())
	}
	return first
}

// DeletePrefix removes every object under prefix and returns how many it
// removed. An empty prefix empties the whole store (its bucket, when the
// store has no prefix).
func (s *Store) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	if err := s.Delete(ctx, keys...); err != nil {
		return 0, err
	}
	return len(keys), nil
}

// wrap turns an error from minio-go or the network into an *Error naming
// key's URL, with a message that says what happened in plain words.
func (s *Store) wrap(key string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	kind, msg := s.describe(err)
	return &Error{URL: s.URL(key), Err: err, kind: kind, msg: s.scrub(msg)}
}

func (s *Store) noBucketMsg() string {
	return fmt.Sprintf("bucket %s does not exist at object storage %s", s.bucket, s.endpoint)
}

func (s *Store) describe(err error) (kind error, msg string) {
	var er minio.ErrorResponse
	if errors.As(err, &er) && er.Code != "" {
		switch er.Code {
		case minio.NoSuchKey:
			return ErrNotFound, "object does not exist"
		case minio.NoSuchBucket:
			return ErrBucketNotFound, s.noBucketMsg()
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return ErrAccessDenied, fmt.Sprintf("access denied by object storage at %s: %s: %s", s.endpoint, er.Code, er.Error())
		}
		return nil, fmt.Sprintf("object storage at %s: %s: %s", s.endpoint, er.Code, er.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Sprintf("request to object storage at %s: %v", s.endpoint, err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ErrUnreachable, fmt.Sprintf("object storage at %s is unreachable: %v", s.endpoint, dnsErr)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return ErrUnreachable, fmt.Sprintf("object storage at %s is unreachable: %v", s.endpoint, opErr)
	}
	inner := err
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		inner = urlErr.Err // drop `Get "http://...":`, the URL is named already
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return nil, fmt.Sprintf("object storage at %s did not answer in time: %v", s.endpoint, inner)
	}
	return nil, fmt.Sprintf("object storage at %s: %v", s.endpoint, inner)
}

// scrub removes the secret key from a message, wherever it came from.
func (s *Store) scrub(msg string) string {
	if s.secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, s.secret, "******")
}
