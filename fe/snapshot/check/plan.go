// Package check proves that a cluster snapshot can be restored from the
// bucket alone: its manifest, every file the manifest lists (size and
// SHA-256), and every object of the table data its image refers to (the
// tablet metadata at each partition's visible version and the segments it
// lists, and for transactions COMMITTED but not yet published what their
// publish needs). The decision of what is required is pure (Partitions,
// Check); Verify does the reading. Its seam is a Store (volume.Store).
package check

import (
	"fmt"
	"slices"
	"sort"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/volume/layout"
)

// Partition is one partition an image refers to, with what a restored
// cluster reads of it.
type Partition struct {
	DBID    int64
	TableID int64
	ID      int64
	// Table and Name name it in messages ("t" / "p1").
	Table string
	Name  string
	// Volume is the storage volume of its table.
	Volume string
	// Tablets are its tablet ids.
	Tablets []int64
	// Visible is its visible version; version 1 is the empty tablet, which
	// has no objects.
	Visible int64
	// Pending are the transactions COMMITTED but not yet published into
	// it, by version ascending: a restored cluster publishes them again.
	Pending []PendingTxn
}

// PendingTxn is a COMMITTED transaction's share of one partition.
type PendingTxn struct {
	TxnID   int64
	Version int64
	// DataTablets are the partition's tablets that received data (a txn
	// log each); nil when the commit did not record them, then every
	// tablet may have one.
	DataTablets []int64
	// Recorded is false when the commit did not record DataTablets.
	Recorded bool
}

// Dir is the partition's directory relative to {location}/{service_id}/.
func (p Partition) Dir() string { return layout.PartitionDir(p.DBID, p.TableID, p.ID) }

