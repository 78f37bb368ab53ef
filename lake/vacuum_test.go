package lake

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/volume/layout"
)

// vacuumWorld is tablet 10 after this history (all objects old unless noted):
//
//	v2 txn 100 write A          [A]
//	v3 txn 101 write B          [A B]
//	v4 txn 102 compaction A,B→C [C]
//	v5 txn 103 write D          [C D]
//	v6 txn 104 (nothing for 10) [C D]
//
// plus an aborted txn 200 (old orphan segment and log), an aborted txn 201
// (young orphan segment), an in-flight txn 300 (old segment and log),
// tablet 11 with versions 2 and 6, and objects vacuum must not recognise.
type vacuumWorld struct {
	objs  []Object
	metas map[string]*TabletMeta
}

var (
	grace = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	old   = grace.Add(-time.Hour)
	young = grace.Add(time.Minute)
)

// seg names transaction txn's segment of tablet 10. Transactions below 102
// have the key form without a unique part (buckets written before it), so
// every case also checks that vacuum reads those.
func seg(txn int64) string {
	if txn < 102 {
		return layout.LegacySegmentKey(txn, 10, 0)
	}
	return layout.SegmentKey(txn, 10, 0, uint64(txn)*0x9e3779b97f4a7c15)
}

func newVacuumWorld(t *testing.T) *vacuumWorld {
	w := &vacuumWorld{metas: map[string]*TabletMeta{}}
	add := func(key string, mod time.Time) { w.objs = append(w.objs, Object{Key: key, Size: 1, Modified: mod}) }
	m := EmptyMeta(10)
	logs := []*TxnLog{
		{TabletID: 10, TxnID: 100, Op: OpWrite, Rowset: rs(1, seg(100))},
		{TabletID: 10, TxnID: 101, Op: OpWrite, Rowset: rs(1, seg(101))},
		{TabletID: 10, TxnID: 102, Op: OpCompaction, InputRowsets: []uint32{1, 2}, Rowset: rs(2, seg(102))},
		{TabletID: 10, TxnID: 103, Op: OpWrite, Rowset: rs(1, seg(103))},
		nil,
	}
	for i, l := range logs {
		v, txn := int64(i+2), int64(100+i)
		var err error
		if l != nil {
			l.GTID = txn
		}
		m, err = Publish(m, l, v, txn, txn)
		require.NoError(t, err)
		w.metas[layout.MetaKey(10, v)] = m
		add(layout.MetaKey(10, v), old)
		if l != nil {
			add(layout.TxnLogKey(10, txn), old)
			add(seg(txn), old)
		}
	}
	m11 := EmptyMeta(11)
	for _, v := range []int64{2, 6} {
		m11 = &TabletMeta{TabletID: 11, Version: v, NextRowsetID: 1}
		w.metas[layout.MetaKey(11, v)] = m11
		add(layout.MetaKey(11, v), old)
	}
	add(seg(200), old)
	add(layout.TxnLogKey(10, 200), old)
	add(seg(201), young)
	add(seg(300), old)
	add(layout.TxnLogKey(10, 300), old)
	add("data/garbage.tmp", old)
	add("meta/10_7.meta.tmp", old)
	add("other/x", old)
	return w
}

func (w *vacuumWorld) without(keys ...string) *vacuumWorld {
	out := &vacuumWorld{metas: w.metas}
	for _, o := range w.objs {
		keep := true
		for _, k := range keys {
			keep = keep && o.Key != k
		}
		if keep {
			out.objs = append(out.objs, o)
		}
	}
	return out
}

func (w *vacuumWorld) with(mod func(*Object)) *vacuumWorld {
	out := &vacuumWorld{metas: w.metas}
	for _, o := range w.objs {
		mod(&o)
		out.objs = append(out.objs, o)
	}
	return out
}

