package harness

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/volume"
)

func TestMinIOBinary(t *testing.T) {
	bin, err := MinIOBinary()
	require.NoError(t, err)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "minio version")
}

func minioLive(m *MinIO) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + m.Endpoint + "/minio/health/live")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestMinIOLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Now()
	m := StartMinIO(t)
	t.Logf("MinIO %s ready in %s", m.Endpoint, time.Since(start).Round(time.Millisecond))
	require.True(t, m.Running())
	require.True(t, minioLive(m))
	require.Equal(t, m.Host+":"+strconv.Itoa(minioPort), m.Endpoint, "port 9000 on a fresh host")
	require.Regexp(t, `^mrsecret-[0-9a-f]{32}$`, m.SecretKey)
	require.FileExists(t, filepath.Join(m.Dir, "minio.log"))
	require.DirExists(t, filepath.Join(m.Dir, "data", ".minio.sys"))

	props := m.VolumeProps()
	require.NoError(t, volume.CheckProperties(props, true))
	require.Equal(t, "http://"+m.Endpoint, props[volume.PropEndpoint])
	require.Equal(t, "us-east-1", props[volume.PropRegion])
	require.Equal(t, "true", props[volume.PropPathStyle])

	// The secret is in MinIO's environment, not its command line.
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(m.cmd.Process.Pid) + "/cmdline")
	require.NoError(t, err)
	require.NotContains(t, string(cmdline), m.SecretKey)

	// Buckets: names are valid, unique per call, and a duplicate is refused.
	b1, b2 := newBucket(t, m), newBucket(t, m)
	require.NotEqual(t, b1, b2)
	for _, b := range []string{b1, b2} {
		require.Regexp(t, regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`), b)
		require.True(t, strings.HasPrefix(b, "testminiolifecycle-"), b)
	}
	err = m.CreateBucket(ctx, b1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "create bucket "+b1)
	require.NotContains(t, err.Error(), m.SecretKey)

	s, err := volume.Open(ctx, m.Location(b1, "x"), props)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutBytes(ctx, "k", []byte("v")))

	// Stop: a clean outage. Start heals it on the same address and data.
	require.ErrorContains(t, m.Start(ctx), "already running")
	stop := time.Now()
	require.NoError(t, m.Stop())
	t.Logf("stopped in %s", time.Since(stop).Round(time.Millisecond))
	require.False(t, m.Running())
	require.False(t, minioLive(m))
	require.NoError(t, m.Stop(), "stopping a stopped MinIO is fine")
	require.NoError(t, m.Start(ctx))
	got, err := s.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v", string(got))

	// Kill -9 and start again.
	m.Kill()
	require.False(t, m.Running())
	require.NoError(t, m.Start(ctx))
	require.True(t, minioLive(m))
	require.NoError(t, s.Ping(ctx))

	log, err := os.ReadFile(filepath.Join(m.Dir, "minio.log"))
	require.NoError(t, err)
	require.NotContains(t, string(log), m.SecretKey)
	require.Equal(t, 3, strings.Count(string(log), "starting MinIO on "+m.Endpoint))
}

func TestMinIOParallelInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := StartMinIO(t), StartMinIO(t)
	require.NotEqual(t, a.Host, b.Host)
	require.NotEqual(t, a.SecretKey, b.SecretKey)

	ba := newBucket(t, a)
	sa, err := volume.Open(ctx, a.Location(ba, ""), a.VolumeProps())
	require.NoError(t, err)
	defer sa.Close()
	require.NoError(t, sa.PutBytes(ctx, "k", []byte("a")))

	// The same bucket name on the other MinIO does not exist, and a's
	// credentials do not work there.
	sb, err := volume.Open(ctx, b.Location(ba, ""), b.VolumeProps())
	require.NoError(t, err)
	defer sb.Close()
	require.ErrorIs(t, sb.Ping(ctx), volume.ErrBucketNotFound)
	wrong := a.VolumeProps()
	wrong[volume.PropEndpoint] = "http://" + b.Endpoint
	sw, err := volume.Open(ctx, a.Location(ba, ""), wrong)
	require.NoError(t, err)
	defer sw.Close()
	require.ErrorIs(t, sw.Ping(ctx), volume.ErrAccessDenied)

	// Stopping one leaves the other serving.
	require.NoError(t, b.Stop())
	got, err := sa.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "a", string(got))
}

func TestMinIOOnGivenHost(t *testing.T) {
	t.Parallel()
	h := ReserveTestHost(t)
	// Something else already holds 9000 on this host: MinIO takes another port.
	l, err := net.Listen("tcp", h.Addr+":9000")
	require.NoError(t, err)
	defer l.Close()

	m, err := LaunchMinIO(t.TempDir(), "", h.Addr)
	require.NoError(t, err)
	defer m.Close()
	require.Equal(t, h.Addr, m.Host)
	require.NotEqual(t, h.Addr+":9000", m.Endpoint)
	require.True(t, strings.HasPrefix(m.Endpoint, h.Addr+":"), m.Endpoint)
	require.True(t, minioLive(m))
	m.Close()
	require.False(t, m.Running())
	require.NotNil(t, h.lock, "a host the caller chose is not released by Close")
}

func TestMinIOBadBinary(t *testing.T) {
	t.Parallel()
	_, err := LaunchMinIO(t.TempDir(), "/bin/false", "")
	require.Error(t, err)
	require.Contains(t, err.Error(), "exited")
	require.Contains(t, err.Error(), "before it was ready")
}