// Partitions lists, by partition id, every partition the catalog refers
// to as catalog.SnapshotPins does: the partitions of live and recycled
// tables and the recycled partitions (those already in the purge queue are
// no longer referred to), each with its COMMITTED transactions.
func Partitions(cat *catalog.Catalog) []Partition {
	byID := map[int64]*Partition{}
	add := func(t *catalog.Table, volume string, p *catalog.Partition) {
		byID[p.ID] = &Partition{DBID: t.DBID, TableID: t.ID, ID: p.ID, Table: t.Name, Name: p.Name, Volume: volume,
			Tablets: slices.Clone(p.Tablets), Visible: p.VisibleVersion}
	}
	for _, db := range cat.DBs() {
		for _, t := range cat.Tables(db.Name) {
			for _, p := range t.Partitions {
				add(t, t.StorageVolume, p)
			}
		}
	}
	for _, rt := range cat.RecycledTables() {
		for _, p := range rt.Table.Partitions {
			add(rt.Table, rt.Table.StorageVolume, p)
		}
	}
	for _, rp := range cat.RecycledPartitions() {
		t := &catalog.Table{ID: rp.TableID, DBID: rp.DBID}
		if lt := cat.TableByID(rp.TableID); lt != nil {
			t.Name = lt.Name
		}
		add(t, rp.Volume, rp.Partition)
	}
	for _, txn := range cat.Txns(catalog.TxnCommitted) {
		for _, tp := range txn.Partitions {
			p := byID[tp.PartitionID]
			if p == nil {
				continue
			}
			pt := PendingTxn{TxnID: txn.ID, Version: tp.Version, Recorded: txn.DataTablets != nil}
			for _, tb := range p.Tablets {
				if slices.Contains(txn.DataTablets, tb) {
					pt.DataTablets = append(pt.DataTablets, tb)
				}
			}
			p.Pending = append(p.Pending, pt)
		}
	}
	out := make([]Partition, 0, len(byID))
	for _, p := range byID {
		sort.Slice(p.Pending, func(i, j int) bool { return p.Pending[i].Version < p.Pending[j].Version })
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// hasData reports whether tablet may have a txn log of the transaction.
func (t PendingTxn) hasData(tablet int64) bool {
	return !t.Recorded || slices.Contains(t.DataTablets, tablet)
}

// ToRead returns, sorted, the keys relative to the partition directory
// whose contents Check needs among the keys present (listing): the tablet
// metadata at the visible version, and for each pending transaction its
// version's metadata when it is published already, otherwise the txn logs
// of its data tablets.
func ToRead(p Partition, listing map[string]int64) []string {
	var out []string
	for _, tb := range p.Tablets {
		if k := layout.MetaKey(tb, p.Visible); p.Visible > 1 && hasKey(listing, k) {
			out = append(out, k)
		}
		for _, t := range p.Pending {
			if k := layout.MetaKey(tb, t.Version); hasKey(listing, k) {
				out = append(out, k)
			} else if k := layout.TxnLogKey(tb, t.TxnID); t.hasData(tb) && hasKey(listing, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func hasKey(listing map[string]int64, k string) bool {
	_, ok := listing[k]
	return ok
}

// Problem is one object a restore needs that is missing or damaged.
type Problem struct {
	// Object is the key relative to the location (or the snapshot file).
	Object string `json:"object"`
	// Reason says what is wrong and what needs it.
	Reason string `json:"reason"`
}

// Counts are what a check looked at.
type Counts struct {
	Partitions int `json:"partitions"`
	Tablets    int `json:"tablets"`
	Metas      int `json:"metas"`
	Segments   int `json:"segments"`
	TxnLogs    int `json:"txn_logs"`
}

func (c *Counts) add(o Counts) {
	c.Partitions += o.Partitions
	c.Tablets += o.Tablets
	c.Metas += o.Metas
	c.Segments += o.Segments
	c.TxnLogs += o.TxnLogs
}

// Check decides whether a partition's directory holds everything a
// restore needs. listing maps the keys present (relative to the partition
// directory) to their sizes; metas and logs hold the decoded contents of
// the keys ToRead named that could be read (a key listed but absent from
// both could not be decoded: it is damaged). Keys in the problems are
// relative to the partition directory; the result is sorted.
//
// Required: for every tablet, the metadata at the visible version (none
// for version 1) and every segment it lists, at the size it records; for
// each pending transaction, either its version's metadata (published
// after the snapshot) with its segments, or, for each tablet that received
// data, the txn log with the segments of its rowset.
func Check(p Partition, listing map[string]int64, metas map[string]*lake.TabletMeta, logs map[string]*lake.TxnLog) ([]Problem, Counts) {
	var probs []Problem
	c := Counts{Partitions: 1, Tablets: len(p.Tablets)}
	seen := map[string]bool{}
	segment := func(s lake.SegmentRef, what string) {
		if seen[s.Name] {
			return
		}
		seen[s.Name] = true
		c.Segments++
		size, ok := listing[s.Name]
		switch {
		case !ok:
			probs = append(probs, Problem{Object: s.Name, Reason: "segment missing, listed by " + what})
		case s.Size > 0 && size != s.Size:
			probs = append(probs, Problem{Object: s.Name, Reason: fmt.Sprintf("segment is %d bytes, %s says %d", size, what, s.Size)})
		}
	}
	meta := func(key, what string) bool {
		if !hasKey(listing, key) {
			probs = append(probs, Problem{Object: key, Reason: "tablet metadata missing, needed for " + what})
			return false
		}
		c.Metas++
		m := metas[key]
		if m == nil {
			probs = append(probs, Problem{Object: key, Reason: "tablet metadata cannot be read, needed for " + what})
			return false
		}
		for _, rs := range m.Rowsets {
			for _, s := range rs.Segments {
				segment(s, key)
			}
		}
		return true
	}
	for _, tb := range p.Tablets {
		if p.Visible > 1 {
			meta(layout.MetaKey(tb, p.Visible), fmt.Sprintf("visible version %d", p.Visible))
		}
		for _, t := range p.Pending {
			what := fmt.Sprintf("version %d of committed transaction %d", t.Version, t.TxnID)
			if k := layout.MetaKey(tb, t.Version); hasKey(listing, k) {
				meta(k, what)
				continue
			}
			if !t.hasData(tb) {
				continue
			}
			k := layout.TxnLogKey(tb, t.TxnID)
			if !hasKey(listing, k) {
				if t.Recorded {
					probs = append(probs, Problem{Object: k, Reason: "txn log missing and " + layout.MetaKey(tb, t.Version) + " not written, needed to publish " + what})
				}
				continue
			}
			c.TxnLogs++
			l := logs[k]
			if l == nil {
				probs = append(probs, Problem{Object: k, Reason: "txn log cannot be read, needed to publish " + what})
				continue
			}
			if l.Rowset != nil {
				for _, s := range l.Rowset.Segments {
					segment(s, k)
				}
			}
		}
	}
	sort.Slice(probs, func(i, j int) bool {
		if probs[i].Object != probs[j].Object {
			return probs[i].Object < probs[j].Object
		}
		return probs[i].Reason < probs[j].Reason
	})
	return probs, c
}