func TestPlanVacuum(t *testing.T) {
	w := newVacuumWorld(t)
	pending := map[int64]bool{300: true}
	oldLogs := []string{layout.TxnLogKey(10, 100), layout.TxnLogKey(10, 101), layout.TxnLogKey(10, 102), layout.TxnLogKey(10, 103), layout.TxnLogKey(10, 200)}
	for _, tc := range []struct {
		name   string
		world  *vacuumWorld
		policy VacuumPolicy
		// dropMeta is a retained meta the caller could not read.
		dropMeta string
		read     []string
		want     []string
	}{
		{
			name:   "retain newest only",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want: append([]string{seg(100), seg(101), seg(200),
				layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)}, oldLogs...),
		},
		{
			name:   "retain >= min",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 4, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(100), seg(101), seg(200), layout.MetaKey(10, 2), layout.MetaKey(10, 3)}, oldLogs...),
		},
		{
			name:   "min below the compaction keeps its inputs",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 3, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(200), layout.MetaKey(10, 2)}, oldLogs...),
		},
		{
			name:   "newest below min kept when min has no meta",
			world:  w.without(layout.MetaKey(10, 4)),
			policy: VacuumPolicy{MinRetainVersion: 4, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(10, 5), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(200), layout.MetaKey(10, 2)}, oldLogs...),
		},
		{
			name:   "min above every version keeps the newest",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 9, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want: append([]string{seg(100), seg(101), seg(200),
				layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)}, oldLogs...),
		},
		{
			name:   "pinned version kept with its data",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PinnedVersions: []int64{2}, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 2), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(101), seg(200), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5)}, oldLogs...),
		},
		{
			name:   "pinned version without a meta keeps the state it has",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PinnedVersions: []int64{5, 3}, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(10, 5), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(200), layout.MetaKey(10, 2), layout.MetaKey(10, 4)}, oldLogs...),
		},
		{
			name:   "pinned version before a compaction keeps the compaction's inputs",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PinnedVersions: []int64{3}, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 3), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:   append([]string{seg(200), layout.MetaKey(10, 2), layout.MetaKey(10, 4), layout.MetaKey(10, 5)}, oldLogs...),
		},
		{
			name:   "pinned version not published yet keeps what the visible one keeps",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PinnedVersions: []int64{7}, PendingTxns: pending, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want: append([]string{seg(100), seg(101), seg(200),
				layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)}, oldLogs...),
		},
		{
			name:     "an unread pinned meta protects all data",
			world:    w,
			policy:   VacuumPolicy{MinRetainVersion: 6, PinnedVersions: []int64{3}, PendingTxns: pending, Grace: grace},
			dropMeta: layout.MetaKey(10, 3),
			read:     []string{layout.MetaKey(10, 3), layout.MetaKey(10, 6), layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want:     append([]string{layout.MetaKey(10, 2), layout.MetaKey(10, 4), layout.MetaKey(10, 5)}, oldLogs...),
		},
		{
			name:   "pending txns keep segments and logs",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, PendingTxns: map[int64]bool{300: true, 200: true, 101: true}, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want: []string{seg(100),
				layout.TxnLogKey(10, 100), layout.TxnLogKey(10, 102), layout.TxnLogKey(10, 103),
				layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)},
		},
		{
			name:   "no pending map: an old in-flight segment is an orphan",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want: append([]string{seg(100), seg(101), seg(200), seg(300),
				layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)}, append(oldLogs, layout.TxnLogKey(10, 300))...),
		},
		{
			name:   "grace: young objects are never deleted",
			world:  w.with(func(o *Object) { o.Modified = young }),
			policy: VacuumPolicy{MinRetainVersion: 6, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want:   nil,
		},
		{
			name:   "grace boundary is exclusive",
			world:  w.with(func(o *Object) { o.Modified = grace }),
			policy: VacuumPolicy{MinRetainVersion: 6, Grace: grace},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want:   nil,
		},
		{
			name:   "zero grace deletes nothing",
			world:  w,
			policy: VacuumPolicy{MinRetainVersion: 6},
			read:   []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want:   nil,
		},
		{
			name:     "an unread retained meta protects all data",
			world:    w,
			policy:   VacuumPolicy{MinRetainVersion: 6, PendingTxns: pending, Grace: grace},
			dropMeta: layout.MetaKey(11, 6),
			read:     []string{layout.MetaKey(10, 6), layout.MetaKey(11, 6)},
			want:     append([]string{layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(11, 2)}, oldLogs...),
		},
		{
			name:   "min 0 retains every version",
			world:  w,
			policy: VacuumPolicy{PendingTxns: pending, Grace: grace},
			read: []string{layout.MetaKey(10, 2), layout.MetaKey(10, 3), layout.MetaKey(10, 4), layout.MetaKey(10, 5), layout.MetaKey(10, 6),
				layout.MetaKey(11, 2), layout.MetaKey(11, 6)},
			want: append([]string{seg(200)}, oldLogs...),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := MetasToRead(tc.world.objs, tc.policy)
			require.Equal(t, sortedCopy(tc.read), read)
			retained := map[string]*TabletMeta{}
			for _, k := range read {
				if k != tc.dropMeta {
					retained[k] = tc.world.metas[k]
				}
			}
			got := PlanVacuum(tc.world.objs, retained, tc.policy)
			require.Equal(t, sortedCopy(tc.want), got)
			// Same answer whatever order the listing came in.
			rev := append([]Object(nil), tc.world.objs...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			require.Equal(t, got, PlanVacuum(rev, retained, tc.policy))
		})
	}
}

func sortedCopy(s []string) []string {
	if s == nil {
		return nil
	}
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestPlanVacuumLeftoverSegments: after a restore, the lost timeline's
// segments of a transaction id the restored cluster uses again sit beside
// the new ones under other unique parts. The new version references only
// its own; the leftovers are garbage (unless the transaction is pending
// and too young to tell), whichever key form they have.
func TestPlanVacuumLeftoverSegments(t *testing.T) {
	mine := layout.SegmentKey(7, 10, 0, 0x1111)
	lost := layout.SegmentKey(7, 10, 0, 0x2222)
	lostLegacy := layout.LegacySegmentKey(7, 10, 1)
	m := &TabletMeta{TabletID: 10, Version: 4, TxnID: 7, GTID: 2, NextRowsetID: 2,
		Rowsets: []Rowset{{ID: 1, TxnID: 7, Rows: 1, Size: 1, Segments: []SegmentRef{{Name: mine, Rows: 1, Size: 1}}}}}
	objs := []Object{{Key: layout.MetaKey(10, 4), Modified: old}, {Key: mine, Modified: old},
		{Key: lost, Modified: old}, {Key: lostLegacy, Modified: old}}
	for _, tc := range []struct {
		name    string
		pending map[int64]bool
		want    []string
	}{
		{"published", nil, []string{lost, lostLegacy}},
		{"pending keeps every segment of the txn id", map[int64]bool{7: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := VacuumPolicy{MinRetainVersion: 4, PendingTxns: tc.pending, Grace: grace}
			require.Equal(t, []string{layout.MetaKey(10, 4)}, MetasToRead(objs, p))
			require.Equal(t, tc.want, PlanVacuum(objs, map[string]*TabletMeta{layout.MetaKey(10, 4): m}, p))
		})
	}
}
