package journal

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// imageStore is the journal's raft.SnapshotStore: every raft snapshot is one
// file <dir>/image.<index> (see OpenImage for the format), written to a temp
// file, fsynced, renamed and the directory fsynced. Images that fail
// verification are reported once, moved aside as image.<index>.corrupt and
// skipped, so raft falls back to an older image plus the log.
type imageStore struct {
	dir    string
	retain int
	log    *slog.Logger

	mu       sync.Mutex
	verified map[string]fileStamp // images whose checksum verified, by name
	reported map[string]bool      // corrupt images already logged
	holds    map[uint64]int       // outstanding HeldImages by journal id; retention skips these

	newest atomic.Uint64 // journal id of the newest valid image, 0 if none

	// onFinal is called after an image was finalised and retention ran,
	// before raft compacts its log (see adjustTrailingLogs).
	onFinal func()
	// sync is Config.Sync: called at SyncImage and SyncImageDir.
	sync SyncFunc
}

type fileStamp struct {
	size  int64
	mtime int64 // UnixNano
}

func stampOf(fi os.FileInfo) fileStamp { return fileStamp{fi.Size(), fi.ModTime().UnixNano()} }

var _ raft.SnapshotStore = (*imageStore)(nil)

func newImageStore(dir string, retain int, log *slog.Logger) (*imageStore, error) {
	if retain < 1 {
		retain = 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &imageStore{dir: dir, retain: retain, log: log,
		verified: make(map[string]fileStamp), reported: make(map[string]bool), holds: make(map[uint64]int)}
	// Torn temp files from a crash mid-checkpoint are never valid images.
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), tmpSuffix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				log.Info("removed unfinished image temp file", "path", filepath.Join(dir, e.Name()))
			}
		}
	}
	s.refreshNewest()
	return s, nil
}

func (s *imageStore) path(id uint64) string { return filepath.Join(s.dir, imageName(id)) }

// refreshNewest sets newest from the file names on disk.
func (s *imageStore) refreshNewest() {
	ids, err := listImageIDs(s.dir)
	if err != nil {
		return
	}
	if len(ids) == 0 {
		s.newest.Store(0)
	} else {
		s.newest.Store(ids[0])
	}
}

// Create implements raft.SnapshotStore.
func (s *imageStore) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, _ raft.Transport) (raft.SnapshotSink, error) {
	if version != 1 {
		return nil, fmt.Errorf("journal: unsupported raft snapshot version %d", version)
	}
	// An image is never rewritten: a snapshot at the index of a valid image
	// (the same state) keeps the file, which may be held and read meanwhile.
	if _, err := s.check(index); err == nil {
		return &existingSink{s: s, index: index}, nil
	}
	f, err := os.CreateTemp(s.dir, imageName(index)+".*"+tmpSuffix)
	if err != nil {
		return nil, err
	}
	return &imageSink{
		s: s, f: f, index: index,
		w: &imageWriter{bw: bufio.NewWriterSize(&syncingWriter{f: f}, 256<<10), crc: crc32.New(castagnoli)},
		meta: footerJSON{SnapshotVersion: int(version), Index: index, Term: term,
			ConfigurationIndex: configurationIndex, Servers: encodeServers(configuration)},
	}, nil
}

// List implements raft.SnapshotStore: the valid images, newest first. Each
// file's checksum is verified once per process (cached by size and mtime).
func (s *imageStore) List() ([]*raft.SnapshotMeta, error) {
	ids, err := listImageIDs(s.dir)
	if err != nil {
		return nil, err
	}
	var out []*raft.SnapshotMeta
	for i, id := range ids {
		m, err := s.check(id)
		if err != nil {
			if errors.Is(err, ErrCorruptImage) {
				s.reportCorrupt(id, err, i < len(ids)-1)
			} else {
				s.log.Warn("cannot read image; skipping it", "path", s.path(id), "err", err)
			}
			continue
		}
		out = append(out, m)
	}
	if len(out) > 0 {
		s.newest.Store(out[0].Index)
	} else {
		s.newest.Store(0)
	}
	return out, nil
}

