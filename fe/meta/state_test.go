package meta

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/starmgr"
)

func apply(t *testing.T, m *State, ops ...any) any {
	t.Helper()
	jops, err := EncodeOps(ops)
	require.NoError(t, err)
	// Round-trip through the entry encoding, as the journal does.
	decoded, err := journal.DecodeEntry(journal.EncodeEntry(jops))
	require.NoError(t, err)
	return m.Apply(1, decoded)
}

// TestEntryAppliesWholeOrNotAtAll: when one op of an entry is rejected, no
// op of the entry applies, in either state machine.
func TestEntryAppliesWholeOrNotAtAll(t *testing.T) {
	m := NewState()
	require.Nil(t, apply(t, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"}}, &starmgr.InitOp{ServiceID: "svc"}))
	require.Nil(t, apply(t, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + 100}))
	require.Equal(t, uint64(1), m.StarMgr.JournalID())

	cases := []struct {
		name string
		ops  []any
	}{
		{"catalog op rejected", []any{
			&starmgr.CreateShardGroupsOp{Groups: []starmgr.ShardGroup{{ID: catalog.FirstID + 50, Shards: []int64{catalog.FirstID + 51}}}},
			&catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID + 5000, Name: "x"}}, // id not allocated
		}},
		{"starmgr op rejected", []any{
			&catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID + 1, Name: "y"}},
			&starmgr.InitOp{ServiceID: "again"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, err := m.Snapshot()
			require.NoError(t, err)
			res := apply(t, m, tc.ops...)
			require.Error(t, res.(error))
			after, err := m.Snapshot()
			require.NoError(t, err)
			var b1, b2 bytes.Buffer
			before.WriteTo(&b1)
			after.WriteTo(&b2)
			require.Equal(t, b1.String(), b2.String())
			require.Equal(t, uint64(1), after.JournalIDs()["starmgr"])
		})
	}
}

func TestMetaStateImageRoundTrip(t *testing.T) {
	m := NewState()
	require.Nil(t, apply(t, m, &catalog.BootstrapOp{ClusterID: "1", Frontend: catalog.Frontend{Name: "fe"}}, &starmgr.InitOp{ServiceID: "svc"}))
	require.Nil(t, apply(t, m, &catalog.SaveNextIDOp{NextID: catalog.FirstID + 100}))
	require.Nil(t, apply(t, m, &catalog.CreateDBOp{DB: catalog.Database{ID: catalog.FirstID, Name: "d"}}))
	snap, err := m.Snapshot()
	require.NoError(t, err)
	var body bytes.Buffer
	_, err = snap.WriteTo(&body)
	require.NoError(t, err)

	m2 := NewState()
	require.NoError(t, m2.Restore(journal.ImageHeader{FEJournalID: 3, JournalIDs: snap.JournalIDs()}, &body))
	require.NotNil(t, m2.Catalog.DB("d"))
	require.Equal(t, "svc", m2.StarMgr.ServiceID())
	require.Equal(t, m.StarMgr.JournalID(), m2.StarMgr.JournalID())
	require.Equal(t, m.StarMgr.JournalID(), StarMgrJournalID(journal.ImageHeader{JournalIDs: snap.JournalIDs()}))
}
