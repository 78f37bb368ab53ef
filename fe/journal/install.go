package journal

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// InstallImage makes the image file at src the starting point of a brand
// new journal in metaDir: the same catalog and StarManager state and the
// same journal ids, but the raft metadata of a fresh one-member group, with
// nodeID at advertise as its only voter and term 1. The image's old
// membership and term do not survive, so the node never waits for voters
// that are gone, and the journal goes on numbering after the image's
// journal id. It is how a cluster is restored from a snapshot: metaDir must
// hold no journal (no bdb/ log) and no other image; the caller checks.
// The written file is verified, fsynced and renamed into place, and the
// directory fsynced; sync, when not nil, is called at SyncImage and
// SyncImageDir as Config.Sync is (an FE passes nil). The header is
// returned.
func InstallImage(metaDir, src, nodeID, advertise string, sync SyncFunc) (ImageHeader, error) {
	in, err := os.Open(src)
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	defer in.Close()
	ft, hdr, err := verifyImageFile(in)
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image %s: %w", src, err)
	}
	dir := filepath.Join(metaDir, imageDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	if ids, err := listImageIDs(dir); err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	} else if len(ids) > 0 {
		return ImageHeader{}, fmt.Errorf("journal: install image: %s already holds image.%d", dir, ids[0])
	}
	id := hdr.FEJournalID
	f, err := os.CreateTemp(dir, imageName(id)+".*"+tmpSuffix)
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	w := &imageWriter{bw: bufio.NewWriterSize(&syncingWriter{f: f}, 256<<10), crc: crc32.New(castagnoli)}
	// header+body unchanged: the state and its journal ids are the image's.
	if _, err := io.Copy(w, io.NewSectionReader(in, 0, ft.streamSize)); err != nil {
		f.Close()
		return ImageHeader{}, fmt.Errorf("journal: install image: copy: %w", err)
	}
	meta := footerJSON{SnapshotVersion: 1, Index: id, Term: 1, ConfigurationIndex: id,
		Servers: []serverJSON{{ID: nodeID, Address: advertise, Suffrage: "Voter"}}}
	err = w.writeFooter(meta)
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncPoint(sync, SyncImage, tmp)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: write: %w", err)
	}
	check, err := os.Open(tmp)
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	_, out, err := verifyImageFile(check)
	check.Close()
	if err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: the written image does not verify: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, imageName(id))); err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	if err := syncPoint(sync, SyncImageDir, dir); err != nil {
		return ImageHeader{}, fmt.Errorf("journal: install image: %w", err)
	}
	return out, nil
}
