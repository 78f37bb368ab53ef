// Package layout is the one home of the object layout under a storage
// volume location (DESIGN.md §5). Every object key the FE and compute nodes
// use is built here, so a restored cluster finds its data at exactly the
// paths the lost one wrote:
//
//	{location}/{service_id}/db{dbId}/{tableId}/{partitionId}/data/<txn>_<tablet>_<seq>_<unique>.dat
//	{location}/{service_id}/db{dbId}/{tableId}/{partitionId}/meta/<tablet>_<version>.meta
//	{location}/{service_id}/db{dbId}/{tableId}/{partitionId}/log/<tablet>_<txn>.log
//	{location}/{service_id}/meta/image/automated_cluster_snapshot_<ms>/...
//
// Keys are relative to the volume location; a store (package volume) turns
// them into bucket keys. The package does no I/O and imports nothing of the
// project, so the catalog, StarManager, the lake formats and the compute
// nodes can all share it.
package layout

import (
	"fmt"
	"strconv"
	"strings"
)

// The three directories of a partition, as ParseKey reports them.
const (
	KindMeta = "meta"
	KindLog  = "log"
	KindData = "data"
)

// SnapshotPrefix starts the name of every automated cluster snapshot
// (StarRocks' automated_cluster_snapshot_<ms timestamp>).
const SnapshotPrefix = "automated_cluster_snapshot_"

// ShardGroupPath is a partition's path relative to {location}/{service_id}/
// as StarManager records it for the partition's shard group:
// "db<db>/<table>/<partition>".
func ShardGroupPath(dbID, tableID, partitionID int64) string {
	return fmt.Sprintf("db%d/%d/%d", dbID, tableID, partitionID)
}

// PartitionDir is a partition's directory relative to
// {location}/{service_id}/: ShardGroupPath with a trailing slash, to which
// MetaKey, TxnLogKey and SegmentKey append.
func PartitionDir(dbID, tableID, partitionID int64) string {
	return ShardGroupPath(dbID, tableID, partitionID) + "/"
}

// TableURL is the storage path of a table as SHOW TABLES FROM PROC shows it
// (StarRocks' StoragePath column): "<location>/<service_id>/db<db>/<table>".
func TableURL(location, serviceID string, dbID, tableID int64) string {
	return fmt.Sprintf("%s/%s/db%d/%d", strings.TrimRight(location, "/"), serviceID, dbID, tableID)
}

// ServiceDir is the directory of one cluster's objects relative to the
// location: "<service_id>/".
func ServiceDir(serviceID string) string { return serviceID + "/" }

// Key joins a service id, a partition directory (PartitionDir) and a key
// relative to it into a key relative to the location.
func Key(serviceID, partitionDir, rel string) string {
	return ServiceDir(serviceID) + partitionDir + rel
}

// SnapshotName names an automated cluster snapshot taken at unixMs.
func SnapshotName(unixMs int64) string { return SnapshotPrefix + strconv.FormatInt(unixMs, 10) }

// SnapshotDir is the directory of one cluster snapshot relative to the
// location: "<service_id>/meta/image/<name>/".
func SnapshotDir(serviceID, snapshotName string) string {
	return SnapshotsDir(serviceID) + snapshotName + "/"
}

// SnapshotsDir is the directory holding every cluster snapshot of a
// service, relative to the location: "<service_id>/meta/image/".
func SnapshotsDir(serviceID string) string { return ServiceDir(serviceID) + "meta/image/" }

// LeaseKey is the object through which the leader FE of the cluster
// incarnation writing under a service holds it, relative to the location:
// "<service_id>/meta/lease.json" (fe/fence).
func LeaseKey(serviceID string) string { return ServiceDir(serviceID) + "meta/lease.json" }

// SnapshotManifest is the name of the manifest in a snapshot directory:
// written last, it lists every other object of the snapshot with its size
// and checksum. A directory without a valid one is not a snapshot.
const SnapshotManifest = "snapshot_meta.json"

// MetaKey is the key of a tablet version's metadata relative to the
// partition directory, named as StarRocks names it:
// "meta/<tablet as %016X>_<version as %016X>.meta".
func MetaKey(tablet, version int64) string {
	return fmt.Sprintf("meta/%016X_%016X.meta", uint64(tablet), uint64(version))
}

// TxnLogKey is the key of a tablet's txn log relative to the partition
// directory, named as StarRocks names it:
// "log/<tablet as %016X>_<txn as %016X>.log".
func TxnLogKey(tablet, txn int64) string {
	return fmt.Sprintf("log/%016X_%016X.log", uint64(tablet), uint64(txn))
}

