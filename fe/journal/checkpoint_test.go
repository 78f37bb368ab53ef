package journal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

// imageIDsOnDisk lists the journal ids of the image files in dir, newest first.
func imageIDsOnDisk(t *testing.T, metaDir string) []uint64 {
	t.Helper()
	ids, err := listImageIDs(filepath.Join(metaDir, imageDirName))
	require.NoError(t, err)
	return ids
}

// TestCheckpointReturnsItsImage: Checkpoint describes the image file it
// wrote, with the ids of the state applied when it was called; with nothing
// applied since, it describes the newest image, which is left untouched.
func TestCheckpointReturnsItsImage(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil) // RollNum is huge: only forced checkpoints
	n.start()
	defer n.stop()
	n.waitReady()
	ctx := context.Background()

	steps := []struct {
		name    string
		propose int    // entries proposed first; every fifth is a StarMgr op
		starmgr uint64 // StarMgr ops applied in all, the header's "starmgr" id
		newFile bool   // a new image is written
	}{
		{"first image", 50, 10, true},
		{"nothing applied since: the newest image as it is", 0, 10, false},
		{"more entries: a newer image", 7, 12, true},
		{"nothing applied since, again", 0, 12, false},
		{"one more entry", 1, 13, true},
	}
	var prev ImageInfo
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.propose > 0 {
				proposeN(t, n.j, st.propose, 1, fmt.Sprint(len(st.name)))
			}
			applied := n.j.AppliedID()
			info, err := n.j.Checkpoint(ctx)
			require.NoError(t, err)
			require.NoError(t, info.Err)

			require.Equal(t, applied, info.JournalID, "the image is as of what was applied")
			require.Equal(t, applied, info.Header.FEJournalID)
			require.Equal(t, map[string]uint64{"starmgr": st.starmgr}, info.Header.JournalIDs)
			require.Equal(t, ImageFormatVersion, info.Header.FormatVersion)
			require.Equal(t, filepath.Join(n.dir, "image", imageName(applied)), info.Path)
			fi, err := os.Stat(info.Path)
			require.NoError(t, err)
			require.Equal(t, fi.Size(), info.Size)

			// The header is the file's own (checksum-verified here).
			h, body, err := OpenImage(info.Path)
			require.NoError(t, err)
			require.NoError(t, body.Close())
			require.Equal(t, h, info.Header)

			if st.newFile {
				require.Greater(t, info.JournalID, prev.JournalID)
				require.Equal(t, info.JournalID, n.j.ImageID())
			} else {
				require.Equal(t, prev, info, "same file, same created time: not rewritten")
			}
			prev = info
		})
	}
}

// TestCheckpointNothingApplied: a node that never applied anything has no
// image to describe.
func TestCheckpointNothingApplied(t *testing.T) {
	n := newNode(t, "fe9", t.TempDir(), func(c *Config) { c.Bootstrap = false })
	n.start()
	defer n.stop()
	_, err := n.j.Checkpoint(context.Background())
	require.ErrorIs(t, err, ErrImageNotFound)
	require.Contains(t, err.Error(), "nothing applied yet")
	require.Empty(t, imageIDsOnDisk(t, n.dir))
}

