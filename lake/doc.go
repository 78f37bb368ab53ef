// Package lake is minirocks' data layer on object storage (DESIGN.md §5):
// the formats compute nodes write and read and the rules the FE and compute
// nodes must agree on. It is pure code plus a small ObjectStore interface
// (with an in-memory implementation); it does no network I/O.
//
// What it defines:
//
//   - Schema and Row: a table's columns and model as the data layer sees
//     them; rows are []types.Value in column order.
//   - Blocks (EncodeBlock, DecodeBlock, BlockEncoder): rows encoded column by
//     column with a CRC32-C; the unit of segment files and of RPC bodies
//     (BlockWriter and BlockReader frame them into a stream).
//   - Segment files (SegmentWriter, SegmentReader, ReadSegment): header with
//     the schema, blocks, footer with the block index, trailer; every byte
//     is checksummed and corruption is an error naming the object.
//   - Tablet metadata and txn logs (TabletMeta, TxnLog, Publish): the
//     versions of a tablet and how a transaction's log turns version V-1
//     into V; JSON with a CRC32-C line. Object keys come from package volume/layout (MetaKey, TxnLogKey,
//     SegmentKey, ParseKey).
//   - Merge: what a reader sees through the four table models (DUPLICATE,
//     AGGREGATE, UNIQUE, PRIMARY); compaction applies the same.
//   - Router: RANGE partitioning plus HASH or RANDOM distribution, shared by
//     the FE (INSERT) and compute nodes (Stream Load) so both route a row to
//     the same tablet.
//   - Vacuum (MetasToRead, PlanVacuum): one pure decision of which objects of
//     a partition directory may be deleted, driven by a VacuumPolicy so that
//     cluster snapshots can pin versions.
//
// Formats, byte by byte, are in docs/lake-format.md. In short:
//
//	block    0xB1 | uvarint rows | uvarint cols | per column: kind, null flag,
//	         [null bitmap], uvarint value bytes, values | CRC32-C
//	segment  "MRSEG1\n" | uint32 n | schema JSON | blocks |
//	         footer(header len+crc, block offsets/lengths/rows, total rows) |
//	         uint32 footer len | uint32 footer CRC32-C | "MRSEGEND"
//	meta/log one JSON line | "crc32c:<8 hex>\n"
//	keys     meta/<tablet %016X>_<version %016X>.meta, log/<tablet %016X>_<txn %016X>.log,
//	         data/<txn %016x>_<tablet %016x>_<seq %04x>_<unique %016x>.dat (relative
//	         to db<db>/<table>/<partition>/; unique is random per segment, and
//	         keys without it, from older buckets, are still read)
//	hash     CRC32-C over AppendHashKey of the distribution columns, mod tablets
//
// Errors: damaged bytes are a *CorruptError wrapping ErrCorrupt; data that
// does not fit the reader's schema wraps ErrSchemaMismatch; an unroutable
// value is a *NoPartitionError wrapping ErrNoPartition.
package lake
