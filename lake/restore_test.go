package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// lostTimeline is a partition directory on a MemStore after a restore from
// a cluster snapshot: the lost cluster published versions 2..5 of tablet 10
// (transactions 102..105 with gtids 1002..1005; version 1 is the empty
// tablet) and the restored catalog knows only up to version 3. The
// restored cluster allocates transaction ids 104 and 105 again, with other
// gtids.
type lostTimeline struct {
	t   *testing.T
	st  *MemStore
	dir string
	s   *Schema
	seq uint64 // unique parts of segment keys
}

const restoreTablet = 10

func newLostTimeline(t *testing.T) *lostTimeline {
	w := &lostTimeline{t: t, st: NewMemStore(), dir: "svc/" + layout.PartitionDir(1, 2, 3), s: intSchema(KeysDuplicate)}
	for v := int64(2); v <= 5; v++ {
		txn := 100 + v
		w.load(txn, 1000+v, fmt.Sprintf("lost%d", v))
		_, err := w.publish(v, txn, 1000+v, true)
		require.NoError(t, err)
	}
	// The lost cluster had also begun transaction 106 and written its log.
	w.load(106, 1006, "lost6")
	return w
}

// load writes one row (k = txn, v = tag) as transaction txn with gtid: a
// segment under a fresh unique key and the tablet's txn log.
func (w *lostTimeline) load(txn, gtid int64, tag string) {
	ctx := context.Background()
	var buf bytes.Buffer
	sw := NewSegmentWriter(&buf, w.s)
	require.NoError(w.t, sw.Append([]Row{{iv(types.BigInt, txn), sv(types.Varchar, tag)}}))
	info, err := sw.Close()
	require.NoError(w.t, err)
	w.seq++
	key := layout.SegmentKey(txn, restoreTablet, 0, w.seq)
	require.NoError(w.t, w.st.Put(ctx, w.dir+key, buf.Bytes()))
	l := &TxnLog{TabletID: restoreTablet, TxnID: txn, GTID: gtid, Op: OpWrite,
		Rowset: &Rowset{Rows: info.Rows, Size: info.Size, Segments: []SegmentRef{{Name: key, Rows: info.Rows, Size: info.Size}}}}
	require.NoError(w.t, w.st.Put(ctx, w.dir+layout.TxnLogKey(restoreTablet, txn), EncodeTxnLog(l)))
}

// meta reads a version (nil when absent).
func (w *lostTimeline) meta(v int64) *TabletMeta {
	if v == 1 {
		return EmptyMeta(restoreTablet)
	}
	b, err := w.st.Get(context.Background(), w.dir+layout.MetaKey(restoreTablet, v))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	require.NoError(w.t, err)
	m, err := DecodeMeta(w.dir+layout.MetaKey(restoreTablet, v), b)
	require.NoError(w.t, err)
	return m
}

// publish does what a compute node's publish does with these rules: a
// version written by the transaction (same txn id and gtid) is the answer;
// anything else at the target is recomputed from the base version and the
// transaction's own log, and overwritten.
func (w *lostTimeline) publish(v, txn, gtid int64, hasData bool) (*TabletMeta, error) {
	ctx := context.Background()
	if m := w.meta(v); m.WrittenBy(txn, gtid) {
		return m, nil
	}
	logKey := w.dir + layout.TxnLogKey(restoreTablet, txn)
	var found *TxnLog
	b, err := w.st.Get(ctx, logKey)
	if err == nil {
		found, err = DecodeTxnLog(logKey, b)
		require.NoError(w.t, err)
	} else {
		require.ErrorIs(w.t, err, ErrNotFound)
	}
	m, err := PublishTxn(w.meta(v-1), found, hasData, v, txn, gtid)
	if err != nil {
		return nil, err
	}
	require.NoError(w.t, w.st.Put(ctx, w.dir+layout.MetaKey(restoreTablet, v), EncodeMeta(m)))
	require.NoError(w.t, w.st.Delete(ctx, logKey))
	return m, nil
}

// tags reads version v and returns the v column of its rows, in order.
func (w *lostTimeline) tags(v int64) []string {
	var out []string
	for _, name := range w.meta(v).SegmentNames() {
		b, err := w.st.Get(context.Background(), w.dir+name)
		require.NoError(w.t, err)
		rows, err := ReadSegment(w.dir+name, b, w.s)
		require.NoError(w.t, err)
		for _, r := range rows {
			out = append(out, r[1].Str)
		}
	}
	return out
}

