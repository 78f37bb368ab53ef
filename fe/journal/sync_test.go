package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// errFlush is what the failing disk answers a flush with.
var errFlush = errors.New("fsync: input/output error")

// disk is a Config.Sync that passes, holds or fails the next sync at a
// point: a disk that refuses (or takes its time) to flush.
type disk struct {
	mu      sync.Mutex
	failAt  map[SyncPoint]int // fail the next n syncs at the point
	holdLog chan struct{}     // when set, a log sync waits for it to close
	entered chan string       // a held log sync reports its path here
	seen    []string          // "point path" of every sync, in order
	onSync  func(p SyncPoint, path string)
}

func newDisk() *disk { return &disk{failAt: map[SyncPoint]int{}} }

func (d *disk) sync(p SyncPoint, path string) error {
	d.mu.Lock()
	d.seen = append(d.seen, string(p)+" "+path)
	hold, entered, on := d.holdLog, d.entered, d.onSync
	fail := d.failAt[p] > 0
	if fail {
		d.failAt[p]--
	}
	if p == SyncLog {
		d.holdLog = nil
	}
	d.mu.Unlock()
	if on != nil {
		on(p, path)
	}
	if p == SyncLog && hold != nil {
		entered <- path
		<-hold
	}
	if fail {
		return errFlush
	}
	return nil
}

func (d *disk) set(f func(d *disk)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d)
}

// opsData lists the data of the ops the node's state machine applied.
func opsData(n *node) []string {
	n.sm.mu.Lock()
	defer n.sm.mu.Unlock()
	var out []string
	for _, op := range n.sm.ops {
		out = append(out, op.Data)
	}
	return out
}

// logData lists the data of the entries in the node's raft log store.
func logData(t *testing.T, n *node) []string {
	t.Helper()
	first, err := n.j.bolt.FirstIndex()
	require.NoError(t, err)
	last, err := n.j.bolt.LastIndex()
	require.NoError(t, err)
	var out []string
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		require.NoError(t, n.j.bolt.GetLog(i, &l))
		if l.Type != raft.LogCommand {
			continue
		}
		ops, err := DecodeEntry(l.Data)
		require.NoError(t, err)
		for _, op := range ops {
			out = append(out, string(op.Data))
		}
	}
	return out
}

func put(s string) Op { return Op{Type: opPut, Version: 1, Data: []byte(s)} }

// TestUnsyncedLogWriteIsNotAcknowledged: a proposal is acknowledged only
// after its entry passed the log's sync point, and a failing flush there
// refuses it: Propose fails, the entry is neither applied nor left in the
// log, the journal goes on taking writes, and after a restart the state
// holds exactly the acknowledged ones.
func TestUnsyncedLogWriteIsNotAcknowledged(t *testing.T) {
	d := newDisk()
	n := newNode(t, "fe1", t.TempDir(), func(c *Config) { c.Sync = d.sync })
	n.start()
	defer n.stop()
	n.waitReady()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, _, err := n.j.Propose(ctx, put("a"))
	require.NoError(t, err)

	// Held at the sync point: written to the log store, not acknowledged,
	// not applied.
	release, entered := make(chan struct{}), make(chan string, 1)
	d.set(func(d *disk) { d.holdLog, d.entered = release, entered })
	type result struct {
		id  uint64
		err error
	}
	done := make(chan result, 1)
	go func() {
		_, id, err := n.j.Propose(ctx, put("b"))
		done <- result{id, err}
	}()
	select {
	case path := <-entered:
		require.Equal(t, filepath.Join(n.dir, boltDirName, boltFile), path)
	case <-ctx.Done():
		t.Fatal("the proposal never reached the log's sync point")
	}
	select {
	case r := <-done:
		t.Fatalf("proposal acknowledged (id %d, err %v) before its entry was synced", r.id, r.err)
	default:
	}
	require.Equal(t, []string{"a", "b"}, logData(t, n), "in the store while held at the sync point")
	require.Equal(t, []string{"a"}, opsData(n), "not applied before it is synced")
	close(release)
	r := <-done
	require.NoError(t, r.err)
	waitApplied(t, n.j, r.id)
	require.Equal(t, []string{"a", "b"}, opsData(n))

	// The flush fails: refused, not applied, not left in the log.
	d.set(func(d *disk) { d.failAt[SyncLog] = 1 })
	_, _, err = n.j.Propose(ctx, put("c"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "sync log")
	require.Contains(t, err.Error(), errFlush.Error())
	require.Equal(t, []string{"a", "b"}, logData(t, n))

	// The node steps down on the failed append and leads again: writes go on.
	n.waitReady()
	var did uint64
	require.NoError(t, pollUntil(ctx, func() error {
		_, id, err := n.j.Propose(ctx, put("d"))
		did = id
		return err
	}))
	waitApplied(t, n.j, did)
	require.Equal(t, []string{"a", "b", "d"}, opsData(n))
	require.Equal(t, []string{"a", "b", "d"}, logData(t, n))

	// After a restart exactly the acknowledged writes are there.
	n.stop()
	n.start()
	n.waitReady()
	waitApplied(t, n.j, did)
	require.Equal(t, []string{"a", "b", "d"}, opsData(n))
}

// pollUntil retries f until it succeeds or ctx ends (a write right after
// the step-down may still meet a node not yet leading again).
func pollUntil(ctx context.Context, f func() error) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-tick.C:
		}
	}
}