// TestCheckpointConcurrent forces checkpoints from several goroutines while
// entries are proposed and the periodic loop checkpoints too: every image
// returned carries exactly the ids of the state as of its journal id, and
// everything applied before the call is in it.
func TestCheckpointConcurrent(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) {
		c.RollNum = 20
		c.ImagesRetained = 2
	})
	n.start()
	defer n.stop()
	n.waitReady()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	type result struct {
		id, starmgr uint64
	}
	var mu sync.Mutex
	var results []result
	stop := make(chan struct{})
	var proposers errgroup.Group
	for p := 0; p < 4; p++ {
		proposers.Go(func() error {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return nil
				default:
				}
				typ := opPut
				if i%3 == 0 {
					typ = opStarMgr
				}
				if _, _, err := n.j.Propose(ctx, Op{Type: typ, Data: []byte(fmt.Sprintf("p%d-%d", p, i))}); err != nil {
					return fmt.Errorf("proposer %d: %w", p, err)
				}
			}
		})
	}
	var checkpointers errgroup.Group
	for c := 0; c < 3; c++ {
		checkpointers.Go(func() error {
			for i := 0; i < 8; i++ {
				before := n.j.AppliedID()
				var info ImageInfo
				if i%2 == 0 {
					h, err := n.j.CheckpointAndHold(ctx)
					if err != nil {
						return err
					}
					info = h.Info()
					// The held file is the image described, whole and valid.
					fh, _, err := readImageHeader(h.Reader())
					verr := h.Verify()
					rerr := h.Release()
					if err = errors.Join(err, verr, rerr); err != nil {
						return fmt.Errorf("image %d: %w", info.JournalID, err)
					}
					if fh.FEJournalID != info.Header.FEJournalID || !maps.Equal(fh.JournalIDs, info.Header.JournalIDs) ||
						!fh.Created.Equal(info.Header.Created) {
						return fmt.Errorf("held file's header %+v, described %+v", fh, info.Header)
					}
				} else {
					var err error
					if info, err = n.j.Checkpoint(ctx); err != nil {
						return err
					}
				}
				after := n.j.AppliedID()
				if info.JournalID < before || info.JournalID > after || info.Header.FEJournalID != info.JournalID {
					return fmt.Errorf("checkpoint between applied %d and %d described image %d with fe_journal_id %d",
						before, after, info.JournalID, info.Header.FEJournalID)
				}
				mu.Lock()
				results = append(results, result{info.JournalID, info.Header.JournalIDs["starmgr"]})
				mu.Unlock()
			}
			return nil
		})
	}
	cerr := checkpointers.Wait()
	close(stop)
	require.NoError(t, errors.Join(cerr, proposers.Wait()))

	require.Len(t, results, 24)
	for _, r := range results {
		require.Equal(t, n.sm.starMgrOpsUpTo(r.id), r.starmgr, "starmgr id in the header of image %d", r.id)
	}
	// No hold is left behind: the next retention leaves exactly two images.
	proposeN(t, n.j, 1, 1, "last")
	_, err := n.j.Checkpoint(ctx)
	require.NoError(t, err)
	require.Len(t, imageIDsOnDisk(t, n.dir), 2)
}

// TestHeldImageSurvivesRetention: a held image outlives as many newer images
// as would otherwise delete it; retention deletes it at the first checkpoint
// after the last hold on it is released.
func TestHeldImageSurvivesRetention(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) { c.ImagesRetained = 2 })
	n.start()
	defer n.stop()
	n.waitReady()
	ctx := context.Background()
	round := 0
	checkpoint := func() ImageInfo {
		t.Helper()
		round++
		proposeN(t, n.j, 20, 2, fmt.Sprint("r", round))
		info, err := n.j.Checkpoint(ctx)
		require.NoError(t, err)
		return info
	}

	held := checkpoint()
	raw, err := os.ReadFile(held.Path)
	require.NoError(t, err)
	h1, err := n.j.HoldImage(held.JournalID)
	require.NoError(t, err)
	h2, err := n.j.HoldImage(held.JournalID) // holds nest
	require.NoError(t, err)
	require.Equal(t, held, h1.Info())
	require.Equal(t, held.Header, h1.Header())
	require.Equal(t, held.Path, h1.Path())
	require.Equal(t, held.Size, h1.Size())
	require.Equal(t, held.JournalID, h1.JournalID())

	var newest ImageInfo
	for i := 0; i < 3; i++ {
		newest = checkpoint()
	}
	ids := imageIDsOnDisk(t, n.dir)
	require.Len(t, ids, 3, "two retained images and the held one")
	require.Equal(t, newest.JournalID, ids[0])
	require.Equal(t, held.JournalID, ids[2])
	got, err := io.ReadAll(h1.Reader())
	require.NoError(t, err)
	require.Equal(t, raw, got, "the held file is unchanged")
	require.NoError(t, h1.Verify())

	require.NoError(t, h1.Release())
	require.NoError(t, h1.Release(), "a second release does nothing")
	checkpoint()
	require.Contains(t, imageIDsOnDisk(t, n.dir), held.JournalID, "still held by the second hold")

	require.NoError(t, h2.Release())
	require.Contains(t, imageIDsOnDisk(t, n.dir), held.JournalID, "retention catches up at the next checkpoint")
	newest = checkpoint()
	ids = imageIDsOnDisk(t, n.dir)
	require.Len(t, ids, 2)
	require.NotContains(t, ids, held.JournalID)
	require.Equal(t, newest.JournalID, ids[0])

	_, err = h2.Reader().ReadAt(make([]byte, 1), 0)
	require.ErrorIs(t, err, os.ErrClosed, "a released image is no longer readable")
	_, err = n.j.HoldImage(held.JournalID)
	require.ErrorIs(t, err, ErrImageNotFound)
}

