package catalog

import (
	"github.com/minirocks/minirocks/types"
)

// Database is a database of the internal catalog.
type Database struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties,omitempty"`
	// CreateTime is milliseconds since the epoch, stamped by the leader.
	CreateTime int64 `json:"create_time"`
}

// KeysType is a table's data model, named as StarRocks' SHOW CREATE TABLE does.
type KeysType string

// The four StarRocks table models.
const (
	DupKeys     KeysType = "DUPLICATE"
	AggKeys     KeysType = "AGGREGATE"
	UniqueKeys  KeysType = "UNIQUE"
	PrimaryKeys KeysType = "PRIMARY"
)

// Column is a table column.
type Column struct {
	Name     string     `json:"name"`
	Type     types.Type `json:"type"`
	Nullable bool       `json:"nullable"`
	// IsKey marks the key columns of the table's model.
	IsKey bool `json:"is_key,omitempty"`
	// AggType is SUM, MAX, MIN, REPLACE, REPLACE_IF_NOT_NULL for value columns
	// of an AGGREGATE KEY table; empty otherwise.
	AggType string `json:"agg_type,omitempty"`
	// Default is the literal default value; nil means no default.
	Default *string `json:"default,omitempty"`
	// DefaultExpr is a function default such as CURRENT_TIMESTAMP.
	DefaultExpr string `json:"default_expr,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// PartitionRange is a RANGE partition's upper bound; Upper is the canonical
// text of the value for the partition column's type, MaxValue marks
// MAXVALUE. The lower bound is the previous partition's upper bound.
type PartitionRange struct {
	Upper    string `json:"upper,omitempty"`
	MaxValue bool   `json:"max_value,omitempty"`
}

// Partition is one partition of a table. In shared-data mode it maps to one
// StarManager shard group, and each of its tablets to one shard.
type Partition struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Range is nil for the single partition of an unpartitioned table.
	Range *PartitionRange `json:"range,omitempty"`
	// ShardGroupID is the StarManager shard group holding this partition's tablets.
	ShardGroupID int64 `json:"shard_group_id"`
	// Tablets are the partition's buckets, in bucket order.
	Tablets []int64 `json:"tablets"`
	// VisibleVersion is the newest version readers may see; a new partition is at 1.
	VisibleVersion int64 `json:"visible_version"`
	// NextVersion is the version the next commit will publish.
	NextVersion int64 `json:"next_version"`
	// VisibleVersionTime is when VisibleVersion became visible (ms).
	VisibleVersionTime int64 `json:"visible_version_time"`
	// CompactedVersion is the version the last compaction produced (0: never).
	CompactedVersion int64 `json:"compacted_version,omitempty"`
	// RowCount and DataSize are the rows and bytes of the tablets' rowsets
	// at VisibleVersion, as the compute nodes reported them at publish.
	RowCount int64 `json:"row_count,omitempty"`
	DataSize int64 `json:"data_size,omitempty"`
}

// Distribution is how rows are spread over a partition's tablets.
type Distribution struct {
	// Type is HASH or RANDOM.
	Type    string   `json:"type"`
	Columns []string `json:"columns,omitempty"`
	Buckets int      `json:"buckets"`
	// BucketsGiven records whether BUCKETS was written (SHOW CREATE TABLE shows it only then).
	BucketsGiven bool `json:"buckets_given,omitempty"`
}

// PartitionInfo describes a table's partitioning.
type PartitionInfo struct {
	// Type is RANGE or UNPARTITIONED.
	Type   string `json:"type"`
	Column string `json:"column,omitempty"`
}

// Table is an OLAP table (the only kind minirocks has; in shared-data mode
// StarRocks calls it a cloud-native table).
type Table struct {
	ID           int64             `json:"id"`
	DBID         int64             `json:"db_id"`
	Name         string            `json:"name"`
	Columns      []Column          `json:"columns"`
	KeysType     KeysType          `json:"keys_type"`
	KeyColumns   []string          `json:"key_columns"`
	Partitioning PartitionInfo     `json:"partitioning"`
	Partitions   []*Partition      `json:"partitions"`
	Distribution Distribution      `json:"distribution"`
	Properties   map[string]string `json:"properties,omitempty"`
	// StorageVolume is the name of the volume holding the table's data.
	StorageVolume string `json:"storage_volume"`
	Comment       string `json:"comment,omitempty"`
	CreateTime    int64  `json:"create_time"`
}

// Column returns the column named name (case-insensitively, as StarRocks
// resolves columns), or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if equalFold(t.Columns[i].Name, name) {
			return &t.Columns[i]
		}
	}
	return nil
}

// Partition returns the partition named name, or nil.
func (t *Table) Partition(name string) *Partition {
	for _, p := range t.Partitions {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// TabletCount is the number of tablets over all partitions.
func (t *Table) TabletCount() int {
	n := 0
	for _, p := range t.Partitions {
		n += len(p.Tablets)
	}
	return n
}

// StorageVolume is a named object-storage location with credentials.
type StorageVolume struct {
	// ID is the volume's identity, kept when the volume is renamed or re-pointed.
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Locations []string `json:"locations"`
	Comment   string   `json:"comment,omitempty"`
	// Properties are the aws.s3.* keys, including the secret key; SHOW
	// statements mask secrets, and nothing logs them.
	Properties map[string]string `json:"properties"`
	Enabled    bool              `json:"enabled"`
}

// UserIdent names a user account, as 'user'@'host'.
type UserIdent struct {
	User string `json:"user"`
	Host string `json:"host"`
}

// String renders the identity the way StarRocks prints it: 'u'@'%'.
func (u UserIdent) String() string { return "'" + u.User + "'@'" + u.Host + "'" }

// Object is what a privilege is granted on.
type Object struct {
	// Type is SYSTEM, CATALOG, DATABASE, TABLE or STORAGE VOLUME.
	Type string `json:"type"`
	// DB is the database name, "*" for all databases.
	DB string `json:"db,omitempty"`
	// Table is the table name, "*" for all tables of DB.
	Table string `json:"table,omitempty"`
	// Name is a storage volume or catalog name, "*" for all.
	Name string `json:"name,omitempty"`
}

// Object types.
const (
	ObjSystem   = "SYSTEM"
	ObjDatabase = "DATABASE"
	ObjTable    = "TABLE"
	ObjVolume   = "STORAGE VOLUME"
	ObjCatalog  = "CATALOG"
)

// InternalCatalog is the name of the one catalog minirocks has.
const InternalCatalog = "default_catalog"

// Grant is a set of privileges on one object.
type Grant struct {
	Privs  []string `json:"privs"`
	Object Object   `json:"object"`
}

// User is a user account.
type User struct {
	Ident UserIdent `json:"ident"`
	// Password is SHA1(SHA1(password)) (mysql_native_password); empty means no password.
	Password []byte `json:"password,omitempty"`
	// Roles are the roles granted to the user; DefaultRoles are activated at login.
	Roles        []string `json:"roles,omitempty"`
	DefaultRoles []string `json:"default_roles,omitempty"`
	Grants       []Grant  `json:"grants,omitempty"`
}

// Role is a named set of grants.
type Role struct {
	Name    string  `json:"name"`
	Builtin bool    `json:"builtin,omitempty"`
	Grants  []Grant `json:"grants,omitempty"`
}

// Frontend roles as SHOW FRONTENDS prints them.
const (
	RoleLeader   = "LEADER"
	RoleFollower = "FOLLOWER"
	RoleObserver = "OBSERVER"
)

// Frontend is an FE node registered in the cluster.
type Frontend struct {
	// Name is StarRocks' FE name: host_editlogport_createtimems.
	Name        string `json:"name"`
	Host        string `json:"host"`
	EditLogPort int    `json:"edit_log_port"`
	// Role is FOLLOWER or OBSERVER (the leader is a follower that leads).
	Role string `json:"role"`
}

// Addr is host:edit_log_port.
func (f *Frontend) Addr() string { return joinHostPort(f.Host, f.EditLogPort) }
