package volume_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness/harnesstest"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// These tests run against a real MinIO the test starts (harnesstest.StartMinIO);
// every test has its own MinIO or at least its own bucket, so they run in
// parallel.

func openStore(t *testing.T, location string, props map[string]string) *volume.Store {
	t.Helper()
	s, err := volume.Open(context.Background(), location, props)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func objectKeys(objs []volume.ObjectInfo) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// onlyReader hides Seek/ReadAt so the client cannot learn the length.
type onlyReader struct{ io.Reader }

func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)
	s := openStore(t, m.Location(bucket, "/lake/v1/"), m.VolumeProps())
	require.Equal(t, bucket, s.Bucket())
	require.Equal(t, "lake/v1", s.Prefix())
	require.Equal(t, "s3://"+bucket+"/lake/v1", s.Location())
	require.Equal(t, "s3://"+bucket+"/lake/v1/svc/db1/2/3/data/x.dat", s.URL(layout.Key("svc", layout.PartitionDir(1, 2, 3), "")+"data/x.dat"))
	require.NoError(t, s.Ping(ctx))

	before := time.Now().Add(-time.Minute)
	require.NoError(t, s.PutBytes(ctx, "a/2", []byte("two")))
	require.NoError(t, s.PutBytes(ctx, "a/1", []byte("one")))
	require.NoError(t, s.PutBytes(ctx, "b/x", nil)) // empty object
	require.NoError(t, s.Put(ctx, "a/sub/3", strings.NewReader("three!"), 6))
	require.NoError(t, s.Put(ctx, "c", onlyReader{strings.NewReader("unknown size")}, -1))

	got, err := s.Get(ctx, "a/1")
	require.NoError(t, err)
	require.Equal(t, "one", string(got))
	got, err = s.Get(ctx, "b/x")
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = s.Get(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, "unknown size", string(got))

	rc, size, err := s.Open(ctx, "a/sub/3")
	require.NoError(t, err)
	require.EqualValues(t, 6, size)
	body, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, "three!", string(body))

	st, err := s.Stat(ctx, "a/2")
	require.NoError(t, err)
	require.Equal(t, "a/2", st.Key)
	require.EqualValues(t, 3, st.Size)
	require.NotEmpty(t, st.ETag)
	require.False(t, strings.Contains(st.ETag, `"`), st.ETag)
	require.True(t, st.Modified.After(before), st.Modified)

	// Overwrite replaces.
	require.NoError(t, s.PutBytes(ctx, "a/2", []byte("TWO")))
	got, err = s.Get(ctx, "a/2")
	require.NoError(t, err)
	require.Equal(t, "TWO", string(got))

	all, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"a/1", "a/2", "a/sub/3", "b/x", "c"}, objectKeys(all))
	require.EqualValues(t, 3, all[1].Size)
	require.NotEmpty(t, all[1].ETag)
	aa, err := s.List(ctx, "a/")
	require.NoError(t, err)
	require.Equal(t, []string{"a/1", "a/2", "a/sub/3"}, objectKeys(aa))
	none, err := s.List(ctx, "zzz/")
	require.NoError(t, err)
	require.Empty(t, none)

	// The objects really live under the prefix in the bucket.
	root := openStore(t, "s3://"+bucket, m.VolumeProps())
	rootAll, err := root.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"lake/v1/a/1", "lake/v1/a/2", "lake/v1/a/sub/3", "lake/v1/b/x", "lake/v1/c"}, objectKeys(rootAll))

	// Delete in a batch; a missing key is fine.
	require.NoError(t, s.Delete(ctx, "a/1", "no/such/key"))
	require.NoError(t, s.Delete(ctx))
	_, err = s.Get(ctx, "a/1")
	require.ErrorIs(t, err, volume.ErrNotFound)

	n, err := s.DeletePrefix(ctx, "a/")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	rest, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"b/x", "c"}, objectKeys(rest))
	n, err = s.DeletePrefix(ctx, "")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	rest, err = s.List(ctx, "")
	require.NoError(t, err)
	require.Empty(t, rest)
	n, err = s.DeletePrefix(ctx, "")
	require.NoError(t, err)
	require.Zero(t, n)

	// Keys are checked.
	for _, bad := range []string{"", "/abs"} {
		err := s.PutBytes(ctx, bad, []byte("x"))
		require.Error(t, err)
		require.Contains(t, err.Error(), "invalid object key")
	}
}

func TestStoreMultipartPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	s := openStore(t, m.Location(harnesstest.NewBucket(t, m), "mp"), m.VolumeProps())

	// 37 MiB of unknown length: three parts of at most 16 MiB.
	data := randomBytes(t, 37<<20+123)
	require.NoError(t, s.Put(ctx, "big/unknown", onlyReader{bytes.NewReader(data)}, -1))
	st, err := s.Stat(ctx, "big/unknown")
	require.NoError(t, err)
	require.EqualValues(t, len(data), st.Size)
	require.True(t, strings.HasSuffix(st.ETag, "-3"), "multipart ETag ends in -<parts>: %s", st.ETag)
	got, err := s.Get(ctx, "big/unknown")
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(data), sha256.Sum256(got))

	// Known length above one part goes up in parts too.
	require.NoError(t, s.Put(ctx, "big/known", bytes.NewReader(data[:20<<20]), 20<<20))
	rc, size, err := s.Open(ctx, "big/known")
	require.NoError(t, err)
	require.EqualValues(t, 20<<20, size)
	h := sha256.New()
	_, err = io.Copy(h, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, sha256.Sum256(data[:20<<20]), [32]byte(h.Sum(nil)))

	// A reader that fails mid-stream fails the upload and leaves nothing.
	err = s.Put(ctx, "big/broken", onlyReader{io.MultiReader(bytes.NewReader(data[:17<<20]), errReader{})}, -1)
	require.Error(t, err)
	require.Contains(t, err.Error(), s.URL("big/broken"))
	require.Equal(t, s.URL("big/broken")+": reading the data to upload: disk on fire", err.Error())
	_, err = s.Stat(ctx, "big/broken")
	require.ErrorIs(t, err, volume.ErrNotFound)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestStoreNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)
	s := openStore(t, m.Location(bucket, "p"), m.VolumeProps())

	_, err := s.Get(ctx, "missing/key")
	require.ErrorIs(t, err, volume.ErrNotFound)
	require.Equal(t, "s3://"+bucket+"/p/missing/key: object does not exist", err.Error())
	var se *volume.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "s3://"+bucket+"/p/missing/key", se.URL)

	_, _, err = s.Open(ctx, "missing/key")
	require.ErrorIs(t, err, volume.ErrNotFound)
	_, err = s.Stat(ctx, "missing/key")
	require.ErrorIs(t, err, volume.ErrNotFound)
	require.Contains(t, err.Error(), "s3://"+bucket+"/p/missing/key")
	require.NoError(t, s.Delete(ctx, "missing/key"))

	// A bucket that does not exist is its own error.
	nb := openStore(t, "s3://no-such-bucket-"+strings.ToLower(t.Name())+"/p", m.VolumeProps())
	err = nb.Ping(ctx)
	require.ErrorIs(t, err, volume.ErrBucketNotFound)
	require.NotErrorIs(t, err, volume.ErrNotFound)
	require.Contains(t, err.Error(), "bucket no-such-bucket-")
	_, err = nb.Get(ctx, "k")
	require.ErrorIs(t, err, volume.ErrBucketNotFound)
	require.Contains(t, err.Error(), nb.URL("k")+": bucket no-such-bucket-")
	_, err = nb.List(ctx, "")
	require.ErrorIs(t, err, volume.ErrBucketNotFound)
	err = nb.PutBytes(ctx, "k", []byte("x"))
	require.ErrorIs(t, err, volume.ErrBucketNotFound)
}

