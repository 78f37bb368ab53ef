package loads

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/types"
)

func gtid(ms int64, inc uint8, seq int64) int64 {
	return ms<<gtidMsShift | int64(inc)<<gtidIncShift | seq
}

func TestNextGTID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nowMs int64
		last  int64
		inc   uint8
		want  int64
	}{
		{"first ever", 1000, 0, 7, gtid(1000, 7, 0)},
		{"clock moved on", 1001, gtid(1000, 7, 5), 7, gtid(1001, 7, 0)},
		{"same millisecond: next in sequence", 1000, gtid(1000, 7, 5), 7, gtid(1000, 7, 6)},
		{"sequence full: next millisecond", 1000, gtid(1000, 7, gtidSeqMask), 7, gtid(1001, 7, 0)},
		{"clock behind the catalog: after its newest, own incarnation", 900, gtid(1000, 7, 5), 7, gtid(1000, 7, 6)},
		{"catalog from a lower incarnation in the same millisecond", 1000, gtid(1000, 3, 9), 7, gtid(1000, 7, 0)},
		{"catalog from a higher incarnation in the same millisecond", 1000, gtid(1000, 9, 1), 7, gtid(1001, 7, 0)},
		{"clock far behind a higher incarnation", 10, gtid(1000, 200, 1), 7, gtid(1001, 7, 0)},
		{"gtids of the old layout (ms<<20 | seq)", 1000, 1000<<20 | 3, 0, 1000<<20 | 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nextGTID(tc.nowMs, tc.last, tc.inc)
			require.Equal(t, tc.want, got)
			require.Greater(t, got, tc.last)
			require.Equal(t, int64(tc.inc), got>>gtidIncShift&0xff, "every gtid carries the incarnation")
		})
	}
}

// TestNewGTIDAboveCatalog: a leader whose clock is behind the gtids in its
// catalog (a new leader, or a cluster restored on machines whose clocks lag
// the lost cluster's) never issues a gtid at or below the catalog's
// largest, and re-reads the catalog when its leadership term changes.
func TestNewGTIDAboveCatalog(t *testing.T) {
	cat := catalog.New()
	p := applier{cat}
	future := (time.Since(gtidEpoch).Milliseconds() + int64(time.Hour/time.Millisecond)) << gtidMsShift
	const first = catalog.FirstID
	_, err := p.Propose(t.Context(),
		&catalog.BootstrapOp{ClusterID: "42", Frontend: catalog.Frontend{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, Role: catalog.RoleFollower},
			Volume: &catalog.StorageVolume{ID: "v1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}},
		&catalog.SaveNextIDOp{NextID: first + 1000},
		&catalog.CreateDBOp{DB: catalog.Database{ID: first, Name: "d"}},
		&catalog.CreateTableOp{Table: catalog.Table{ID: first + 10, DBID: first, Name: "t", KeysType: catalog.DupKeys, KeyColumns: []string{"k"},
			Columns:       []catalog.Column{{Name: "k", Type: types.TInt, IsKey: true, Nullable: true}},
			Partitioning:  catalog.PartitionInfo{Type: "UNPARTITIONED"},
			Distribution:  catalog.Distribution{Type: "HASH", Columns: []string{"k"}, Buckets: 1},
			StorageVolume: "builtin_storage_volume",
			Partitions:    []*catalog.Partition{{ID: first + 11, Name: "t", ShardGroupID: first + 12, Tablets: []int64{first + 13}, VisibleVersion: 1, NextVersion: 2}}}},
		&catalog.BeginTxnOp{Txn: catalog.Transaction{ID: first + 30, DBID: first, TableID: first + 10, Label: "a", Kind: catalog.TxnInsert, GTID: future}})
	require.NoError(t, err)
	lead := &termLeader{term: 1}
	l := New(Config{Catalog: cat, Proposer: p, Leader: lead})
	l.incarnation = 5
	g1 := l.newGTID()
	require.Equal(t, future|5<<gtidIncShift, g1, "the catalog's millisecond, above its gtid, with this incarnation")
	g2 := l.newGTID()
	require.Equal(t, g1+1, g2)

	// Another leader issued a larger gtid meanwhile; this FE leads again
	// in a later term.
	later := future + 10<<gtidMsShift
	_, err = p.Propose(t.Context(), &catalog.BeginTxnOp{Txn: catalog.Transaction{ID: first + 31, DBID: first, TableID: first + 10, Label: "b", Kind: catalog.TxnInsert, GTID: later}})
	require.NoError(t, err)
	lead.term = 2
	require.Equal(t, later|5<<gtidIncShift, l.newGTID())

	// A restore raises the generation: every gtid after it carries it, so
	// it differs from the lost timeline's even with a clock behind theirs.
	_, err = p.Propose(t.Context(), &catalog.RenewClusterTokenOp{Token: "restored", Restore: true, Time: 1})
	require.NoError(t, err)
	g := l.newGTID()
	require.Equal(t, int64(1<<4|5), g>>gtidIncShift&0xff)
	require.Greater(t, g, later)
}

type termLeader struct{ term int64 }

func (l *termLeader) Leading() bool { return true }
func (l *termLeader) Term() int64   { return l.term }
