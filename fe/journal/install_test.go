package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
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
	info := checkpointedImage(t)
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

// checkpointedImage is the image a stopped one-node journal wrote after
// five entries: the source a test installs or damages.
func checkpointedImage(t *testing.T) ImageInfo {
	t.Helper()
	_, info := checkpointedNode(t, "old")
	return info
}

// checkpointedNode is a one-node journal stopped after five entries and a
// checkpoint, and the image it wrote.
func checkpointedNode(t *testing.T, id string) (*node, ImageInfo) {
	t.Helper()
	n := newNode(t, id, t.TempDir(), nil)
	n.start()
	n.waitReady()
	proposeN(t, n.j, 5, 1, "a")
	info, err := n.j.Checkpoint(context.Background())
	require.NoError(t, err)
	n.stop()
	return n, info
}

// resealed returns image bytes with their checksum recomputed, as a writer
// of that content would have sealed them.
func resealed(b []byte) []byte {
	out := append([]byte(nil), b...)
	// The trailer ends with the CRC32-C of everything before it and the magic.
	at := len(out) - 4 - len(trailerMagic)
	binary.BigEndian.PutUint32(out[at:], crc32.Checksum(out[:at], castagnoli))
	return out
}

// TestImagesThatCannotBeRead: a truncated image and one of a newer format
// version are refused by OpenImage and by InstallImage (what a restore
// from a cluster snapshot does), with a message naming the file and the
// cause, and nothing is installed. A newer image is not called corrupt.
func TestImagesThatCannotBeRead(t *testing.T) {
	info := checkpointedImage(t)
	good, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	cur := fmt.Sprintf(`"format_version":%d`, ImageFormatVersion)
	require.Contains(t, string(good), cur)
	unsealed := bytes.Replace(good, []byte(cur), []byte(fmt.Sprintf(`"format_version":%d`, ImageFormatVersion+1)), 1)
	newer := resealed(unsealed)

	cases := []struct {
		name string
		b    []byte
		is   error
		want string
	}{
		{"empty", nil, ErrCorruptImage, "truncated (0 bytes)"},
		{"header only", good[:headerPrefixLen+4], ErrCorruptImage, "truncated"},
		{"cut in half", good[:len(good)/2], ErrCorruptImage, "bad trailer magic (torn or truncated file)"},
		{"last byte missing", good[:len(good)-1], ErrCorruptImage, "bad trailer magic (torn or truncated file)"},
		{"newer format version", newer, ErrImageFormat, fmt.Sprintf("image format version %d is not supported (this build reads 1..%d)", ImageFormatVersion+1, ImageFormatVersion)},
		// Read before the checksum: a newer format may seal differently.
		{"newer format version, sealed otherwise", unsealed, ErrImageFormat, fmt.Sprintf("image format version %d is not supported", ImageFormatVersion+1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), fmt.Sprintf("image.%d", info.JournalID))
			require.NoError(t, os.WriteFile(path, tc.b, 0o644))
			_, body, err := OpenImage(path)
			require.ErrorIs(t, err, tc.is)
			require.Nil(t, body)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, path)
			if tc.is == ErrImageFormat {
				require.NotErrorIs(t, err, ErrCorruptImage)
			}
			dir := t.TempDir()
			_, err = InstallImage(dir, path, "n", "127.0.0.1:1", nil)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, imageIDsOnDisk(t, dir), "nothing is installed")
			left, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.Equal(tc.b, left), "the source is untouched")
		})
	}
	// The untouched image still opens.
	_, body, err := OpenImage(info.Path)
	require.NoError(t, err)
	require.NoError(t, body.Close())
}

// TestOpenRefusesNewerImage: an FE whose meta dir holds an image of a newer
// format version does not start (it would otherwise start from the log or
// an older image and roll its metadata back); the error names the image,
// the image is left as it was, and the same dir opens once it is gone.
func TestOpenRefusesNewerImage(t *testing.T) {
	n, info := checkpointedNode(t, "fe1")
	good, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	cur := fmt.Sprintf(`"format_version":%d`, ImageFormatVersion)
	newer := resealed(bytes.Replace(good, []byte(cur), []byte(fmt.Sprintf(`"format_version":%d`, ImageFormatVersion+1)), 1))
	require.NoError(t, os.WriteFile(info.Path, newer, 0o600))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := NewMux(ln)
	defer mux.Close()
	cfg := n.cfg
	cfg.Stream = mux.Stream(TagRaft)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = Open(cfg, &testSM{})
	require.ErrorIs(t, err, ErrImageFormat)
	require.ErrorContains(t, err, info.Path)
	require.ErrorContains(t, err, fmt.Sprintf("image format version %d is not supported", ImageFormatVersion+1))
	left, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(newer, left), "the image is left as it was")

	require.NoError(t, os.Remove(info.Path))
	n.start()
	defer n.stop()
	n.waitReady()
}
