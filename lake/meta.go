package lake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/volume/layout"
)

// The TxnLog operations.
const (
	// OpWrite adds the log's rowset (a load) to the tablet.
	OpWrite = "write"
	// OpCompaction replaces the log's input rowsets by its output rowset.
	OpCompaction = "compaction"
)

// SegmentRef names one segment file of a rowset.
type SegmentRef struct {
	// Name is the object key relative to the partition directory, as
	// layout.SegmentKey makes it ("data/...", with the writer's random
	// unique part; older buckets hold layout.LegacySegmentKey names), recorded
	// whole: readers never rebuild it. Vacuum matches it against listed keys.
	Name string `json:"name"`
	// Rows is the segment's row count.
	Rows int64 `json:"rows"`
	// Size is the segment file's length in bytes.
	Size int64 `json:"size"`
}

// Rowset is the data one load (or one compaction) added to a tablet: one or
// more segments. Rowsets of a tablet are kept in version order; that order
// decides which row is newest for the key models.
type Rowset struct {
	// ID is unique within the tablet, assigned by Publish from NextRowsetID.
	ID uint32 `json:"id"`
	// TxnID is the transaction that wrote the rowset.
	TxnID int64 `json:"txn_id"`
	// Segments are the rowset's segment files in write order.
	Segments []SegmentRef `json:"segments,omitempty"`
	// Rows is the total row count of the segments.
	Rows int64 `json:"rows"`
	// Size is the total byte size of the segments.
	Size int64 `json:"size"`
}

// TabletMeta is one version of a tablet: the rowsets a reader of that
// version sees. It is stored at layout.MetaKey(TabletID, Version) and never
// changed once written.
type TabletMeta struct {
	// TabletID is the tablet (StarManager shard) this is a version of.
	TabletID int64 `json:"tablet_id"`
	// Version is the partition version this metadata is the tablet's state at.
	Version int64 `json:"version"`
	// TxnID is the transaction whose publish made this version (0 for EmptyMeta).
	TxnID int64 `json:"txn_id"`
	// GTID is that transaction's global transaction id.
	GTID int64 `json:"gtid"`
	// Rowsets are in version order, older first; Merge reads them in this order.
	Rowsets []Rowset `json:"rowsets,omitempty"`
	// NextRowsetID is the id the next published rowset gets.
	NextRowsetID uint32 `json:"next_rowset_id"`
}

// Stats returns the rows and bytes of all the version's rowsets.
func (m *TabletMeta) Stats() (rows, size int64) {
	for _, rs := range m.Rowsets {
		rows += rs.Rows
		size += rs.Size
	}
	return rows, size
}

// TxnLog is what a compute node leaves for one tablet of a transaction: the
// rowset it wrote (and, for a compaction, the rowsets it replaces). Publish
// turns base metadata plus the log into the next version. It is stored at
// layout.TxnLogKey(TabletID, TxnID).
type TxnLog struct {
	// TabletID is the tablet the log is for.
	TabletID int64 `json:"tablet_id"`
	// TxnID is the transaction (load or compaction) that wrote it.
	TxnID int64 `json:"txn_id"`
	// GTID is the transaction's global transaction id.
	GTID int64 `json:"gtid"`
	// Op is OpWrite or OpCompaction.
	Op string `json:"op"`
	// Rowset is the written rowset (its ID is assigned on publish); nil or
	// without segments when the transaction wrote no rows to the tablet.
	Rowset *Rowset `json:"rowset,omitempty"`
	// InputRowsets are the ids a compaction replaces.
	InputRowsets []uint32 `json:"input_rowsets,omitempty"`
}

// WrittenBy tells whether this version was published by transaction txnID
// with gtid. Publish is idempotent only through it: a version already
// written by the publishing transaction is the answer as it is. After a
// restore from a cluster snapshot, the lost cluster may have left a file at
// the same version by a transaction with the same id (ids are allocated
// again from the snapshot's watermark) but another gtid; such a file is
// not this transaction's, is treated as absent and is overwritten.
func (m *TabletMeta) WrittenBy(txnID, gtid int64) bool {
	return m != nil && m.TxnID == txnID && m.GTID == gtid
}

