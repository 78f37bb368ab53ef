package journal

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/raft"
)

// StateMachine is the replicated state (in the FE, catalog and StarManager) that
// the journal feeds with committed entries. The journal never interprets
// ops; it only orders, persists and replicates them.
type StateMachine interface {
	// Apply applies one committed entry. Deterministic, no I/O; its return
	// value goes back to the proposer (Journal.Propose). Ops' Data alias
	// the raft log entry (which raft may still send to followers) and must
	// be treated as read-only.
	Apply(journalID uint64, ops []Op) any
	// Snapshot captures the state as of the last applied entry. Called on
	// the apply goroutine (no Apply runs concurrently); must be fast
	// (copy-on-write or a cheap copy), because applying is blocked meanwhile.
	Snapshot() (StateSnapshot, error)
	// Restore replaces the whole state with an image body. It runs at
	// startup (newest valid image) and when a lagging node is caught up
	// with an image from the leader.
	Restore(h ImageHeader, body io.Reader) error
}

// StateSnapshot is a point-in-time capture taken by StateMachine.Snapshot
// and written out as an image body.
type StateSnapshot interface {
	// JournalIDs are named journal ids as of the snapshot that the state
	// machine keeps besides the journal's own (e.g. {"starmgr": id} for a
	// state that includes a StarManager with its own journal id). They go
	// into the image header as "<name>_journal_id" (ImageHeader.JournalIDs),
	// so a reader learns them without reading the body. Names are lower-case
	// letters, digits and '_', and not "fe"; nil means none.
	JournalIDs() map[string]uint64
	// WriteTo writes the image body; it may run concurrently with Apply.
	WriteTo(w io.Writer) (int64, error)
	// Release is called when the snapshot is no longer needed (always, also
	// after a failed or skipped write).
	Release()
}

// applyError is the response for an entry that could not be decoded.
type applyError struct{ err error }

// fsm adapts a StateMachine to raft.BatchingFSM.
type fsm struct {
	j  *Journal
	sm StateMachine
}

var _ raft.BatchingFSM = (*fsm)(nil)

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch implements raft.BatchingFSM. It receives command and
// configuration entries in commit order; empty command entries are
// barriers and do not reach the state machine.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			continue
		}
		ops, err := DecodeEntry(l.Data)
		if err != nil {
			// Deterministic on every node: the entry is skipped everywhere.
			f.j.log.Error("journal: skipping undecodable edit-log entry", "journal_id", l.Index, "err", err)
			out[i] = applyError{fmt.Errorf("journal id %d: %w", l.Index, err)}
			continue
		}
		if len(ops) == 0 {
			continue
		}
		out[i] = f.sm.Apply(l.Index, ops)
	}
	if len(logs) > 0 {
		f.j.applied.advance(logs[len(logs)-1].Index)
	}
	return out
}

// Snapshot implements raft.FSM.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	ss, err := f.sm.Snapshot()
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{f: f, ss: ss}, nil
}

// Restore implements raft.FSM. The stream starts with the image header;
// raft closes rc afterwards.
func (f *fsm) Restore(rc io.ReadCloser) error {
	h, _, err := readImageHeader(rc)
	if err != nil {
		return err
	}
	if h.FormatVersion > ImageFormatVersion || h.FormatVersion < 1 {
		return fmt.Errorf("journal: image format version %d not supported (max %d)", h.FormatVersion, ImageFormatVersion)
	}
	if m, ok := f.j.images.metaFor(h.FEJournalID); ok && m.Index == h.FEJournalID {
		fillRaftMeta(&h, &m)
	}
	if err := f.sm.Restore(h, rc); err != nil {
		return fmt.Errorf("journal: restoring image %d: %w", h.FEJournalID, err)
	}
	f.j.applied.set(h.FEJournalID)
	f.j.log.Info("journal: state restored from image", journalIDAttrs(h)...)
	return nil
}

type fsmSnapshot struct {
	f  *fsm
	ss StateSnapshot
}

// Persist implements raft.FSMSnapshot: image header, then the body.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	var index uint64
	if k, ok := sink.(*imageSink); ok {
		index = k.index
	} else if k, ok := sink.(*existingSink); ok {
		index = k.index
	} else if id, ok := parseImageName(sink.ID()); ok {
		index = id
	}
	h := ImageHeader{
		FormatVersion: ImageFormatVersion,
		FEJournalID:   index,
		Created:       time.Now().UTC(),
	}
	if ids := s.ss.JournalIDs(); len(ids) > 0 {
		h.JournalIDs = maps.Clone(ids)
	}
	if err := writeImageHeader(sink, h); err != nil {
		sink.Cancel()
		return err
	}
	// The body is encoded while entries go on being applied; at the lowest
	// CPU priority and paced, so that writes keep their latency during a
	// checkpoint.
	var err error
	runInBackground(func() { _, err = s.ss.WriteTo(newPacedWriter(sink)) })
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("journal: writing body of image %d: %w", index, err)
	}
	if err := sink.Close(); err != nil {
		return err
	}
	// The state machine had applied everything up to index when the
	// snapshot was captured (index may be a no-op entry raft never showed us).
	s.f.j.applied.advance(index)
	s.f.j.lastImage.Store(index)
	return nil
}

// journalIDAttrs are log attributes for the ids in h: journal_id and one
// "<name>_journal_id" per named id, sorted by name.
func journalIDAttrs(h ImageHeader) []any {
	attrs := []any{"journal_id", h.FEJournalID}
	for _, name := range slices.Sorted(maps.Keys(h.JournalIDs)) {
		attrs = append(attrs, name+journalIDSuffix, h.JournalIDs[name])
	}
	return attrs
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() { s.ss.Release() }
