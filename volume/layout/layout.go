// Package layout is the one home of the object layout under a storage
// volume location (DESIGN.md §5). Every object key the FE and compute nodes
// use is built here, so a restored cluster finds its data at exactly the
// paths the lost one wrote:
//
//	{location}/{service_id}/db{dbId}/{tableId}/{partitionId}/data/<segment files>
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
	"encoding/hex"
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
// directory: "data/<txn as %016x>_<tablet as %016x>_<seq as %04x>.dat"
// (StarRocks starts segment names with the writing transaction's id too).
// It depends only on the transaction, tablet and sequence number, so a
// retried write of the same segment overwrites the object instead of
// leaving a duplicate, and vacuum can tell from the name which transaction
// wrote a file.
func SegmentKey(txn, tablet int64, seq int) string {
	return fmt.Sprintf("data/%016x_%016x_%04x.dat", uint64(txn), uint64(tablet), seq)
}

// ParseKey parses a key made by MetaKey, TxnLogKey or SegmentKey. n is the
// version (meta) or the transaction id (log, data). ok is false for any
// other key, including non-canonical spellings of these, so callers (such
// as vacuum) leave unknown objects alone.
func ParseKey(key string) (kind string, tablet int64, n int64, ok bool) {
	k, t, n, _, ok := parseKey(key)
	return k, t, n, ok
}

// ParseSegmentKey parses a SegmentKey into its parts.
func ParseSegmentKey(key string) (txn, tablet int64, seq int, ok bool) {
	k, t, n, s, ok := parseKey(key)
	if !ok || k != KindData {
		return 0, 0, 0, false
	}
	return n, t, s, true
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
		base, found := strings.CutSuffix(file, ".dat")
		parts := strings.Split(base, "_")
		if !found || len(parts) != 3 || len(parts[0]) != 16 {
			return "", 0, 0, 0, false
		}
		raw, err := hex.DecodeString(parts[0])
		if err != nil {
			return "", 0, 0, 0, false
		}
		var txn uint64
		for _, b := range raw {
			txn = txn<<8 | uint64(b)
		}
		ut, err1 := strconv.ParseUint(parts[1], 16, 64)
		us, err2 := strconv.ParseUint(parts[2], 16, 31)
		t, s := int64(ut), int(us)
		if err1 != nil || err2 != nil || SegmentKey(int64(txn), t, s) != key {
			return "", 0, 0, 0, false
		}
		return KindData, t, int64(txn), s, true
	}
	return "", 0, 0, 0, false
}