// requireNoSecret fails when err's text contains the secret.
func requireNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	require.Error(t, err)
	require.NotContains(t, err.Error(), secret)
}

func TestStoreUnreachableFailsFast(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A reserved loopback host nobody listens on: connections are refused.
	host := harnesstest.ReserveHost(t).Addr + ":9000"
	secret := "unreachable-SECRET-" + t.Name()
	for _, endpoint := range []string{host, "http://" + host} {
		s := openStore(t, "s3://bkt/pre", map[string]string{
			volume.PropEndpoint:  endpoint,
			volume.PropAccessKey: "ak",
			volume.PropSecretKey: secret,
		})
		ops := map[string]func() error{
			"get":    func() error { _, err := s.Get(ctx, "k"); return err },
			"open":   func() error { _, _, err := s.Open(ctx, "k"); return err },
			"stat":   func() error { _, err := s.Stat(ctx, "k"); return err },
			"put":    func() error { return s.PutBytes(ctx, "k", []byte("x")) },
			"putstr": func() error { return s.Put(ctx, "k", onlyReader{strings.NewReader("x")}, -1) },
			"list":   func() error { _, err := s.List(ctx, "k"); return err },
			"delete": func() error { return s.Delete(ctx, "k") },
			"prefix": func() error { _, err := s.DeletePrefix(ctx, "k"); return err },
			"ping":   func() error { return s.Ping(ctx) },
		}
		t.Run(endpoint, func(t *testing.T) {
			t.Parallel()
			for name, op := range ops {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					start := time.Now()
					err := op()
					took := time.Since(start)
					requireNoSecret(t, err, secret)
					require.Less(t, took, 5*time.Second, "%s took %s", name, took)
					require.ErrorIs(t, err, volume.ErrUnreachable, name)
					want := "s3://bkt/pre/k: object storage at " + host + " is unreachable: dial tcp " + host + ": connect: connection refused"
					if name == "ping" {
						want = strings.Replace(want, "/pre/k:", "/pre/:", 1)
					}
					require.Equal(t, want, err.Error(), name)
					t.Logf("%s failed in %s: %v", name, took.Round(time.Millisecond), err)
				})
			}
		})
	}
}

func TestStoreBadCredentialsNeverShowSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	bucket := harnesstest.NewBucket(t, m)

	wrong := maps.Clone(m.VolumeProps())
	wrong[volume.PropSecretKey] = "wrong-SECRET-" + t.Name()
	s := openStore(t, m.Location(bucket, "p"), wrong)
	for _, err := range []error{
		s.PutBytes(ctx, "k", []byte("x")),
		func() error { _, err := s.Get(ctx, "k"); return err }(),
		func() error { _, err := s.List(ctx, ""); return err }(),
		s.Ping(ctx),
	} {
		requireNoSecret(t, err, wrong[volume.PropSecretKey])
		requireNoSecret(t, err, m.SecretKey)
		require.ErrorIs(t, err, volume.ErrAccessDenied)
		require.Contains(t, err.Error(), "access denied by object storage at "+m.Endpoint)
		require.Contains(t, err.Error(), "s3://"+bucket+"/p/")
	}

	// Configuration errors name the location, never the secret.
	for _, props := range []map[string]string{
		{volume.PropEndpoint: "ftp://" + m.Endpoint, volume.PropSecretKey: m.SecretKey, volume.PropAccessKey: "a"},
		{volume.PropEndpoint: m.Endpoint, volume.PropSecretKey: m.SecretKey},
		{volume.PropEndpoint: m.Endpoint + "/path", volume.PropSecretKey: m.SecretKey, volume.PropAccessKey: "a"},
		{volume.PropSecretKey: m.SecretKey, volume.PropAccessKey: "a"},
		{volume.PropEndpoint: m.Endpoint, volume.PropIAMRoleARN: "arn:aws:iam::1:role/x", volume.PropInstanceProfile: "true"},
	} {
		_, err := volume.Open(ctx, "s3://"+bucket+"/p", props)
		requireNoSecret(t, err, m.SecretKey)
		require.Contains(t, err.Error(), "storage volume location s3://"+bucket+"/p: ")
	}
	for _, loc := range []string{"", "bucket/p", "s3://", "s3:///p", "s3://Bad_Bucket/p"} {
		_, err := volume.Open(ctx, loc, m.VolumeProps())
		require.Error(t, err, loc)
	}
}