// refuseNewerFormat returns an error naming the first image on disk of a
// format version this build does not read. Such a meta dir was written by a
// newer minirocks: starting from an older image or from the log alone would
// roll the FE's metadata back without a word, so the FE refuses to start,
// as a StarRocks FE refuses meta written by a newer version.
func (s *imageStore) refuseNewerFormat() error {
	ids, err := listImageIDs(s.dir)
	if err != nil {
		return fmt.Errorf("journal: listing images: %w", err)
	}
	for _, id := range ids {
		if _, err := s.check(id); errors.Is(err, ErrImageFormat) {
			return fmt.Errorf("journal: cannot start on image %s: %w", s.path(id), err)
		}
	}
	return nil
}

// check returns the metadata of image id, verifying its checksum unless it
// was verified before and is unchanged.
func (s *imageStore) check(id uint64) (*raft.SnapshotMeta, error) {
	name := imageName(id)
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	st, ok := s.verified[name]
	s.mu.Unlock()
	var ft imageFooter
	if ok && st == stampOf(fi) {
		ft, err = readFooter(f)
	} else {
		ft, _, err = verifyImageFile(f)
		if err == nil {
			s.markVerified(name, fi)
		}
	}
	if err != nil {
		return nil, err
	}
	return metaOf(name, ft), nil
}

func metaOf(name string, ft imageFooter) *raft.SnapshotMeta {
	return &raft.SnapshotMeta{
		Version:            raft.SnapshotVersion(ft.meta.SnapshotVersion),
		ID:                 name,
		Index:              ft.meta.Index,
		Term:               ft.meta.Term,
		Configuration:      ft.meta.configuration(),
		ConfigurationIndex: ft.meta.ConfigurationIndex,
		Size:               ft.streamSize,
	}
}

func (s *imageStore) markVerified(name string, fi os.FileInfo) {
	s.mu.Lock()
	s.verified[name] = stampOf(fi)
	s.mu.Unlock()
}

// Open implements raft.SnapshotStore. It always verifies the checksum; the
// returned reader yields header+body (the InstallSnapshot stream).
func (s *imageStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	idx, ok := parseImageName(id)
	if !ok {
		return nil, nil, fmt.Errorf("journal: bad image id %q", id)
	}
	f, err := os.Open(s.path(idx))
	if err != nil {
		return nil, nil, err
	}
	ft, _, err := verifyImageFile(f)
	if err != nil {
		f.Close()
		if errors.Is(err, ErrCorruptImage) {
			older := false
			if ids, lerr := listImageIDs(s.dir); lerr == nil {
				older = len(ids) > 0 && ids[len(ids)-1] < idx
			}
			s.reportCorrupt(idx, err, older)
		}
		return nil, nil, fmt.Errorf("image %s: %w", s.path(idx), err)
	}
	if fi, err := f.Stat(); err == nil {
		s.markVerified(id, fi)
	}
	return metaOf(id, ft), &fileReader{Reader: bufio.NewReaderSize(io.NewSectionReader(f, 0, ft.streamSize), 256<<10), f: f}, nil
}

// reportCorrupt logs one WARN line per corrupt image and moves the file
// aside (image.<id>.corrupt) so that it is no longer a candidate.
func (s *imageStore) reportCorrupt(id uint64, err error, olderExists bool) {
	p := s.path(id)
	s.mu.Lock()
	already := s.reported[p]
	s.reported[p] = true
	delete(s.verified, imageName(id))
	s.mu.Unlock()
	if !already {
		reason := strings.TrimPrefix(err.Error(), ErrCorruptImage.Error()+": ")
		fallback := "an older image"
		if !olderExists {
			fallback = "replaying the raft log"
		}
		s.log.Warn(fmt.Sprintf("image %s is corrupt (%s); falling back to %s", p, reason, fallback),
			"moved_to", p+corruptSuffix)
	}
	if rerr := os.Rename(p, p+corruptSuffix); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		s.log.Warn("cannot move corrupt image aside", "path", p, "err", rerr)
	}
	s.refreshNewest()
}

// finalised records a new image, applies retention and runs onFinal.
func (s *imageStore) finalised(index uint64, fi os.FileInfo) {
	s.markVerified(imageName(index), fi)
	for {
		cur := s.newest.Load()
		if index <= cur || s.newest.CompareAndSwap(cur, index) {
			break
		}
	}
	s.applyRetention()
	if s.onFinal != nil {
		s.onFinal()
	}
}

