package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// txnCatalog is a bootstrapped catalog with database d1 (FirstID) and
// table t (FirstID+10, one partition FirstID+11).
func txnCatalog(t *testing.T) *Catalog {
	c := bootstrapped(t)
	require.NoError(t, c.Apply(&CreateDBOp{DB: Database{ID: FirstID, Name: "d1"}}))
	require.NoError(t, c.Apply(&CreateTableOp{Table: table(FirstID+10, FirstID, "t", FirstID+11)}))
	return c
}

// txnStep drives one transaction to a final state with the times given.
type txnStep struct {
	id     int64
	label  string
	state  TxnState // the state it is left in
	finish int64    // visible or abort time (ms)
}

func runTxns(t *testing.T, c *Catalog, steps []txnStep) {
	t.Helper()
	for _, s := range steps {
		require.NoError(t, c.Apply(&BeginTxnOp{Txn: Transaction{ID: s.id, DBID: FirstID, TableID: FirstID + 10, Label: s.label, Kind: TxnInsert, BeginTime: s.finish - 10}}))
		switch s.state {
		case TxnPrepare:
		case TxnAborted:
			require.NoError(t, c.Apply(&AbortTxnOp{TxnID: s.id, Reason: "r", AbortTime: s.finish}))
		case TxnCommitted, TxnVisible:
			require.NoError(t, c.Apply(&CommitTxnOp{TxnID: s.id, PartitionIDs: []int64{FirstID + 11}, Rows: 1, CommitTime: s.finish - 5}))
			if s.state == TxnVisible {
				require.NoError(t, c.Apply(&VisibleTxnOp{TxnID: s.id, VisibleTime: s.finish}))
			}
		}
	}
}

func txnIDs(txns []*Transaction) []int64 {
	out := []int64{}
	for _, t := range txns {
		out = append(out, t.ID)
	}
	return out
}

// TestForgetExpiredTxns checks that cleaning removes exactly the finished
// transactions older than the cut-off, never a live one, and frees their
// labels.
func TestForgetExpiredTxns(t *testing.T) {
	c := txnCatalog(t)
	runTxns(t, c, []txnStep{
		{1, "old_visible", TxnVisible, 1000},
		{2, "old_aborted", TxnAborted, 1500},
		{3, "new_visible", TxnVisible, 5000},
		{4, "new_aborted", TxnAborted, 6000},
		{7, "at_cutoff", TxnVisible, 2000},
		{5, "committed", TxnCommitted, 1200}, // committed long ago, never published
		{6, "prepared", TxnPrepare, 1100},
	})
	// Cut-off 2000: finished strictly before it.
	require.Equal(t, []int64{1, 2}, c.ExpiredTxns(2000, 0))
	require.Equal(t, []int64{1}, c.ExpiredTxns(2000, 1), "limit")
	require.Equal(t, []int64{}, c.ExpiredTxns(1000, 0))

	cases := []struct {
		name    string
		op      *ForgetTxnsOp
		wantErr string
	}{
		{"a prepared one", &ForgetTxnsOp{TxnIDs: []int64{1, 6}, ExpireBefore: 9000}, "transaction 6 is PREPARE, cannot forget it"},
		{"a committed one", &ForgetTxnsOp{TxnIDs: []int64{5}, ExpireBefore: 9000}, "transaction 5 is COMMITTED, cannot forget it"},
		{"one finished after the cut-off", &ForgetTxnsOp{TxnIDs: []int64{1, 3}, ExpireBefore: 2000}, "transaction 3 finished at 5000, not before the cut-off 2000"},
		{"one finished at the cut-off", &ForgetTxnsOp{TxnIDs: []int64{7}, ExpireBefore: 2000}, "transaction 7 finished at 2000, not before the cut-off 2000"},
		{"no cut-off", &ForgetTxnsOp{TxnIDs: []int64{1}}, "transaction 1 finished at 1000, not before the cut-off 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, err := c.MarshalImage()
			require.NoError(t, err)
			require.EqualError(t, c.Apply(tc.op), tc.wantErr)
			after, err := c.MarshalImage()
			require.NoError(t, err)
			require.Equal(t, string(before), string(after), "a rejected op changes nothing")
		})
	}

	require.NotNil(t, c.TxnByLabel(FirstID, "old_visible"))
	// An id already forgotten (9 was never there) is skipped: a retry is harmless.
	require.NoError(t, c.Apply(&ForgetTxnsOp{TxnIDs: []int64{1, 2, 9}, ExpireBefore: 2000}))
	require.Equal(t, []int64{3, 4, 5, 6, 7}, txnIDs(c.Txns()))
	require.Nil(t, c.Txn(1))
	require.Nil(t, c.TxnByLabel(FirstID, "old_visible"), "label freed")
	require.Equal(t, []int64{}, c.ExpiredTxns(2000, 0))
	require.NoError(t, c.Apply(&ForgetTxnsOp{TxnIDs: []int64{1}, ExpireBefore: 2000}), "forgetting twice is a no-op")

	// The freed label is used again; a label still held is refused.
	require.NoError(t, c.Apply(&BeginTxnOp{Txn: Transaction{ID: 8, DBID: FirstID, TableID: FirstID + 10, Label: "old_visible", Kind: TxnInsert}}))
	require.Equal(t, int64(8), c.TxnByLabel(FirstID, "old_visible").ID)
	require.EqualError(t, c.Apply(&BeginTxnOp{Txn: Transaction{ID: 10, DBID: FirstID, TableID: FirstID + 10, Label: "new_visible", Kind: TxnInsert}}),
		"Label [new_visible] has already been used.")

	// The op travels through the journal encoding unchanged.
	op, err := DecodeOp(OpForgetTxns, []byte(`{"txn_ids":[3,4],"expire_before":7000}`))
	require.NoError(t, err)
	require.Equal(t, &ForgetTxnsOp{TxnIDs: []int64{3, 4}, ExpireBefore: 7000}, op)
	require.NoError(t, c.Apply(op))
	require.Equal(t, []int64{5, 6, 7, 8}, txnIDs(c.Txns()))
}

