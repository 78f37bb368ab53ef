package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minirocks/minirocks/internal/poll"
	"github.com/stretchr/testify/require"
)

func TestMuxRoutesByTag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m := NewMux(ln)
	defer m.Close()
	addr := ln.Addr().String()

	tags := []byte{TagRaft, TagRPC}
	for _, tag := range tags {
		l := m.Listener(tag)
		require.Equal(t, addr, l.Addr().String())
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				_, _ = c.Write([]byte{tag})
				c.Close()
			}
		}()
	}
	for _, tag := range tags {
		t.Run(fmt.Sprintf("tag %c", tag), func(t *testing.T) {
			c, err := m.Dial(addr, tag, time.Second)
			require.NoError(t, err)
			defer c.Close()
			b, err := io.ReadAll(c)
			require.NoError(t, err)
			require.Equal(t, []byte{tag}, b)
		})
	}
	t.Run("unknown tag is dropped", func(t *testing.T) {
		c, err := m.Dial(addr, 'Z', time.Second)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		b, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Empty(t, b)
	})
	t.Run("closed sub-listener", func(t *testing.T) {
		l := m.Listener('Q')
		require.NoError(t, l.Close())
		_, err := l.Accept()
		require.ErrorIs(t, err, net.ErrClosed)
		require.NotSame(t, l, m.Listener('Q'))
	})
}

func TestSingleNodeProposeReopen(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil)
	n.start()
	defer n.stop()
	n.waitReady()
	require.True(t, n.j.IsLeader())
	leaderCh := n.j.LeaderChanges()
	require.True(t, <-leaderCh, "a subscription starts with the current state")
	id, addr := n.j.Leader()
	require.Equal(t, "fe1", id)
	require.Equal(t, n.addr, addr)

	// Results come back from Apply, journal ids increase.
	ctx := context.Background()
	res, id1, err := n.j.Propose(ctx, Op{Type: opPut, Version: 1, Data: []byte(`{"k":"first"}`)})
	require.NoError(t, err)
	require.Equal(t, int64(1), res)
	res, id2, err := n.j.Propose(ctx, Op{Type: opPut, Data: []byte("a")}, Op{Type: opStarMgr, Data: []byte("b")})
	require.NoError(t, err)
	require.Equal(t, int64(3), res)
	require.Greater(t, id2, id1)
	require.Equal(t, id2, n.j.AppliedID())

	last := proposeN(t, n.j, 300, 8, "a")
	require.GreaterOrEqual(t, n.j.AppliedID(), last)
	want := n.sm.digest()
	require.True(t, strings.HasPrefix(want, "303 ops/"), want)
	servers, err := n.j.Servers()
	require.NoError(t, err)
	require.Equal(t, []Server{{ID: "fe1", Addr: n.addr, Voter: true}}, servers)

	n.stop()
	_, open := <-leaderCh
	require.False(t, open, "subscriptions close with the journal")
	has, err := HasState(n.dir)
	require.NoError(t, err)
	require.True(t, has)

	n.start()
	n.waitReady()
	require.Equal(t, want, n.sm.digest())
	require.GreaterOrEqual(t, n.j.AppliedID(), last)
	_, id3, err := n.j.Propose(ctx, Op{Type: opPut, Data: []byte("after")})
	require.NoError(t, err)
	require.Greater(t, id3, last)
	st := n.j.Stats()
	require.Equal(t, "Leader", st.State)
	require.Equal(t, id3, st.AppliedID)
	require.GreaterOrEqual(t, st.CommitIndex, id3)
}

func TestHasStateEmpty(t *testing.T) {
	has, err := HasState(t.TempDir())
	require.NoError(t, err)
	require.False(t, has)
}

func TestLockSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	n := newNode(t, "fe1", dir, nil)
	n.start()
	defer n.stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m := NewMux(ln)
	defer m.Close()
	start := time.Now()
	_, err = Open(Config{MetaDir: dir, NodeID: "fe1", Stream: m.Stream(TagRaft), Bootstrap: true}, &testSM{})
	require.ErrorIs(t, err, ErrMetaDirLocked)
	require.Less(t, time.Since(start), time.Second)
	require.Contains(t, err.Error(), dir)
	require.Contains(t, err.Error(), "process "+strconv.Itoa(os.Getpid()))
	pid, err := os.ReadFile(filepath.Join(dir, "lock"))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(os.Getpid()), strings.TrimSpace(string(pid)))
}