// applyRetention deletes all but the newest retain images, except those
// held (hold), and corrupt images older than the oldest retained one. A held
// image left in place is deleted by the first run after its last release.
func (s *imageStore) applyRetention() {
	ids, err := listImageIDs(s.dir)
	if err != nil {
		s.log.Warn("image retention: cannot list images", "err", err)
		return
	}
	if len(ids) <= s.retain {
		return
	}
	for _, id := range ids[s.retain:] {
		// Checked and deleted under mu, so that hold either sees the file
		// gone or keeps it from being deleted.
		s.mu.Lock()
		if s.holds[id] > 0 {
			s.mu.Unlock()
			continue
		}
		err := os.Remove(s.path(id))
		delete(s.verified, imageName(id))
		s.mu.Unlock()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("image retention: cannot delete image", "path", s.path(id), "err", err)
		}
	}
	oldest := ids[s.retain-1]
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), corruptSuffix)
		if !ok {
			continue
		}
		if id, ok := parseImageName(name); ok && id < oldest {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// hold opens image id and keeps retention from deleting it until the
// returned HeldImage is released. It fails with ErrImageNotFound when there
// is no such image.
func (s *imageStore) hold(id uint64) (*HeldImage, error) {
	p := s.path(id)
	s.mu.Lock()
	f, err := os.Open(p)
	if err == nil {
		s.holds[id]++
	}
	s.mu.Unlock()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("journal: hold image %s: %w", p, ErrImageNotFound)
		}
		return nil, fmt.Errorf("journal: hold image %s: %w", p, err)
	}
	hdr, size, err := peekFile(f)
	if err != nil {
		f.Close()
		s.unhold(id)
		return nil, fmt.Errorf("journal: hold image %s: %w", p, err)
	}
	return &HeldImage{s: s, f: f, info: ImageInfo{Path: p, JournalID: id, Size: size, Header: hdr}}, nil
}

// unhold ends one hold on image id.
func (s *imageStore) unhold(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holds[id] <= 1 {
		delete(s.holds, id)
	} else {
		s.holds[id]--
	}
}

// HeldImage is an image file held open for reading: while any hold on an
// image is outstanding, the journal's image retention does not delete it,
// so it can be read at leisure (copied, uploaded) while checkpoints go on.
// The hold also keeps the file open, so its bytes stay readable even if the
// file is renamed or removed by other means. Get one from
// Journal.HoldImage or Journal.CheckpointAndHold and Release it when done;
// retention deletes the file, if it is no longer among the retained ones,
// at the first checkpoint after the last release. A HeldImage is safe for
// concurrent use.
type HeldImage struct {
	s    *imageStore
	f    *os.File
	info ImageInfo

	releaseOnce sync.Once
}

// Info describes the held image: path, journal id, size and header (read
// from the file itself; the checksum is checked by Verify).
func (h *HeldImage) Info() ImageInfo { return h.info }

// Header is the held image's header, including its named journal ids.
func (h *HeldImage) Header() ImageHeader { return h.info.Header }

// JournalID is the journal id of the held image (the <id> of image.<id>).
func (h *HeldImage) JournalID() uint64 { return h.info.JournalID }

// Path is the held image file's path, meta/image/image.<id>.
func (h *HeldImage) Path() string { return h.info.Path }

// Size is the held image file's size in bytes.
func (h *HeldImage) Size() int64 { return h.info.Size }

// Reader returns a new reader of the whole image file (header, body, footer
// and trailer: the bytes to copy to make another image.<id>). Readers are
// independent of each other and may be used concurrently; they fail with
// os.ErrClosed once the image is released.
func (h *HeldImage) Reader() *io.SectionReader { return io.NewSectionReader(h.f, 0, h.info.Size) }

// Verify checks the held image's framing and checksum (it reads the whole
// file). Errors wrapping ErrCorruptImage mean the content is bad.
func (h *HeldImage) Verify() error {
	if _, _, err := verifyImageFile(h.f); err != nil {
		return fmt.Errorf("image %s: %w", h.info.Path, err)
	}
	return nil
}

// Release ends the hold and closes the file. Calling it again does nothing.
func (h *HeldImage) Release() error {
	var err error
	h.releaseOnce.Do(func() {
		err = h.f.Close()
		h.s.unhold(h.info.JournalID)
		if err != nil {
			err = fmt.Errorf("journal: release image %s: %w", h.info.Path, err)
		}
	})
	return err
}

