package s3proxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/harness/harnesstest"
	"github.com/minirocks/minirocks/harness/s3proxy"
	"github.com/minirocks/minirocks/volume"
)

// fixture is a MinIO with a bucket and a proxy in front of it.
type fixture struct {
	m      *harness.MinIO
	bucket string
	p      *s3proxy.Proxy
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)
	p, err := s3proxy.Start("127.0.0.1:0", m.Endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return &fixture{m: m, bucket: bucket, p: p}
}

// client is a minio-go client that signs for the proxy's address and
// retries retries times.
func (f *fixture) client(t *testing.T, retries int) *minio.Client {
	t.Helper()
	c, err := minio.New(f.p.Addr(), &minio.Options{
		Creds:        credentials.NewStaticV4(f.m.AccessKey, f.m.SecretKey, ""),
		Region:       harness.MinIORegion,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   retries,
	})
	require.NoError(t, err)
	return c
}

// store is the storage-volume client the FE and compute nodes use,
// through the proxy.
func (f *fixture) store(t *testing.T, prefix string) *volume.Store {
	t.Helper()
	props := f.m.VolumeProps()
	props[volume.PropEndpoint] = "http://" + f.p.Addr()
	s, err := volume.Open(context.Background(), f.m.Location(f.bucket, prefix), props)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// TestProxyPassesSignedRequests: both S3 clients authenticate through the
// proxy (signature v4 over the Host they dialled), small and multipart
// uploads stream through and read back intact.
func TestProxyPassesSignedRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, 1)

	small := randomBytes(t, 1000)
	_, err := c.PutObject(ctx, f.bucket, "a/small", bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{})
	require.NoError(t, err)
	// Bigger than one part (16 MiB): a multipart upload, streamed.
	big := randomBytes(t, 20<<20)
	_, err = c.PutObject(ctx, f.bucket, "a/big", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{PartSize: 16 << 20})
	require.NoError(t, err)
	for key, want := range map[string][]byte{"a/small": small, "a/big": big} {
		o, err := c.GetObject(ctx, f.bucket, key, minio.GetObjectOptions{})
		require.NoError(t, err)
		got, err := io.ReadAll(o)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "%s read back through the proxy", key)
	}

	// The FE's and CNs' client: CRC-32C trailers, unsigned payload.
	s := f.store(t, "vol")
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.PutBytes(ctx, "x/y.dat", small))
	require.NoError(t, s.Put(ctx, "x/big.dat", io.NopCloser(bytes.NewReader(big)), -1), "an unseekable stream of unknown size")
	got, err := s.Get(ctx, "x/big.dat")
	require.NoError(t, err)
	require.True(t, bytes.Equal(big, got))

	// A wrong secret is still refused: the proxy does not sign anything.
	bad, err := minio.New(f.p.Addr(), &minio.Options{Creds: credentials.NewStaticV4(f.m.AccessKey, "wrong-secret", ""),
		Region: harness.MinIORegion, BucketLookup: minio.BucketLookupPath, MaxRetries: 1})
	require.NoError(t, err)
	_, err = bad.StatObject(ctx, f.bucket, "a/small", minio.StatObjectOptions{})
	require.Error(t, err)
	require.Equal(t, "SignatureDoesNotMatch", minio.ToErrorResponse(err).Code)
}