func TestCheckpointAndRestart(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) {
		c.RollNum = 40
		c.ImagesRetained = 2
	})
	n.start()
	defer n.stop()
	n.waitReady()

	proposeN(t, n.j, 100, 1, "a")
	poll.For(t, 10*time.Second, func() error {
		if n.j.ImageID() == 0 {
			return fmt.Errorf("no image yet at applied id %d", n.j.AppliedID())
		}
		return nil
	})
	proposeN(t, n.j, 100, 4, "b")
	poll.For(t, 10*time.Second, func() error {
		if applied, image := n.j.AppliedID(), n.j.ImageID(); applied-image >= 40 {
			return fmt.Errorf("applied id %d, newest image %d: RollNum 40 passed without a checkpoint", applied, image)
		}
		return nil
	})

	img, err := n.j.Checkpoint(context.Background())
	require.NoError(t, err)
	forced := img.JournalID
	require.Equal(t, n.j.ImageID(), forced)
	imgs, err := ListImages(n.dir)
	require.NoError(t, err)
	require.Len(t, imgs, 2, "retention keeps two images")
	require.Equal(t, forced, imgs[0].JournalID)
	require.NoError(t, imgs[0].Err)
	require.Equal(t, forced, imgs[0].Header.FEJournalID)
	require.Greater(t, imgs[0].JournalID, imgs[1].JournalID)

	last := proposeN(t, n.j, 25, 1, "c")
	want := n.sm.digest()
	n.stop()

	n.start()
	n.waitReady()
	require.Equal(t, want, n.sm.digest())
	require.Equal(t, forced, n.sm.restoredFrom(), "restart loads the newest image")
	require.Equal(t, 25, n.sm.calls(), "then replays only the log after it")
	require.GreaterOrEqual(t, n.j.AppliedID(), last)
	require.Equal(t, forced, n.j.ImageID())
}

func TestImageFileVerifies(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil)
	n.start()
	defer n.stop()
	n.waitReady()
	proposeN(t, n.j, 50, 1, "a") // k%5==0 -> 10 StarMgr ops
	info, err := n.j.Checkpoint(context.Background())
	require.NoError(t, err)
	id := info.JournalID
	require.Equal(t, n.j.AppliedID(), id)

	path := filepath.Join(n.dir, "image", "image."+strconv.FormatUint(id, 10))
	require.Equal(t, path, info.Path)
	h, body, err := OpenImage(path)
	require.NoError(t, err)
	var img testImage
	require.NoError(t, json.NewDecoder(body).Decode(&img))
	rest, err := io.ReadAll(body)
	require.NoError(t, err)
	require.Empty(t, rest, "body ends where the footer starts")
	require.NoError(t, body.Close())
	require.Equal(t, ImageFormatVersion, h.FormatVersion)
	require.Equal(t, id, h.FEJournalID)
	require.Equal(t, uint64(10), h.JournalIDs["starmgr"])
	require.Len(t, img.Ops, 50)
	require.WithinDuration(t, time.Now(), h.Created, time.Minute)
	require.NotZero(t, h.Term)
	require.Equal(t, []Server{{ID: "fe1", Addr: n.addr, Voter: true}}, h.Servers)

	// Flip one byte anywhere: the checksum catches it.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, off := range []int{0, len(raw) / 2, len(raw) - 30, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[off] ^= 0x40
		p := filepath.Join(t.TempDir(), "image.x")
		require.NoError(t, os.WriteFile(p, bad, 0o644))
		_, _, err := OpenImage(p)
		require.ErrorIs(t, err, ErrCorruptImage, "offset %d", off)
	}
	// A truncated file too.
	p := filepath.Join(t.TempDir(), "image.y")
	require.NoError(t, os.WriteFile(p, raw[:len(raw)-5], 0o644))
	_, _, err = OpenImage(p)
	require.ErrorIs(t, err, ErrCorruptImage)
}