// floor is the journal id of the oldest image that retention keeps, or 0
// while fewer than retain images exist (then the whole log is kept).
func (s *imageStore) floor() uint64 {
	ids, err := listImageIDs(s.dir)
	if err != nil || len(ids) < s.retain {
		return 0
	}
	return ids[s.retain-1]
}

// metaFor returns the raft metadata of image id from its footer.
func (s *imageStore) metaFor(id uint64) (footerJSON, bool) {
	f, err := os.Open(s.path(id))
	if err != nil {
		return footerJSON{}, false
	}
	defer f.Close()
	ft, err := readFooter(f)
	if err != nil {
		return footerJSON{}, false
	}
	return ft.meta, true
}

// imageSink writes one image to a temp file; Close makes it durable and
// visible under its final name.
type imageSink struct {
	s     *imageStore
	f     *os.File
	w     *imageWriter
	index uint64
	meta  footerJSON
	done  bool
}

// ID implements raft.SnapshotSink.
func (k *imageSink) ID() string { return imageName(k.index) }

// Write implements raft.SnapshotSink.
func (k *imageSink) Write(p []byte) (int, error) {
	if k.done {
		return 0, errors.New("journal: write to a closed image sink")
	}
	return k.w.Write(p)
}

// Cancel implements raft.SnapshotSink.
func (k *imageSink) Cancel() error {
	if k.done {
		return nil
	}
	k.done = true
	name := k.f.Name()
	k.f.Close()
	return os.Remove(name)
}

// Close implements raft.SnapshotSink.
func (k *imageSink) Close() error {
	if k.done {
		return nil
	}
	k.done = true
	tmp := k.f.Name()
	fail := func(err error) error {
		k.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("journal: writing image %s: %w", k.s.path(k.index), err)
	}
	k.meta.Index = k.index
	if err := k.w.writeFooter(k.meta); err != nil {
		return fail(err)
	}
	if err := k.w.bw.Flush(); err != nil {
		return fail(err)
	}
	if err := k.f.Sync(); err != nil {
		return fail(err)
	}
	if err := syncPoint(k.s.sync, SyncImage, tmp); err != nil {
		return fail(err)
	}
	if err := k.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("journal: writing image %s: %w", k.s.path(k.index), err)
	}
	final := k.s.path(k.index)
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("journal: writing image %s: %w", final, err)
	}
	if err := syncDir(k.s.dir); err != nil {
		return fmt.Errorf("journal: fsync %s: %w", k.s.dir, err)
	}
	if err := syncPoint(k.s.sync, SyncImageDir, k.s.dir); err != nil {
		return err
	}
	fi, err := os.Stat(final)
	if err != nil {
		return err
	}
	k.s.finalised(k.index, fi)
	return nil
}

// existingSink stands for a snapshot at the index of a valid image already
// on disk: it discards what is written and leaves the file as it is.
type existingSink struct {
	s     *imageStore
	index uint64
	done  bool
}

// ID implements raft.SnapshotSink.
func (k *existingSink) ID() string { return imageName(k.index) }

// Write implements raft.SnapshotSink.
func (k *existingSink) Write(p []byte) (int, error) {
	if k.done {
		return 0, errors.New("journal: write to a closed image sink")
	}
	return len(p), nil
}

// Cancel implements raft.SnapshotSink.
func (k *existingSink) Cancel() error {
	k.done = true
	return nil
}

// Close implements raft.SnapshotSink: the existing image counts as written.
func (k *existingSink) Close() error {
	if k.done {
		return nil
	}
	k.done = true
	fi, err := os.Stat(k.s.path(k.index))
	if err != nil {
		return fmt.Errorf("journal: keeping image %s: %w", k.s.path(k.index), err)
	}
	k.s.finalised(k.index, fi)
	return nil
}

// imageSyncBytes is how much of an image is written between fsyncs. One
// fsync of a whole image at the end makes the disk flush megabytes at
// once, and the raft log's small fsyncs queue behind it; flushing as it
// goes keeps each flush short, so writes go on at their usual latency
// while a checkpoint is taken.
const imageSyncBytes = 1 << 20

// syncingWriter writes to f and fsyncs it every imageSyncBytes.
type syncingWriter struct {
	f        *os.File
	unsynced int
}

func (w *syncingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.unsynced += n
	if err == nil && w.unsynced >= imageSyncBytes {
		w.unsynced = 0
		err = w.f.Sync()
	}
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
