// Package meta is the FE's replicated metadata state: the catalog and the
// StarManager fed by the journal (State), the edit-log encoding of their
// ops, the writer that journals ops (Writer) and the leader's id allocator
// (IDAllocator). Every other FE package reads the state through the
// catalog and StarManager it holds and changes it only by proposing ops
// through a Proposer, the small interface it defines for itself.
package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/starmgr"
)

// State is the replicated state of an FE: the catalog and the
// StarManager, fed by the journal. An entry's ops are all checked before any
// is applied, so an entry applies whole or not at all; a rejected entry
// changes nothing on any replica, and its error goes back to the proposer.
//
// Ops of one entry must be independent of each other (the checks do not see
// each other's effects); the FE never puts two ops of the same state machine
// in one entry.
type State struct {
	// Catalog is the catalog replica: databases, tables, users, transactions, nodes.
	Catalog *catalog.Catalog
	// StarMgr is the StarManager replica: service id, shard groups, shards.
	StarMgr *starmgr.StarMgr
}

// NewState returns an empty state, as before the first journal entry.
func NewState() *State {
	return &State{Catalog: catalog.New(), StarMgr: starmgr.New()}
}

// EncodeOps turns catalog and StarManager ops into journal ops.
func EncodeOps(ops []any) ([]journal.Op, error) {
	out := make([]journal.Op, 0, len(ops))
	for _, op := range ops {
		var t uint16
		switch o := op.(type) {
		case catalog.Op:
			t = uint16(o.OpType())
		case starmgr.Op:
			t = uint16(o.OpType())
		default:
			return nil, fmt.Errorf("not an edit-log op: %T", op)
		}
		data, err := json.Marshal(op)
		if err != nil {
			return nil, fmt.Errorf("encode op %T: %w", op, err)
		}
		out = append(out, journal.Op{Type: journal.OpType(t), Version: 1, Data: data})
	}
	return out, nil
}

// DecodeOps is the inverse of EncodeOps.
func DecodeOps(ops []journal.Op) ([]any, error) {
	out := make([]any, 0, len(ops))
	for _, op := range ops {
		t := uint16(op.Type)
		switch {
		case catalog.IsCatalogOp(t):
			o, err := catalog.DecodeOp(catalog.OpType(t), op.Data)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		case starmgr.IsStarMgrOp(t):
			o, err := starmgr.DecodeOp(starmgr.OpType(t), op.Data)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		default:
			return nil, fmt.Errorf("unknown op type %d", t)
		}
	}
	return out, nil
}

// Apply implements journal.StateMachine. It returns nil or the error that
// rejected the entry.
func (m *State) Apply(journalID uint64, jops []journal.Op) any {
	ops, err := DecodeOps(jops)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := m.check(op); err != nil {
			return err
		}
	}
	for _, op := range ops {
		// Checked above against the same state: cannot fail now.
		switch o := op.(type) {
		case catalog.Op:
			err = m.Catalog.ApplyAt(journalID, o)
		case starmgr.Op:
			err = m.StarMgr.Apply(o)
		}
		if err != nil {
			return fmt.Errorf("apply after successful check: %w", err)
		}
	}
	return nil
}

func (m *State) check(op any) error {
	switch o := op.(type) {
	case catalog.Op:
		return m.Catalog.Check(o)
	case starmgr.Op:
		return m.StarMgr.Check(o)
	}
	return fmt.Errorf("not an edit-log op: %T", op)
}

// image is the body of an FE image: one section per state machine.
type image struct {
	Catalog json.RawMessage `json:"catalog"`
	StarMgr json.RawMessage `json:"starmgr"`
}

// metaSnapshot is both state machines captured at one journal id; its
// sections are encoded only when the image is written (WriteTo), which
// the journal does while later entries are applied.
type metaSnapshot struct {
	cat *catalog.Snapshot
	sm  *starmgr.Snapshot
}

// starMgrIDName names the StarManager's journal id in image headers
// (written as starmgr_journal_id, StarRocks' name).
const starMgrIDName = "starmgr"

// StarMgrJournalID is the StarManager journal id an image header carries:
// with its FEJournalID, the exact state the image holds (what a cluster
// snapshot records).
func StarMgrJournalID(h journal.ImageHeader) uint64 { return h.JournalIDs[starMgrIDName] }

// JournalIDs implements journal.StateSnapshot: the StarManager journal id,
// written into the image header as starmgr_journal_id.
func (s *metaSnapshot) JournalIDs() map[string]uint64 {
	return map[string]uint64{starMgrIDName: s.sm.JournalID()}
}

// WriteTo encodes the image body, {"catalog": ..., "starmgr": ...},
// streaming it object by object.
func (s *metaSnapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	if _, err := io.WriteString(cw, `{"catalog":`); err != nil {
		return cw.n, err
	}
	if err := s.cat.WriteImage(cw); err != nil {
		return cw.n, fmt.Errorf("encode catalog image: %w", err)
	}
	if _, err := io.WriteString(cw, `,"starmgr":`); err != nil {
		return cw.n, err
	}
	if err := s.sm.WriteImage(cw); err != nil {
		return cw.n, fmt.Errorf("encode starmgr image: %w", err)
	}
	_, err := io.WriteString(cw, `}`)
	return cw.n, err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *metaSnapshot) Release() {}

// Snapshot implements journal.StateMachine. It runs on the apply goroutine,
// so it only captures both state machines (copies of their top-level maps;
// the objects are immutable) at exactly this journal id; the encoding
// happens in WriteTo while applying goes on.
func (m *State) Snapshot() (journal.StateSnapshot, error) {
	return &metaSnapshot{cat: m.Catalog.Snapshot(), sm: m.StarMgr.Snapshot()}, nil
}

// Restore implements journal.StateMachine.
func (m *State) Restore(h journal.ImageHeader, body io.Reader) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(body); err != nil {
		return fmt.Errorf("read image %d: %w", h.FEJournalID, err)
	}
	var img image
	if err := json.Unmarshal(buf.Bytes(), &img); err != nil {
		return fmt.Errorf("decode image %d: %w", h.FEJournalID, err)
	}
	if err := m.Catalog.RestoreImage(img.Catalog); err != nil {
		return err
	}
	return m.StarMgr.RestoreImage(img.StarMgr)
}
