package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/minirocks/minirocks/internal/poll"
	"github.com/stretchr/testify/require"
)

// TestCluster runs a leader, two followers (AddFollower) and an observer
// (AddObserver) in-process over TCP: replication, ErrNotLeader on a
// follower, a lagging follower caught up by an image (InstallSnapshot),
// and leader failover.
func TestCluster(t *testing.T) {
	root := t.TempDir()
	mk := func(id string, boot bool) *node {
		return newNode(t, id, filepath.Join(root, id), func(c *Config) {
			c.Bootstrap = boot
			c.ImagesRetained = 1
		})
	}
	a, b, c, d := mk("fe-a", true), mk("fe-b", false), mk("fe-c", false), mk("fe-d", false)
	all := []*node{a, b, c, d}
	for _, n := range all {
		n.start()
	}
	defer func() {
		for _, n := range all {
			n.stop()
		}
	}()
	a.waitReady()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proposeN(t, a.j, 20, 1, "before-join")

	require.NoError(t, a.j.AddFollower(ctx, b.id, b.addr))
	require.NoError(t, a.j.AddFollower(ctx, c.id, c.addr))
	require.NoError(t, a.j.AddObserver(ctx, d.id, d.addr))
	servers, err := a.j.Servers()
	require.NoError(t, err)
	require.ElementsMatch(t, []Server{
		{ID: a.id, Addr: a.addr, Voter: true}, {ID: b.id, Addr: b.addr, Voter: true},
		{ID: c.id, Addr: c.addr, Voter: true}, {ID: d.id, Addr: d.addr, Voter: false},
	}, servers)

	last := proposeN(t, a.j, 100, 8, "joined")
	for _, n := range []*node{b, c, d} {
		waitApplied(t, n.j, last)
		require.Equal(t, a.sm.digest(), n.sm.digest(), n.id)
		leaderID, leaderAddr := n.j.Leader()
		require.Equal(t, a.id, leaderID)
		require.Equal(t, a.addr, leaderAddr)
		require.NoError(t, n.j.WaitReady(ctx))
	}

	t.Run("propose on follower", func(t *testing.T) {
		for _, n := range []*node{b, d} {
			_, _, err := n.j.Propose(ctx, Op{Type: opPut, Data: []byte("x")})
			require.ErrorIs(t, err, ErrNotLeader)
			require.Contains(t, err.Error(), a.addr, "error names the leader")
			require.ErrorIs(t, n.j.Barrier(ctx), ErrNotLeader)
			require.ErrorIs(t, n.j.AddFollower(ctx, "x", "127.0.0.1:1"), ErrNotLeader)
		}
	})

	t.Run("lagging follower catches up via image", func(t *testing.T) {
		cLast := c.j.Stats().LastIndex
		c.stop()
		proposeN(t, a.j, 600, 16, "while-c-down")
		img, err := a.j.Checkpoint(ctx)
		require.NoError(t, err)
		imgID := img.JournalID
		require.Greater(t, a.j.Stats().FirstIndex, cLast+1, "leader trimmed the log c needs")
		leaderImg, _, err := OpenImage(filepath.Join(a.dir, "image", "image."+strconv.FormatUint(imgID, 10)))
		require.NoError(t, err)
		last = proposeN(t, a.j, 10, 1, "after-image")

		c.start()
		waitApplied(t, c.j, last)
		require.Equal(t, a.sm.digest(), c.sm.digest())
		require.Equal(t, imgID, c.sm.restoredFrom(), "c was restored from the leader's image")

		imgs, err := ListImages(c.dir)
		require.NoError(t, err)
		require.NotEmpty(t, imgs)
		require.Equal(t, imgID, imgs[0].JournalID)
		h, body, err := OpenImage(imgs[0].Path)
		require.NoError(t, err, "received image verifies")
		require.NoError(t, body.Close())
		require.Equal(t, imgID, h.FEJournalID)
		require.Equal(t, leaderImg.JournalIDs["starmgr"], h.JournalIDs["starmgr"])
		require.NotZero(t, h.JournalIDs["starmgr"])
		require.Equal(t, leaderImg.Created, h.Created, "header travels with the stream")
		require.Len(t, h.Servers, 4)
	})

	t.Run("leader failure", func(t *testing.T) {
		bch, cch := b.j.LeaderChanges(), c.j.LeaderChanges()
		require.False(t, <-bch)
		require.False(t, <-cch)
		a.stop()
		var leader *node
		poll.For(t, 15*time.Second, func() error {
			for _, n := range []*node{b, c} {
				if n.j.IsLeader() {
					leader = n
					return nil
				}
			}
			return fmt.Errorf("no new leader elected: %s is %s, %s is %s",
				b.id, b.j.Stats().State, c.id, c.j.Stats().State)
		})
		require.False(t, d.j.IsLeader(), "an observer never leads")
		leaderCh := bch
		if leader == c {
			leaderCh = cch
		}
		select {
		case v := <-leaderCh:
			require.True(t, v, "the new leader is notified")
		case <-time.After(5 * time.Second):
			t.Fatal("no leadership notification")
		}
		require.NoError(t, leader.j.WaitReady(ctx))
		_, id, err := leader.j.Propose(ctx, Op{Type: opStarMgr, Data: []byte("new-term")})
		require.NoError(t, err)
		for _, n := range []*node{b, c, d} {
			waitApplied(t, n.j, id)
			require.Equal(t, leader.sm.digest(), n.sm.digest(), n.id)
			poll.For(t, 5*time.Second, func() error {
				if lid, _ := n.j.Leader(); lid != leader.id {
					return fmt.Errorf("%s sees leader %q, want %s", n.id, lid, leader.id)
				}
				return nil
			})
		}

		// The old leader rejoins as a follower and catches up from the log.
		a.start()
		waitApplied(t, a.j, id)
		require.Equal(t, leader.sm.digest(), a.sm.digest())
	})

	t.Run("remove node", func(t *testing.T) {
		var leader *node
		for _, n := range all {
			if n.j.IsLeader() {
				leader = n
			}
		}
		require.NotNil(t, leader)
		require.NoError(t, leader.j.RemoveNode(ctx, d.id))
		servers, err := leader.j.Servers()
		require.NoError(t, err)
		require.Len(t, servers, 3)
		for _, s := range servers {
			require.NotEqual(t, d.id, s.ID)
		}
		_, id, err := leader.j.Propose(ctx, Op{Type: opPut, Data: []byte("after-remove")})
		require.NoError(t, err)
		for _, n := range []*node{a, b, c} {
			waitApplied(t, n.j, id)
		}
	})
}