// TestLiveTxnIndex checks that the live transactions (PREPARE and
// COMMITTED) are indexed through every transition, that the index holds
// nothing else, and that an image restores it.
func TestLiveTxnIndex(t *testing.T) {
	c := txnCatalog(t)
	runTxns(t, c, []txnStep{
		{1, "v", TxnVisible, 1000},
		{2, "a", TxnAborted, 1000},
		{3, "c", TxnCommitted, 1000},
		{4, "p", TxnPrepare, 1000},
		{5, "p2", TxnPrepare, 1000},
	})
	check := func(c *Catalog) {
		t.Helper()
		require.Equal(t, []int64{4, 5}, txnIDs(c.Txns(TxnPrepare)))
		require.Equal(t, []int64{3}, txnIDs(c.Txns(TxnCommitted)))
		require.Equal(t, []int64{3, 4, 5}, txnIDs(c.Txns(TxnPrepare, TxnCommitted)))
		require.Equal(t, []int64{1}, txnIDs(c.Txns(TxnVisible)))
		require.Equal(t, []int64{1, 2}, txnIDs(c.Txns(TxnVisible, TxnAborted)))
		require.Equal(t, []int64{1, 2, 3, 4, 5}, txnIDs(c.Txns()))
		require.Len(t, c.liveTxns, 3, "only live transactions are indexed")
	}
	check(c)

	img, err := c.MarshalImage()
	require.NoError(t, err)
	c2 := New()
	require.NoError(t, c2.RestoreImage(img))
	check(c2)
	img2, err := c2.MarshalImage()
	require.NoError(t, err)
	require.Equal(t, string(img), string(img2), "images are deterministic")
	require.Equal(t, int64(1), c2.TxnByLabel(FirstID, "v").ID, "labels of visible transactions stay taken")
	require.Nil(t, c2.TxnByLabel(FirstID, "a"))

	// Transitions move transactions out of the index.
	require.NoError(t, c2.Apply(&VisibleTxnOp{TxnID: 3, VisibleTime: 2000}))
	require.NoError(t, c2.Apply(&AbortTxnOp{TxnID: 4, AbortTime: 2000}))
	require.Equal(t, []int64{5}, txnIDs(c2.Txns(TxnPrepare, TxnCommitted)))
	require.Len(t, c2.liveTxns, 1)

	// A forgotten history survives an image round trip: it is simply gone.
	require.NoError(t, c2.Apply(&ForgetTxnsOp{TxnIDs: c2.ExpiredTxns(3000, 0), ExpireBefore: 3000}))
	img3, err := c2.MarshalImage()
	require.NoError(t, err)
	c3 := New()
	require.NoError(t, c3.RestoreImage(img3))
	require.Equal(t, []int64{5}, txnIDs(c3.Txns()))
	require.Nil(t, c3.TxnByLabel(FirstID, "v"))
	require.Len(t, c3.liveTxns, 1)
}

// TestTxnJournalIDs: a transaction remembers the journal ids of the
// entries that committed it and made it visible (what tells whether a
// snapshot holds it); a rejected op records nothing, and ops applied
// outside the journal leave the ids zero.
func TestTxnJournalIDs(t *testing.T) {
	c := txnCatalog(t)
	require.NoError(t, c.ApplyAt(40, &BeginTxnOp{Txn: Transaction{ID: 1, DBID: FirstID, TableID: FirstID + 10, Label: "l1", Kind: TxnInsert, BeginTime: 1}}))
	require.Error(t, c.ApplyAt(41, &VisibleTxnOp{TxnID: 1, VisibleTime: 2}), "not committed yet")
	require.NoError(t, c.ApplyAt(42, &CommitTxnOp{TxnID: 1, PartitionIDs: []int64{FirstID + 11}, Rows: 1, CommitTime: 3}))
	got := c.Txn(1)
	require.Equal(t, [2]uint64{42, 0}, [2]uint64{got.CommitJournalID, got.VisibleJournalID})
	require.NoError(t, c.ApplyAt(47, &VisibleTxnOp{TxnID: 1, VisibleTime: 4}))
	got = c.Txn(1)
	require.Equal(t, [2]uint64{42, 47}, [2]uint64{got.CommitJournalID, got.VisibleJournalID})

	runTxns(t, c, []txnStep{{2, "l2", TxnVisible, 100}})
	got = c.Txn(2)
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{got.CommitJournalID, got.VisibleJournalID})
}
