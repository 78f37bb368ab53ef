package volume

import "fmt"

// Object layout of the lake under a volume location (DESIGN.md §5). Every
// helper returns a key relative to the location, ending in "/", to which
// the caller appends a file name:
//
//	<service_id>/db<db>/<table>/<partition>/data/<segment files>
//	<service_id>/db<db>/<table>/<partition>/meta/<tablet>_<version>.meta
//	<service_id>/db<db>/<table>/<partition>/log/<tablet>_<txn>.log
//	<service_id>/meta/image/<snapshot name>/...

// PartitionDir is the directory of one partition's data, meta and log
// files: "<service_id>/db<db>/<table>/<partition>/".
func PartitionDir(serviceID string, dbID, tableID, partitionID int64) string {
	return fmt.Sprintf("%s/db%d/%d/%d/", serviceID, dbID, tableID, partitionID)
}

// SnapshotDir is the directory of one cluster snapshot:
// "<service_id>/meta/image/<name>/".
func SnapshotDir(serviceID, snapshotName string) string {
	return fmt.Sprintf("%s/meta/image/%s/", serviceID, snapshotName)
}
