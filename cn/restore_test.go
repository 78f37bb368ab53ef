package cn

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// loadTagged writes rows (i, tag) for i in 0..rows-1 into a tablet as
// transaction txnID with gtid: segments and a txn log, as a load does.
// Loads of equal row counts make segments of equal sizes, so only the
// names tell a lost timeline's segment from a new one.
func loadTagged(t *testing.T, n *Node, tb rpc.Tablet, txnID, gtid, tag int64, rows int) {
	t.Helper()
	ctx := context.Background()
	st, svc, err := n.store(ctx, tb.VolumeID)
	require.NoError(t, err)
	w := n.newTabletWriter(st, svc, tb, txnID, gtid, testSchema, newUploader(ctx, 2*segmentTarget))
	var rs []lake.Row
	for i := range rows {
		rs = append(rs, lake.Row{types.IntValue(types.BigInt, int64(i)), types.IntValue(types.BigInt, tag)})
	}
	_, err = w.add(rs)
	require.NoError(t, err)
	_, err = w.finish(ctx, "write", nil)
	require.NoError(t, err)
}

// tagsAt reads a tablet at a version through the node's read path (and its
// segment cache) and returns the v column of every row.
func tagsAt(t *testing.T, n *Node, tb rpc.Tablet, version int64) []int64 {
	t.Helper()
	var out []int64
	require.NoError(t, n.tabletRows(context.Background(), tb, version, testSchema, func(rows []lake.Row) error {
		for _, r := range rows {
			out = append(out, r[1].Int)
		}
		return nil
	}))
	return out
}

func repeat(tag int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = tag
	}
	return out
}

// TestPublishOverLostTimeline reproduces what a cluster restored from a
// cluster snapshot finds in object storage: the lost cluster published
// versions 2..5 of a tablet (transactions 102..105, gtids 1002..1005),
// left the txn log of transaction 106 (gtid 1006), and read its versions
// (so segment copies of that timeline are in the node's cache, which was
// not wiped); the restored catalog knows only up to version 3 and
// allocates the transaction ids 104..106 again with new gtids. The new
// writes must never read or collide with the leftovers.
func TestPublishOverLostTimeline(t *testing.T) {
	n := testNode(t)
	ctx := context.Background()
	st, svc, err := n.store(ctx, testVolume)
	require.NoError(t, err)
	const rows = 4
	lostTimeline := func(tb rpc.Tablet) {
		for v := int64(2); v <= 5; v++ {
			loadTagged(t, n, tb, 100+v, 1000+v, 1000+v, rows)
			_, err := n.publish(ctx, &rpc.PublishRequest{Tablets: []rpc.Tablet{tb}, TxnID: 100 + v, GTID: 1000 + v, Version: v, DataTablets: []int64{tb.ID}})
			require.NoError(t, err)
			require.Len(t, tagsAt(t, n, tb, v), int(v-1)*rows) // fills the cache
		}
		loadTagged(t, n, tb, 106, 1006, 1006, rows)
	}
	snapshotRows := append(repeat(1002, rows), repeat(1003, rows)...)

	for i, tc := range []struct {
		name string
		// run acts as the restored cluster: what it loads, then the
		// publish of version 4.
		load func(tb rpc.Tablet)
		req  rpc.PublishRequest
		// noData: the commit recorded no data for the tablet.
		noData  bool
		wantErr string
		want4   []int64 // rows at version 4 afterwards
		// wantTxn is the txn id and gtid version 4 records afterwards.
		wantTxn [2]int64
	}{
		{
			name:    "a new load under a reused txn id",
			load:    func(tb rpc.Tablet) { loadTagged(t, n, tb, 104, 2004, 2004, rows) },
			req:     rpc.PublishRequest{TxnID: 104, GTID: 2004, Version: 4},
			want4:   append(append([]int64(nil), snapshotRows...), repeat(2004, rows)...),
			wantTxn: [2]int64{104, 2004},
		},
		{
			name:    "a leftover txn log of a tablet the commit says got no data",
			req:     rpc.PublishRequest{TxnID: 106, GTID: 2006, Version: 4},
			noData:  true,
			want4:   snapshotRows,
			wantTxn: [2]int64{106, 2006},
		},
		{
			name:    "a leftover txn log of a tablet that got data is never applied",
			req:     rpc.PublishRequest{TxnID: 106, GTID: 2006, Version: 4},
			wantErr: "its txn log belongs to another timeline (gtid 1006)",
			want4:   append(append([]int64(nil), snapshotRows...), repeat(1004, rows)...),
			wantTxn: [2]int64{104, 1004},
		},
		{
			name:    "a transaction committed at the snapshot that the lost cluster published",
			req:     rpc.PublishRequest{TxnID: 104, GTID: 1004, Version: 4},
			want4:   append(append([]int64(nil), snapshotRows...), repeat(1004, rows)...),
			wantTxn: [2]int64{104, 1004},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := testTablet(int64(40 + i))
			lostTimeline(tb)
			lost4 := metaAt(t, n, tb, 4)
			if tc.load != nil {
				tc.load(tb)
			}
			req := tc.req
			req.Tablets = []rpc.Tablet{tb}
			if !tc.noData {
				req.DataTablets = []int64{tb.ID}
			}
			resp, err := n.publish(ctx, &req)
			if tc.wantErr != "" {
				require.True(t, isCode(err, rpc.CodeMissingTxnLog), "%v", err)
				require.ErrorContains(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
				require.Equal(t, int64(len(tc.want4)), resp.Tablets[0].Rows)
			}
			require.Equal(t, tc.want4, tagsAt(t, n, tb, 4))
			m4 := metaAt(t, n, tb, 4)
			require.Equal(t, tc.wantTxn, [2]int64{m4.TxnID, m4.GTID})
			require.Equal(t, snapshotRows, tagsAt(t, n, tb, 3), "the snapshot's versions are untouched")
			if tc.load != nil {
				// The reused txn id wrote segments beside the lost ones,
				// never over them.
				newSegs, lostSegs := m4.Rowsets[len(m4.Rowsets)-1].Segments, lost4.Rowsets[len(lost4.Rowsets)-1].Segments
				require.Equal(t, []int64{104, 104}, []int64{m4.Rowsets[len(m4.Rowsets)-1].TxnID, lost4.Rowsets[len(lost4.Rowsets)-1].TxnID})
				require.Len(t, newSegs, 1)
				require.Len(t, lostSegs, 1)
				require.Equal(t, lostSegs[0].Size, newSegs[0].Size, "same size: only the name tells them apart")
				require.NotEqual(t, lostSegs[0].Name, newSegs[0].Name)
				for _, name := range lost4.SegmentNames() {
					_, err := st.Get(ctx, objKey(svc, tb, name))
					require.NoError(t, err, "the lost timeline's %s must be left in place", name)
				}
			}
			if err != nil {
				return
			}
			// The log (the transaction's own, or the leftover) is gone.
			_, err = st.Get(ctx, objKey(svc, tb, layout.TxnLogKey(tb.ID, req.TxnID)))
			require.True(t, errors.Is(err, volume.ErrNotFound), "%v", err)
			// Version 5 builds on the new version 4, never on the lost 4 or 5.
			loadTagged(t, n, tb, 105, 2005, 2005, rows)
			_, err = n.publish(ctx, &rpc.PublishRequest{Tablets: []rpc.Tablet{tb}, TxnID: 105, GTID: 2005, Version: 5, DataTablets: []int64{tb.ID}})
			require.NoError(t, err)
			require.Equal(t, append(append([]int64(nil), tc.want4...), repeat(2005, rows)...), tagsAt(t, n, tb, 5))
		})
	}
}