// TestProxyFail: a Fail rule answers a proper S3 error that clients
// decode, counts its hits, spares what it does not match, and once
// removed lets requests through.
func TestProxyFail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, 1)
	body := []byte("payload")
	put := func(key string) error {
		_, err := c.PutObject(ctx, f.bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		return err
	}
	id, err := f.p.Add(s3proxy.Rule{Action: s3proxy.Fail, Methods: []string{"PUT"}, KeyGlob: "img/*", Code: "SlowDown"})
	require.NoError(t, err)
	err = put("img/one")
	require.Error(t, err)
	er := minio.ToErrorResponse(err)
	require.Equal(t, "SlowDown", er.Code)
	require.Equal(t, http.StatusServiceUnavailable, er.StatusCode)
	require.Equal(t, "Please reduce your request rate.", er.Message)
	require.Equal(t, "img/one", er.Key)
	require.NoError(t, put("other/one"), "a key the glob does not match")
	_, err = c.StatObject(ctx, f.bucket, "other/one", minio.StatObjectOptions{})
	require.NoError(t, err, "a method the rule does not name")
	h, _ := f.p.Hits(id)
	require.Equal(t, 1, h.Count)
	require.Equal(t, []string{"img/one"}, h.Keys)
	require.True(t, f.p.Remove(id))
	require.NoError(t, put("img/one"))

	// The storage-volume client retries an InternalError (3 attempts):
	// failing the first 2 requests delays the upload, 3 fail it with the
	// code in its message.
	s := f.store(t, "vol")
	id2, err := f.p.Add(s3proxy.Rule{Action: s3proxy.Fail, Methods: []string{"PUT"}, KeyContains: "/meta/", First: 2})
	require.NoError(t, err)
	require.NoError(t, s.PutBytes(ctx, "svc/meta/a", body))
	h, _ = f.p.Hits(id2)
	require.Equal(t, 2, h.Count)
	id3, err := f.p.Add(s3proxy.Rule{Action: s3proxy.Fail, Methods: []string{"PUT"}, KeyContains: "/meta/", First: 3})
	require.NoError(t, err)
	err = s.PutBytes(ctx, "svc/meta/b", body)
	require.Error(t, err)
	require.Contains(t, err.Error(), "InternalError")
	require.Contains(t, err.Error(), "We encountered an internal error")
	h, _ = f.p.Hits(id3)
	require.Equal(t, 3, h.Count, "one hit per attempt")
	f.p.Clear()
	require.Empty(t, f.p.Rules())
	require.NoError(t, s.PutBytes(ctx, "svc/meta/b", body))
}

// TestProxyDropAndDown: Drop resets the connection of the requests it
// matches; Down does it to every request while MinIO keeps running.
func TestProxyDropAndDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, 1)
	_, err := c.PutObject(ctx, f.bucket, "k", bytes.NewReader([]byte("v")), 1, minio.PutObjectOptions{})
	require.NoError(t, err)

	id, err := f.p.Add(s3proxy.Rule{Action: s3proxy.Drop, Methods: []string{"HEAD"}})
	require.NoError(t, err)
	_, err = c.StatObject(ctx, f.bucket, "k", minio.StatObjectOptions{})
	require.Error(t, err)
	require.True(t, connectionError(err), "a connection-level failure, not an S3 answer: %v", err)
	f.p.Remove(id)
	_, err = c.StatObject(ctx, f.bucket, "k", minio.StatObjectOptions{})
	require.NoError(t, err)

	f.p.Down(true)
	require.True(t, f.p.IsDown())
	_, err = c.StatObject(ctx, f.bucket, "k", minio.StatObjectOptions{})
	require.Error(t, err)
	require.True(t, connectionError(err), "%v", err)
	s := f.store(t, "")
	err = s.Ping(ctx)
	require.Error(t, err)
	require.True(t, f.m.Running(), "MinIO itself still runs")
	f.p.Down(false)
	require.NoError(t, s.Ping(ctx))
}

// connectionError tells an error of the connection (reset, EOF) from an
// answer of the server.
func connectionError(err error) bool {
	var ne net.Error
	var op *net.OpError
	return minio.ToErrorResponse(err).Code == "" &&
		(errors.As(err, &ne) || errors.As(err, &op) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF))
}

// TestProxyDelay: a Delay rule holds the request, then passes it on; a
// client that gives up meanwhile never reaches the storage.
func TestProxyDelay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, 1)
	body := []byte("held")
	id, err := f.p.Add(s3proxy.Rule{Action: s3proxy.Delay, Methods: []string{"PUT"}, KeyGlob: "slow/*", Delay: 500 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = c.PutObject(ctx, f.bucket, "slow/a", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
	f.p.Remove(id)

	id, err = f.p.Add(s3proxy.Rule{Action: s3proxy.Delay, Methods: []string{"PUT"}, KeyGlob: "slow/*", Delay: time.Hour})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := c.PutObject(cctx, f.bucket, "slow/b", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		done <- err
	}()
	harnesstest.WaitFor(t, 10*time.Second, func() error {
		if h, _ := f.p.Hits(id); h.Count == 0 {
			return errors.New("the upload has not reached the proxy")
		}
		return nil
	})
	cancel()
	require.Error(t, <-done)
	f.p.Remove(id)
	direct, err := minio.New(f.m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(f.m.AccessKey, f.m.SecretKey, ""),
		Region: harness.MinIORegion, BucketLookup: minio.BucketLookupPath})
	require.NoError(t, err)
	_, err = direct.StatObject(ctx, f.bucket, "slow/b", minio.StatObjectOptions{})
	require.Equal(t, "NoSuchKey", minio.ToErrorResponse(err).Code, "the abandoned upload never reached MinIO")
}