// TestUnsyncedImageIsNotAcknowledged: an image counts as taken only once
// its file was fsynced (then renamed) and its directory fsynced; a failing
// flush at either point fails the checkpoint and no image is counted,
// while the next one with a working disk is.
func TestUnsyncedImageIsNotAcknowledged(t *testing.T) {
	d := newDisk()
	dir := t.TempDir()
	imageDir := filepath.Join(dir, imageDirName)
	// At each image sync point, what the image directory holds.
	var mu sync.Mutex
	var listed []string
	d.onSync = func(p SyncPoint, path string) {
		if p == SyncLog {
			return
		}
		ents, err := os.ReadDir(imageDir)
		require.NoError(t, err)
		var names []string
		for _, e := range ents {
			name := e.Name()
			if strings.HasSuffix(name, tmpSuffix) {
				name = "<tmp>"
			}
			names = append(names, name)
		}
		mu.Lock()
		listed = append(listed, string(p)+": "+strings.Join(names, ","))
		mu.Unlock()
	}
	n := newNode(t, "fe1", dir, func(c *Config) { c.Sync = d.sync })
	n.start()
	defer n.stop()
	n.waitReady()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := proposeN(t, n.j, 10, 1, "x")
	waitApplied(t, n.j, id)

	// The image file's flush fails: no image, no temp file left.
	d.set(func(d *disk) { d.failAt[SyncImage] = 1 })
	_, err := n.j.Checkpoint(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "sync image")
	require.Contains(t, err.Error(), errFlush.Error())
	require.Zero(t, n.j.ImageID())
	ents, err := os.ReadDir(imageDir)
	require.NoError(t, err)
	require.Empty(t, ents)

	// The directory's flush after the rename fails: the checkpoint fails
	// and the image is not counted as taken.
	d.set(func(d *disk) { d.failAt[SyncImageDir] = 1 })
	_, err = n.j.Checkpoint(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), "sync image-dir "+imageDir)
	require.Zero(t, n.j.ImageID())

	// A disk that flushes: the checkpoint succeeds.
	id = proposeN(t, n.j, 1, 1, "y")
	waitApplied(t, n.j, id)
	info, err := n.j.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, id, info.JournalID)
	require.Equal(t, id, n.j.ImageID())

	// The order at each point: the temp file fsynced before any rename;
	// the renamed image in place when the directory is fsynced.
	mu.Lock()
	defer mu.Unlock()
	failed := imageName(listedImage(t, listed))
	require.Len(t, listed, 5)
	want := [][]string{
		{"image", "<tmp>"},
		{"image", "<tmp>"},
		{"image-dir", failed},
		{"image", failed, "<tmp>"},
		{"image-dir", failed, imageName(id)},
	}
	for i, w := range want {
		p, names, _ := strings.Cut(listed[i], ": ")
		require.Equal(t, w[0], p, listed[i])
		require.ElementsMatch(t, w[1:], strings.Split(names, ","), listed[i])
	}
}

// listedImage is the journal id of the image the directory held at the
// third sync (the one whose directory flush failed).
func listedImage(t *testing.T, listed []string) uint64 {
	t.Helper()
	require.GreaterOrEqual(t, len(listed), 3)
	_, name, _ := strings.Cut(listed[2], ": ")
	id, ok := parseImageName(name)
	require.True(t, ok, listed[2])
	return id
}

// TestUnsyncedInstalledImageIsRefused: installing a snapshot's image (a
// restore) fails when the flush of the written image fails, leaving no
// image; it succeeds on a disk that flushes, with both sync points passed
// in order.
func TestUnsyncedInstalledImageIsRefused(t *testing.T) {
	info := checkpointedImage(t)

	d := newDisk()
	d.set(func(d *disk) { d.failAt[SyncImage] = 1 })
	dir := t.TempDir()
	_, err := InstallImage(dir, info.Path, "n", "127.0.0.1:1", d.sync)
	require.Error(t, err)
	require.Contains(t, err.Error(), "sync image")
	require.Contains(t, err.Error(), errFlush.Error())
	ents, err := os.ReadDir(filepath.Join(dir, imageDirName))
	require.NoError(t, err)
	require.Empty(t, ents, "neither the image nor its temp file is left")

	h, err := InstallImage(dir, info.Path, "n", "127.0.0.1:1", d.sync)
	require.NoError(t, err)
	require.Equal(t, info.JournalID, h.FEJournalID)
	d.mu.Lock()
	defer d.mu.Unlock()
	require.Len(t, d.seen, 3)
	require.True(t, strings.HasPrefix(d.seen[1], "image "+filepath.Join(dir, imageDirName, imageName(info.JournalID))+"."), d.seen[1])
	require.True(t, strings.HasSuffix(d.seen[1], tmpSuffix), d.seen[1])
	require.Equal(t, "image-dir "+filepath.Join(dir, imageDirName), d.seen[2])
}