// TestPublishOverLostTimeline: tablet metadata, txn logs and segments the
// lost cluster wrote after the snapshot never become visible and never
// block or corrupt a write of the restored cluster (invariant 4 of the
// cluster snapshot semantics): a version is accepted as published only
// when its gtid is the publishing transaction's, and a txn log only when
// its gtid is.
func TestPublishOverLostTimeline(t *testing.T) {
	base := []string{"lost2", "lost3"} // versions 2 and 3 are the snapshot's
	for _, tc := range []struct {
		name string
		// run acts as the restored cluster and returns what publishing
		// version 4 answered.
		run     func(w *lostTimeline) (*TabletMeta, error)
		wantErr string
		// want4 is version 4's content after run: the rows read and the
		// transaction and gtid it records.
		want4     []string
		want4Txn  int64
		want4GTID int64
	}{
		{
			name: "new load with a reused txn id overwrites the lost version",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				w.load(104, 2004, "new4")
				return w.publish(4, 104, 2004, true)
			},
			want4: append(base, "new4"), want4Txn: 104, want4GTID: 2004,
		},
		{
			name: "new load with a fresh txn id overwrites the lost version",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				w.load(200, 2200, "new4")
				return w.publish(4, 200, 2200, true)
			},
			want4: append(base, "new4"), want4Txn: 200, want4GTID: 2200,
		},
		{
			name: "a leftover log of the reused txn id is ignored for a tablet without data",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				// The lost cluster's txn 106 (gtid 1006) left its log; the
				// restored cluster's txn 106 wrote nothing to this tablet.
				return w.publish(4, 106, 2006, false)
			},
			want4: base, want4Txn: 106, want4GTID: 2006,
		},
		{
			name: "a leftover log is never applied for a tablet with data",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				return w.publish(4, 106, 2006, true)
			},
			wantErr: "no txn log of the transaction: the txn log found belongs to another timeline (gtid 1006, not 2006)",
			// Nothing was written: version 4 is still the lost one, which
			// no reader of the restored cluster asks for (the partition's
			// visible version stays 3) and the next publish overwrites.
			want4: append(base, "lost4"), want4Txn: 104, want4GTID: 1004,
		},
		{
			name: "a committed txn the lost cluster already published is accepted as is",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				// Transaction 104 (gtid 1004) was COMMITTED at the snapshot;
				// the lost cluster published it and deleted its log.
				return w.publish(4, 104, 1004, true)
			},
			want4: append(base, "lost4"), want4Txn: 104, want4GTID: 1004,
		},
		{
			name: "publishing again changes nothing",
			run: func(w *lostTimeline) (*TabletMeta, error) {
				w.load(104, 2004, "new4")
				first, err := w.publish(4, 104, 2004, true)
				require.NoError(w.t, err)
				again, err := w.publish(4, 104, 2004, true)
				require.Equal(w.t, first, again)
				return again, err
			},
			want4: append(base, "new4"), want4Txn: 104, want4GTID: 2004,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newLostTimeline(t)
			m, err := tc.run(w)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				require.ErrorIs(t, err, ErrNoTxnLog)
				require.Nil(t, m)
			} else {
				require.NoError(t, err)
				require.Equal(t, w.meta(4), m, "publish answers what it stored")
			}
			m4 := w.meta(4)
			require.Equal(t, tc.want4, w.tags(4))
			require.Equal(t, []int64{4, tc.want4Txn, tc.want4GTID}, []int64{m4.Version, m4.TxnID, m4.GTID})
			require.Equal(t, base, w.tags(3), "the snapshot's versions are untouched")
			if err != nil {
				return
			}
			// The next version builds on the new version 4, never on the
			// lost timeline's 4 or 5.
			w.load(105, 2005, "new5")
			m5, err := w.publish(5, 105, 2005, true)
			require.NoError(t, err)
			require.Equal(t, append(append([]string(nil), tc.want4...), "new5"), w.tags(5))
			require.Equal(t, []int64{105, 2005}, []int64{m5.TxnID, m5.GTID})
		})
	}
}
