package journal

import (
	"fmt"

	"github.com/hashicorp/raft"
)

// SyncPoint names a place where the journal makes a write durable before
// the write counts as done. Config.Sync is called at each.
type SyncPoint string

const (
	// SyncLog: raft log entries appended to the log store and fsynced
	// (raft-boltdb commits every append with fdatasync), on any member,
	// before raft counts them stored. A leader acknowledges a proposal
	// only once a majority, itself included, stored its entry.
	SyncLog SyncPoint = "log"
	// SyncImage: an image written to its temp file and fsynced, before it
	// is renamed into place (image.<journal id>).
	SyncImage SyncPoint = "image"
	// SyncImageDir: the image directory fsynced after the rename, before
	// the checkpoint counts as taken.
	SyncImageDir SyncPoint = "image-dir"
)

// SyncFunc is called at a SyncPoint with the file or directory just made
// durable. An error fails that write as a failed fsync would: appended log
// entries are removed again (as bolt rolls back a commit whose fsync
// failed) and the append fails, so no proposal in it is acknowledged; an
// image is not counted as taken and its checkpoint fails.
type SyncFunc func(p SyncPoint, path string) error

// syncedLogStore is the raft log store with the SyncLog point after every
// append: raft counts entries stored only once the point passed.
type syncedLogStore struct {
	raft.LogStore
	path string
	sync SyncFunc
}

// StoreLog implements raft.LogStore.
func (s *syncedLogStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore.
func (s *syncedLogStore) StoreLogs(logs []*raft.Log) error {
	if err := s.LogStore.StoreLogs(logs); err != nil {
		return err
	}
	if len(logs) == 0 {
		return nil
	}
	if err := s.sync(SyncLog, s.path); err != nil {
		first, last := logs[0].Index, logs[len(logs)-1].Index
		if derr := s.DeleteRange(first, last); derr != nil {
			return fmt.Errorf("journal: sync log %s: %w (and removing entries %d-%d again: %v)", s.path, err, first, last, derr)
		}
		return fmt.Errorf("journal: sync log %s: %w", s.path, err)
	}
	return nil
}

// syncPoint calls sync at p for path, when set.
func syncPoint(sync SyncFunc, p SyncPoint, path string) error {
	if sync == nil {
		return nil
	}
	if err := sync(p, path); err != nil {
		return fmt.Errorf("journal: sync %s %s: %w", p, path, err)
	}
	return nil
}