func TestStoreOutageHeals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	s := openStore(t, m.Location(harnesstest.NewBucket(t, m), "heal"), m.VolumeProps())
	require.NoError(t, s.PutBytes(ctx, "before", []byte("survives")))

	require.NoError(t, m.Stop())
	start := time.Now()
	_, err := s.Get(ctx, "before")
	require.ErrorIs(t, err, volume.ErrUnreachable)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Contains(t, err.Error(), s.URL("before")+": object storage at "+m.Endpoint+" is unreachable")
	requireNoSecret(t, err, m.SecretKey)
	require.ErrorIs(t, s.PutBytes(ctx, "during", []byte("x")), volume.ErrUnreachable)

	require.NoError(t, m.Start(ctx))
	got, err := s.Get(ctx, "before") // the same Store works again
	require.NoError(t, err)
	require.Equal(t, "survives", string(got))
	require.NoError(t, s.PutBytes(ctx, "after", []byte("y")))

	// kill -9 and back: acknowledged writes are still there.
	m.Kill()
	_, err = s.Stat(ctx, "after")
	require.ErrorIs(t, err, volume.ErrUnreachable)
	require.NoError(t, m.Start(ctx))
	all, err := s.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"after", "before"}, objectKeys(all))
}

func TestStoreBucketAndPrefixIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	b1, b2 := harnesstest.NewBucket(t, m), harnesstest.NewBucket(t, m)
	require.NotEqual(t, b1, b2)
	s1 := openStore(t, m.Location(b1, ""), m.VolumeProps())
	s2 := openStore(t, m.Location(b2, ""), m.VolumeProps())
	require.NoError(t, s1.PutBytes(ctx, "k", []byte("in b1")))
	_, err := s2.Get(ctx, "k")
	require.ErrorIs(t, err, volume.ErrNotFound)

	// Prefixes p and p2 of one bucket do not see each other's objects,
	// even though "p" is a string prefix of "p2".
	p := openStore(t, m.Location(b1, "p"), m.VolumeProps())
	p2 := openStore(t, m.Location(b1, "p2"), m.VolumeProps())
	require.NoError(t, p.PutBytes(ctx, "x", []byte("p")))
	require.NoError(t, p2.PutBytes(ctx, "x", []byte("p2")))
	l, err := p.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, objectKeys(l))
	n, err := p.DeletePrefix(ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, err := p2.Get(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, "p2", string(got))
	got, err = s1.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "in b1", string(got))
}

func TestStoreParallelClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := harnesstest.StartMinIO(t)
	s := openStore(t, m.Location(harnesstest.NewBucket(t, m), "par"), m.VolumeProps())
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			key := layout.Key("svc", layout.PartitionDir(1, 2, int64(i)), "") + "data/seg"
			want := bytes.Repeat([]byte{byte(i)}, 1000+i)
			if err := s.PutBytes(ctx, key, want); err != nil {
				errs <- err
				return
			}
			got, err := s.Get(ctx, key)
			if err == nil && !bytes.Equal(got, want) {
				err = errors.New("wrong bytes for " + key)
			}
			errs <- err
		}()
	}
	for range 16 {
		require.NoError(t, <-errs)
	}
	all, err := s.List(ctx, "svc/")
	require.NoError(t, err)
	require.Len(t, all, 16)
}