// TestHoldImageMissing: holding an image that is not (or no longer) there,
// or is not an image, is a clear error.
func TestHoldImageMissing(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) { c.ImagesRetained = 1 })
	n.start()
	defer n.stop()
	n.waitReady()
	ctx := context.Background()
	proposeN(t, n.j, 5, 1, "a")
	old, err := n.j.Checkpoint(ctx)
	require.NoError(t, err)
	proposeN(t, n.j, 5, 1, "b")
	cur, err := n.j.Checkpoint(ctx)
	require.NoError(t, err)
	torn := cur.JournalID + 1000
	require.NoError(t, os.WriteFile(filepath.Join(n.dir, "image", imageName(torn)), []byte("MRIMAGE\n torn"), 0o644))

	tests := []struct {
		name string
		id   uint64
		want error
	}{
		{"never taken", cur.JournalID + 1, ErrImageNotFound},
		{"deleted by retention", old.JournalID, ErrImageNotFound},
		{"zero", 0, ErrImageNotFound},
		{"not a valid image", torn, ErrCorruptImage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := n.j.HoldImage(tc.id)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, h)
			require.Contains(t, err.Error(), filepath.Join(n.dir, "image", imageName(tc.id)))
		})
	}
	h, err := n.j.HoldImage(cur.JournalID)
	require.NoError(t, err, "the newest image can be held")
	require.NoError(t, h.Release())
}

// oldHeaderJSON is the image header as written before journal ids were
// named generically.
type oldHeaderJSON struct {
	FormatVersion    int       `json:"format_version"`
	FEJournalID      uint64    `json:"fe_journal_id"`
	StarMgrJournalID uint64    `json:"starmgr_journal_id"`
	Created          time.Time `json:"created"`
}

// rewriteImageHeader replaces the header JSON of the image file at path,
// keeping body and raft footer, with valid framing and checksum.
func rewriteImageHeader(t *testing.T, path string, js []byte) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	ft, _, err := verifyImageFile(f)
	require.NoError(t, err)
	body := make([]byte, ft.streamSize-ft.bodyStart)
	_, err = f.ReadAt(body, ft.bodyStart)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	out, err := os.Create(path)
	require.NoError(t, err)
	w := &imageWriter{bw: bufio.NewWriter(out), crc: crc32.New(castagnoli)}
	_, err = w.Write(headerBytes(string(js)))
	require.NoError(t, err)
	_, err = w.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.writeFooter(ft.meta))
	require.NoError(t, w.bw.Flush())
	require.NoError(t, out.Close())
}

// TestOldFormatImageLoads: a node restarts from an image whose header was
// written in the format with a fixed starmgr_journal_id field.
func TestOldFormatImageLoads(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil)
	n.start()
	defer n.stop()
	n.waitReady()
	proposeN(t, n.j, 30, 1, "a") // 6 StarMgr ops
	info, err := n.j.Checkpoint(context.Background())
	require.NoError(t, err)
	want := n.sm.digest()
	n.stop()

	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	js, err := json.Marshal(oldHeaderJSON{FormatVersion: 1, FEJournalID: info.JournalID, StarMgrJournalID: 6, Created: created})
	require.NoError(t, err)
	rewriteImageHeader(t, info.Path, js)
	h, body, err := OpenImage(info.Path)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	require.Equal(t, map[string]uint64{"starmgr": 6}, h.JournalIDs)

	n.start()
	n.waitReady()
	require.Equal(t, want, n.sm.digest())
	rh := n.sm.restoredHeader()
	require.NotNil(t, rh, "restored from the image")
	require.Equal(t, info.JournalID, rh.FEJournalID)
	require.Equal(t, map[string]uint64{"starmgr": 6}, rh.JournalIDs)
	require.Equal(t, created, rh.Created)
	imgs, err := ListImages(n.dir)
	require.NoError(t, err)
	require.Equal(t, map[string]uint64{"starmgr": 6}, imgs[0].Header.JournalIDs)
	require.Contains(t, n.logs.String(), "starmgr_journal_id=6")
}

// TestSnapshotAtSameIndexKeepsImage: a raft snapshot at the index of an
// image on disk (nothing applied since) leaves that file as it is, so that
// the path of a held image always names the same bytes.
func TestSnapshotAtSameIndexKeepsImage(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil)
	n.start()
	defer n.stop()
	n.waitReady()
	proposeN(t, n.j, 10, 1, "a")
	info, err := n.j.Checkpoint(context.Background())
	require.NoError(t, err)
	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	before, err := os.Stat(info.Path)
	require.NoError(t, err)

	require.NoError(t, n.j.raft.Snapshot().Error(), "raft snapshots again at the same index")
	after, err := os.Stat(info.Path)
	require.NoError(t, err)
	require.True(t, os.SameFile(before, after), "the file was not replaced")
	again, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	require.Equal(t, raw, again)
	require.Equal(t, []uint64{info.JournalID}, imageIDsOnDisk(t, n.dir))
	require.Equal(t, info.JournalID, n.j.ImageID())
}