func TestCorruptImageFallsBack(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) { c.ImagesRetained = 2 })
	n.start()
	defer n.stop()
	n.waitReady()
	ctx := context.Background()

	var images []uint64
	for i := 0; i < 3; i++ {
		proposeN(t, n.j, 300, 16, fmt.Sprint("r", i))
		img, err := n.j.Checkpoint(ctx)
		require.NoError(t, err)
		images = append(images, img.JournalID)
	}
	// Trailing-logs rule: the log was trimmed, but never past the oldest
	// retained image (images[1]).
	st := n.j.Stats()
	require.Greater(t, st.FirstIndex, uint64(1), "log was compacted")
	require.LessOrEqual(t, st.FirstIndex, images[1]+1, "log after the oldest retained image is kept")
	imgs, err := ListImages(n.dir)
	require.NoError(t, err)
	require.Len(t, imgs, 2)

	last := proposeN(t, n.j, 40, 4, "tail")
	want := n.sm.digest()
	n.stop()

	newest := filepath.Join(n.dir, "image", "image."+strconv.FormatUint(images[2], 10))
	raw, err := os.ReadFile(newest)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 0xFF
	require.NoError(t, os.WriteFile(newest, raw, 0o644))

	n.start()
	n.waitReady()
	require.Equal(t, want, n.sm.digest(), "older image + log gives the same state")
	require.Equal(t, images[1], n.sm.restoredFrom())
	require.GreaterOrEqual(t, n.j.AppliedID(), last)
	require.Equal(t, images[1], n.j.ImageID())
	require.Contains(t, n.logs.String(),
		fmt.Sprintf("image %s is corrupt (checksum mismatch); falling back to an older image", newest))
	require.Contains(t, n.logs.String(), "level=WARN")
	_, err = os.Stat(newest + ".corrupt")
	require.NoError(t, err, "corrupt image is moved aside")

	// The next checkpoint works and retention applies again.
	proposeN(t, n.j, 10, 1, "more")
	img, err := n.j.Checkpoint(ctx)
	require.NoError(t, err)
	require.Greater(t, img.JournalID, images[2])
}

func TestTornTempImageRemoved(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "image"), 0o755))
	torn := filepath.Join(dir, "image", "image.77.123456.tmp")
	require.NoError(t, os.WriteFile(torn, []byte("MRIMAGE\n partial"), 0o644))
	n := newNode(t, "fe1", dir, nil)
	n.start()
	defer n.stop()
	_, err := os.Stat(torn)
	require.ErrorIs(t, err, os.ErrNotExist)
	n.waitReady()
	require.Zero(t, n.j.ImageID())
}

func TestNoBootstrapWaitsToBeAdded(t *testing.T) {
	n := newNode(t, "fe9", t.TempDir(), func(c *Config) { c.Bootstrap = false })
	n.start()
	defer n.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, n.j.WaitReady(ctx), context.DeadlineExceeded)
	_, _, err := n.j.Propose(context.Background(), Op{Type: opPut})
	require.ErrorIs(t, err, ErrNotLeader)
	require.False(t, n.j.IsLeader())
}

// TestImageDirKeepsOtherFiles: meta/image/ also holds the FE's VERSION and
// ROLE (as in StarRocks); they are no state of the journal, and neither
// start-up nor image retention touches them.
func TestImageDirKeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "image"), 0o755))
	files := map[string]string{"VERSION": "clusterId=1\n", "ROLE": "role=FOLLOWER\nname=fe1\n"}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "image", name), []byte(body), 0o600))
	}
	has, err := HasState(dir)
	require.NoError(t, err)
	require.False(t, has, "VERSION and ROLE are no journal state")

	n := newNode(t, "fe1", dir, func(c *Config) { c.ImagesRetained = 1 })
	n.start()
	defer n.stop()
	n.waitReady()
	for i := 0; i < 3; i++ {
		proposeN(t, n.j, 20, 2, fmt.Sprint("r", i))
		_, err := n.j.Checkpoint(context.Background())
		require.NoError(t, err)
	}
	imgs, err := ListImages(dir)
	require.NoError(t, err)
	require.Len(t, imgs, 1, "retention ran")
	for name, body := range files {
		b, err := os.ReadFile(filepath.Join(dir, "image", name))
		require.NoError(t, err, name)
		require.Equal(t, body, string(b), name)
	}
}
