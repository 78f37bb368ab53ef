// Package lakedesc describes tables to compute nodes: the schema a tablet
// is written and read with, each tablet with its storage volume and
// partition directory, and the routes that send a row to its partition and
// tablet. A compute node knows nothing of the catalog; what it needs of a
// table travels in these descriptions, built in this one place for loads,
// scans, compaction and vacuum alike.
package lakedesc

import (
	"fmt"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

// Schema is the data layer's view of a table.
func Schema(t *catalog.Table) *lake.Schema {
	s := &lake.Schema{KeysType: string(t.KeysType)}
	for _, c := range t.Columns {
		s.Columns = append(s.Columns, lake.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable, IsKey: c.IsKey, AggType: c.AggType, Default: c.Default})
	}
	return s
}

// VolumeID is the id of the storage volume holding a table's data.
func VolumeID(cat *catalog.Catalog, t *catalog.Table) (string, error) {
	v := cat.StorageVolume(t.StorageVolume)
	if v == nil {
		return "", sqlerr.Generic("Storage volume '%s' of table '%s' does not exist", t.StorageVolume, t.Name)
	}
	return v.ID, nil
}

// Tablet describes one tablet of a partition of t on volume volumeID.
func Tablet(t *catalog.Table, p *catalog.Partition, tabletID int64, volumeID string) rpc.Tablet {
	return rpc.Tablet{ID: tabletID, VolumeID: volumeID, Dir: layout.PartitionDir(t.DBID, t.ID, p.ID)}
}

// Targets describes a table's partitions for routing and writing: each
// partition with its tablets, the index of the range-partitioning column
// (-1 without one) and the indexes of the hash-distribution columns.
func Targets(cat *catalog.Catalog, t *catalog.Table, parts []*catalog.Partition) ([]rpc.PartitionTarget, int, []int, error) {
	vid, err := VolumeID(cat, t)
	if err != nil {
		return nil, 0, nil, err
	}
	pcol := -1
	var ptype types.Type
	for i, c := range t.Columns {
		if t.Partitioning.Type == "RANGE" && c.Name == t.Partitioning.Column {
			pcol, ptype = i, c.Type
		}
	}
	var dist []int
	if t.Distribution.Type == "HASH" {
		for _, dc := range t.Distribution.Columns {
			for i, c := range t.Columns {
				if c.Name == dc {
					dist = append(dist, i)
				}
			}
		}
	}
	var out []rpc.PartitionTarget
	for _, p := range parts {
		route := lake.PartitionRoute{ID: p.ID, Name: p.Name, Tablets: p.Tablets}
		if p.Range != nil && !p.Range.MaxValue {
			v, err := types.ParseValue(ptype, p.Range.Upper)
			if err != nil {
				return nil, 0, nil, fmt.Errorf("partition %s bound: %w", p.Name, err)
			}
			route.Upper = &v
		}
		pt := rpc.PartitionTarget{Route: route}
		for _, tb := range p.Tablets {
			pt.Tablets = append(pt.Tablets, Tablet(t, p, tb, vid))
		}
		out = append(out, pt)
	}
	return out, pcol, dist, nil
}