// BelongsTo tells whether the log was written by transaction txnID with
// gtid. A log under the same key (layout.TxnLogKey of the tablet and txn
// id) with another gtid is a leftover of a lost timeline: it is never
// applied.
func (l *TxnLog) BelongsTo(txnID, gtid int64) bool {
	return l != nil && l.TxnID == txnID && l.GTID == gtid
}

// Rows is the number of rows in all rowsets of the version.
func (m *TabletMeta) Rows() int64 {
	var n int64
	for _, r := range m.Rowsets {
		n += r.Rows
	}
	return n
}

// Size is the number of bytes of all segments of the version.
func (m *TabletMeta) Size() int64 {
	var n int64
	for _, r := range m.Rowsets {
		n += r.Size
	}
	return n
}

// SegmentNames lists the segment keys of the version in rowset order (older
// first), the order a reader merges them in.
func (m *TabletMeta) SegmentNames() []string {
	var out []string
	for _, r := range m.Rowsets {
		for _, s := range r.Segments {
			out = append(out, s.Name)
		}
	}
	return out
}

// Clone returns a deep copy, so a caller can derive a new version without
// touching a cached one.
func (m *TabletMeta) Clone() *TabletMeta {
	c := *m
	c.Rowsets = make([]Rowset, len(m.Rowsets))
	for i, r := range m.Rowsets {
		c.Rowsets[i] = r.clone()
	}
	if len(c.Rowsets) == 0 {
		c.Rowsets = nil
	}
	return &c
}

func (r Rowset) clone() Rowset {
	if r.Segments != nil {
		r.Segments = append([]SegmentRef(nil), r.Segments...)
	}
	return r
}

// crcLinePrefix starts the trailer line of metas and txn logs.
const crcLinePrefix = "crc32c:"

// sealJSON renders v as one JSON line followed by the trailer line
// "crc32c:<8 lowercase hex digits>\n" (CRC32-C of the JSON line without
// its newline).
func sealJSON(v any) []byte {
	js, err := json.Marshal(v)
	if err != nil {
		panic("lake: " + err.Error()) // plain structs of numbers and strings always marshal
	}
	out := make([]byte, 0, len(js)+len(crcLinePrefix)+10)
	out = append(out, js...)
	out = append(out, '\n')
	out = append(out, crcLinePrefix...)
	out = fmt.Appendf(out, "%08x\n", crc32c(js))
	return out
}

// openJSON verifies a sealJSON document and unmarshals it into v.
func openJSON(what, name string, b []byte, v any) error {
	const trailer = len(crcLinePrefix) + 8 + 1
	if len(b) < trailer+3 || b[len(b)-1] != '\n' || b[len(b)-trailer-1] != '\n' ||
		!bytes.HasPrefix(b[len(b)-trailer:], []byte(crcLinePrefix)) {
		return corrupt(what, name, "missing checksum line")
	}
	js := b[:len(b)-trailer-1]
	want, err := strconv.ParseUint(string(b[len(b)-9:len(b)-1]), 16, 32)
	if err != nil || fmt.Sprintf("%08x", want) != string(b[len(b)-9:len(b)-1]) {
		return corrupt(what, name, "malformed checksum line")
	}
	if crc32c(js) != uint32(want) {
		return corrupt(what, name, "checksum mismatch")
	}
	if err := json.Unmarshal(js, v); err != nil {
		return corrupt(what, name, "bad JSON: %v", err)
	}
	return nil
}

// nameKey extracts the "<dir>/<file>" tail of a full object name, for
// checking that an object's content belongs at its name.
func nameKey(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return name
	}
	j := strings.LastIndexByte(name[:i], '/')
	return name[j+1:]
}

// EncodeMeta serialises a tablet version: one JSON line and a CRC32-C
// trailer line (docs/lake-format.md, "Tablet metadata and txn logs").
func EncodeMeta(m *TabletMeta) []byte { return sealJSON(m) }