// SegmentKey is the key of a segment file relative to the partition
// directory:
//
//	"data/<txn as %016x>_<tablet as %016x>_<seq as %04x>_<unique as %016x>.dat"
//
// It starts with the writing transaction's id, as StarRocks' segment names
// (<txn>_<uuid>.dat) do, so vacuum can tell from the name which transaction
// wrote a file; the tablet and sequence number say where the segment sits in
// the rowset. unique is 64 random bits the writer draws for each segment
// (StarRocks' uuid part): ids are reused after a restore from a cluster
// snapshot (the lost cluster may have written segments of transaction T
// after the snapshot, and the restored cluster allocates T again), so no
// segment of the restored cluster can overwrite, or be mistaken for, a
// leftover of the lost one, in object storage or in a compute node's
// cache. A retried write leaves the earlier attempt's segment unreferenced;
// vacuum removes it. Keys without the unique part (LegacySegmentKey) are
// still read.
func SegmentKey(txn, tablet int64, seq int, unique uint64) string {
	return fmt.Sprintf("data/%016x_%016x_%04x_%016x.dat", uint64(txn), uint64(tablet), seq, unique)
}

// LegacySegmentKey is the key segments were written under before
// SegmentKey had a unique part: "data/<txn as %016x>_<tablet as
// %016x>_<seq as %04x>.dat". Buckets written then still hold such keys;
// ParseKey and ParseSegmentKey accept them and nothing writes them.
func LegacySegmentKey(txn, tablet int64, seq int) string {
	return fmt.Sprintf("data/%016x_%016x_%04x.dat", uint64(txn), uint64(tablet), seq)
}

// ParseKey parses a key made by MetaKey, TxnLogKey, SegmentKey or
// LegacySegmentKey. n is the version (meta) or the transaction id (log,
// data). ok is false for any other key, including non-canonical spellings
// of these, so callers (such as vacuum) leave unknown objects alone.
func ParseKey(key string) (kind string, tablet int64, n int64, ok bool) {
	k, t, n, _, ok := parseKey(key)
	return k, t, n, ok
}

// Segment is a segment key's parts.
type Segment struct {
	// Txn is the transaction that wrote the segment.
	Txn int64
	// Tablet is the tablet the segment belongs to.
	Tablet int64
	// Seq is the segment's place among the transaction's segments of the tablet.
	Seq int
	// Unique is the random part; 0 and Legacy true for a LegacySegmentKey.
	Unique uint64
	// Legacy is true for a key without the unique part.
	Legacy bool
}

// ParseSegmentKey parses a SegmentKey (or a LegacySegmentKey) into its parts.
func ParseSegmentKey(key string) (Segment, bool) {
	base, found := strings.CutSuffix(key, ".dat")
	rest, found2 := strings.CutPrefix(base, KindData+"/")
	if !found || !found2 {
		return Segment{}, false
	}
	parts := strings.Split(rest, "_")
	if len(parts) != 3 && len(parts) != 4 {
		return Segment{}, false
	}
	var v [4]uint64
	for i, p := range parts {
		u, err := strconv.ParseUint(p, 16, 64)
		if err != nil {
			return Segment{}, false
		}
		v[i] = u
	}
	if v[2] > 1<<31-1 {
		return Segment{}, false
	}
	s := Segment{Txn: int64(v[0]), Tablet: int64(v[1]), Seq: int(v[2]), Unique: v[3], Legacy: len(parts) == 3}
	canon := SegmentKey(s.Txn, s.Tablet, s.Seq, s.Unique)
	if s.Legacy {
		canon = LegacySegmentKey(s.Txn, s.Tablet, s.Seq)
	}
	if canon != key {
		return Segment{}, false
	}
	return s, true
}

func parseKey(key string) (kind string, tablet, n int64, seq int, ok bool) {
	dir, file, found := strings.Cut(key, "/")
	if !found {
		return "", 0, 0, 0, false
	}
	switch dir {
	case KindMeta, KindLog:
		ext := ".meta"
		if dir == KindLog {
			ext = ".log"
		}
		base, found := strings.CutSuffix(file, ext)
		a, b, found2 := strings.Cut(base, "_")
		if !found || !found2 {
			return "", 0, 0, 0, false
		}
		ut, err1 := strconv.ParseUint(a, 16, 64)
		uv, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil {
			return "", 0, 0, 0, false
		}
		t, v := int64(ut), int64(uv)
		canon := MetaKey(t, v)
		if dir == KindLog {
			canon = TxnLogKey(t, v)
		}
		if canon != key {
			return "", 0, 0, 0, false
		}
		return dir, t, v, 0, true
	case KindData:
		sg, ok := ParseSegmentKey(key)
		if !ok {
			return "", 0, 0, 0, false
		}
		return KindData, sg.Tablet, sg.Txn, sg.Seq, true
	}
	return "", 0, 0, 0, false
}
