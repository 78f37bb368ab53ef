package meta

import (
	"bytes"
	"io"
	"testing"

	"github.com/minirocks/minirocks/fe/journal"
)

// FuzzRestoreImage: any image body restores or fails with an error, never
// a panic, and a state that restored writes an image again (the next
// checkpoint) and answers reads.
func FuzzRestoreImage(f *testing.F) {
	for _, tables := range []int{1, 3} {
		snap, err := snapshotState(f, tables).Snapshot()
		if err != nil {
			f.Fatal(err)
		}
		var body bytes.Buffer
		if _, err := snap.WriteTo(&body); err != nil {
			f.Fatal(err)
		}
		f.Add(body.Bytes())
	}
	f.Add([]byte(`{"catalog":{"dbs":null},"starmgr":{}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewState()
		if err := m.Restore(journal.ImageHeader{FEJournalID: 1}, bytes.NewReader(data)); err != nil {
			return
		}
		snap, err := m.Snapshot()
		if err != nil {
			t.Fatalf("snapshot of a restored state: %v", err)
		}
		if _, err := snap.WriteTo(io.Discard); err != nil {
			t.Fatalf("image of a restored state: %v", err)
		}
		for _, db := range m.Catalog.DBs() {
			for _, tbl := range m.Catalog.Tables(db.Name) {
				m.Catalog.TableByID(tbl.ID)
			}
		}
		m.Catalog.Users()
		m.Catalog.StorageVolumes()
		m.Catalog.Frontends()
	})
}