// DecodeMeta verifies and parses a tablet version. name is the object's
// full name: damage is a *CorruptError naming it, and when the name ends in
// a layout.MetaKey the content must be that tablet and version (a meta copied to
// the wrong name is corrupt too).
func DecodeMeta(name string, b []byte) (*TabletMeta, error) {
	var m TabletMeta
	if err := openJSON("tablet meta", name, b, &m); err != nil {
		return nil, err
	}
	if m.Version < 1 {
		return nil, corrupt("tablet meta", name, "version %d", m.Version)
	}
	if k, t, v, ok := layout.ParseKey(nameKey(name)); ok && k == layout.KindMeta && (t != m.TabletID || v != m.Version) {
		return nil, corrupt("tablet meta", name, "holds tablet %d version %d", m.TabletID, m.Version)
	}
	return &m, nil
}

// EncodeTxnLog serialises a txn log like EncodeMeta.
func EncodeTxnLog(l *TxnLog) []byte { return sealJSON(l) }

// DecodeTxnLog verifies and parses a txn log; like DecodeMeta, errors name
// the object and a log whose content does not match its layout.TxnLogKey name is
// corrupt.
func DecodeTxnLog(name string, b []byte) (*TxnLog, error) {
	var l TxnLog
	if err := openJSON("txn log", name, b, &l); err != nil {
		return nil, err
	}
	if k, t, txn, ok := layout.ParseKey(nameKey(name)); ok && k == layout.KindLog && (t != l.TabletID || txn != l.TxnID) {
		return nil, corrupt("txn log", name, "holds tablet %d txn %d", l.TabletID, l.TxnID)
	}
	return &l, nil
}

// ErrNoTxnLog is PublishTxn's answer for a tablet the commit recorded as
// having received data when no txn log of the transaction is there (it
// is missing, or the log found is a leftover of another timeline). The
// publisher must not make an empty version over rows a load was
// acknowledged for; another publisher may have published the version
// meanwhile (TabletMeta.WrittenBy then holds).
var ErrNoTxnLog = errors.New("no txn log of the transaction")

// PublishTxn is the publish rule of one tablet once the target version was
// found not written by the transaction (TabletMeta.WrittenBy): it derives
// version newVersion from base and found, the txn log read under
// layout.TxnLogKey(tablet, txnID) (nil when there is none).
//
// A found log that does not belong to the transaction (TxnLog.BelongsTo:
// after a restore from a cluster snapshot the lost cluster may have left a
// log under the same txn id with another gtid) is never applied: it counts
// as no log. With no log of the transaction, a tablet that received no data
// (hasData false) moves to the new version unchanged, and one that did is
// an error wrapping ErrNoTxnLog.
func PublishTxn(base *TabletMeta, found *TxnLog, hasData bool, newVersion, txnID, gtid int64) (*TabletMeta, error) {
	log := found
	if !found.BelongsTo(txnID, gtid) {
		log = nil
	}
	if log == nil && hasData {
		if found != nil {
			return nil, fmt.Errorf("%w: the txn log found belongs to another timeline (gtid %d, not %d)", ErrNoTxnLog, found.GTID, gtid)
		}
		return nil, ErrNoTxnLog
	}
	return Publish(base, log, newVersion, txnID, gtid)
}

// EmptyMeta is version 1 of every tablet: no rowsets. It is never stored;
// a reader of version 1 uses it directly.
func EmptyMeta(tablet int64) *TabletMeta {
	return &TabletMeta{TabletID: tablet, Version: 1, NextRowsetID: 1}
}

