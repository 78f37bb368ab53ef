package journal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/internal/poll"
)

// TestInstallImage: an image of a three-voter cluster installed into an
// empty meta dir starts a one-member journal that leads at once, holds
// exactly the image's state, keeps the journal ids, forgets the old
// membership and term, and takes new entries after the image's id.
func TestInstallImage(t *testing.T) {
	ctx := context.Background()
	src := newNode(t, "old-leader", t.TempDir(), nil)
	src.start()
	src.waitReady()
	proposeN(t, src.j, 40, 1, "a")
	info, err := src.j.Checkpoint(ctx)
	require.NoError(t, err)
	want := src.sm.digest()
	src.stop()

	dir := t.TempDir()
	h, err := InstallImage(dir, info.Path, "new-leader", "127.0.0.1:1", nil)
	require.NoError(t, err)
	require.Equal(t, info.JournalID, h.FEJournalID)
	require.Equal(t, info.Header.JournalIDs, h.JournalIDs)
	require.Equal(t, uint64(1), h.Term)
	require.Equal(t, []Server{{ID: "new-leader", Addr: "127.0.0.1:1", Voter: true}}, h.Servers)

	_, err = InstallImage(dir, info.Path, "new-leader", "127.0.0.1:1", nil)
	require.ErrorContains(t, err, "already holds image.")

	n := newNode(t, "new-leader", dir, func(c *Config) { c.Bootstrap = false })
	n.start()
	defer n.stop()
	n.waitReady()
	require.Equal(t, want, n.sm.digest())
	require.Equal(t, info.JournalID, n.sm.restoredFrom())
	poll.For(t, 10*time.Second, func() error {
		if !n.j.IsLeader() {
			return fmt.Errorf("the restored node does not lead")
		}
		return nil
	})
	servers, err := n.j.Servers()
	require.NoError(t, err)
	require.Len(t, servers, 1)
	require.Equal(t, "new-leader", servers[0].ID)
	id := proposeN(t, n.j, 3, 1, "b")
	require.Greater(t, id, info.JournalID)
}

// TestInstallImageRefusesDamage: a corrupt source image installs nothing.
func TestInstallImageRefusesDamage(t *testing.T) {
	src := newNode(t, "old", t.TempDir(), nil)
	src.start()
	src.waitReady()
	proposeN(t, src.j, 5, 1, "a")
	info, err := src.j.Checkpoint(context.Background())
	require.NoError(t, err)
	src.stop()
	b, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	b[len(b)/2] ^= 0xff
	bad := filepath.Join(t.TempDir(), fmt.Sprintf("image.%d", info.JournalID))
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	dir := t.TempDir()
	_, err = InstallImage(dir, bad, "n", "127.0.0.1:1", nil)
	require.ErrorIs(t, err, ErrCorruptImage)
	require.Empty(t, imageIDsOnDisk(t, dir))
}