// Publish derives version newVersion of a tablet from base (which must be
// version newVersion-1) and the transaction's txn log. It is pure: base and
// log are not modified.
//
//   - log nil: the transaction wrote nothing to this tablet; the new version
//     has base's rowsets (every tablet of a partition gets every version).
//   - "write": the log's rowset is appended with the next rowset id (a
//     rowset without segments and rows is not added).
//   - "compaction": the input rowsets, which must all be in base and be
//     adjacent there, are removed and the output rowset takes the position
//     of the first of them, so rows keep their version order for REPLACE
//     and UNIQUE semantics. Inputs missing from base (another compaction or
//     a retry already replaced them) are an error.
//
// The new version records txnID and gtid; a log of another tablet or
// transaction, or with another gtid (a leftover of a lost timeline; see
// TxnLog.BelongsTo), is an error: a caller that finds such a log treats it
// as absent.
func Publish(base *TabletMeta, log *TxnLog, newVersion, txnID, gtid int64) (*TabletMeta, error) {
	if base == nil {
		return nil, fmt.Errorf("publish version %d: no base metadata", newVersion)
	}
	if base.Version != newVersion-1 {
		return nil, fmt.Errorf("publish tablet %d version %d: base is version %d, want %d",
			base.TabletID, newVersion, base.Version, newVersion-1)
	}
	m := base.Clone()
	m.Version, m.TxnID, m.GTID = newVersion, txnID, gtid
	if m.NextRowsetID == 0 {
		m.NextRowsetID = 1
	}
	if log == nil {
		return m, nil
	}
	if log.TabletID != base.TabletID {
		return nil, fmt.Errorf("publish tablet %d version %d: txn log is for tablet %d", base.TabletID, newVersion, log.TabletID)
	}
	if log.TxnID != txnID {
		return nil, fmt.Errorf("publish tablet %d version %d: txn log is for txn %d, not %d", base.TabletID, newVersion, log.TxnID, txnID)
	}
	if log.GTID != gtid {
		return nil, fmt.Errorf("publish tablet %d version %d: txn log of txn %d has gtid %d, not %d (a leftover of another timeline)",
			base.TabletID, newVersion, txnID, log.GTID, gtid)
	}
	var out *Rowset
	if log.Rowset != nil && (len(log.Rowset.Segments) > 0 || log.Rowset.Rows > 0) {
		rs := log.Rowset.clone()
		rs.ID = m.NextRowsetID
		rs.TxnID = txnID
		m.NextRowsetID++
		out = &rs
	}
	switch log.Op {
	case OpWrite:
		if out != nil {
			m.Rowsets = append(m.Rowsets, *out)
		}
	case OpCompaction:
		if len(log.InputRowsets) == 0 {
			return nil, fmt.Errorf("publish tablet %d version %d: compaction txn %d has no input rowsets", base.TabletID, newVersion, txnID)
		}
		pos := make([]int, len(log.InputRowsets))
		for i, id := range log.InputRowsets {
			pos[i] = -1
			for j, r := range base.Rowsets {
				if r.ID == id {
					pos[i] = j
				}
			}
			if pos[i] < 0 {
				return nil, fmt.Errorf("publish tablet %d version %d: compaction input rowset %d is not in version %d",
					base.TabletID, newVersion, id, base.Version)
			}
		}
		first, last := pos[0], pos[0]
		seen := map[int]bool{}
		for _, p := range pos {
			if seen[p] {
				return nil, fmt.Errorf("publish tablet %d version %d: compaction lists rowset %d twice", base.TabletID, newVersion, base.Rowsets[p].ID)
			}
			seen[p] = true
			first, last = min(first, p), max(last, p)
		}
		if last-first+1 != len(pos) {
			return nil, fmt.Errorf("publish tablet %d version %d: compaction inputs %v are not adjacent in version %d",
				base.TabletID, newVersion, log.InputRowsets, base.Version)
		}
		rs := append([]Rowset(nil), m.Rowsets[:first]...)
		if out != nil {
			rs = append(rs, *out)
		}
		rs = append(rs, m.Rowsets[last+1:]...)
		if len(rs) == 0 {
			rs = nil
		}
		m.Rowsets = rs
	default:
		return nil, fmt.Errorf("publish tablet %d version %d: unknown txn log op %q", base.TabletID, newVersion, log.Op)
	}
	return m, nil
}
