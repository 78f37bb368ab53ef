// Package catalog is the FE's metadata state machine: databases, tables,
// partitions and tablets, storage volumes, users, roles and grants, and the
// frontend list. It changes only by applying edit-log ops (ops.go), in
// journal order, deterministically: no I/O, no clock, no randomness; every
// time or id an op needs is carried in the op, stamped by the leader. That is
// what lets every FE replay the same journal into the same catalog and lets
// tests drive it without a journal at all.
//
// Objects reachable from the catalog (Database, Table, Partition, ...) are
// never modified once published: an op that changes one builds a new value
// and swaps it in under the write lock. Readers therefore take the read lock
// only to look pointers up and may keep using the values afterwards.
package catalog

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/minirocks/minirocks/internal/jsonstream"
)

// Catalog is the FE metadata state. The zero value is not usable; call New.
type Catalog struct {
	mu sync.RWMutex
	s  state
	// derived indexes, rebuilt on Restore.
	dbByName   map[string]int64
	tblByName  map[int64]map[string]int64 // db id -> table name -> table id
	tabletPart map[int64]int64            // tablet id -> partition id (for tablet lookups)
	partTable  map[int64]int64            // partition id and shard group id -> table id
	labels     map[string]int64           // "db/label" -> id of the live transaction holding it
	liveTxns   map[int64]struct{}         // ids of the PREPARE and COMMITTED transactions
	// applying is the journal id of the entry being applied (ApplyAt).
	applying uint64
}

// state is everything the image holds.
type state struct {
	// ClusterID identifies the FE cluster; a node whose meta dir carries another
	// cluster id is refused.
	ClusterID string `json:"cluster_id"`
	// NextID is the id watermark: every id below it may be in use.
	NextID        int64                     `json:"next_id"`
	DBs           map[int64]*Database       `json:"dbs"`
	Tables        map[int64]*Table          `json:"tables"`
	Volumes       map[string]*StorageVolume `json:"volumes"`
	DefaultVolume string                    `json:"default_volume"`
	Users         map[string]*User          `json:"users"`
	Roles         map[string]*Role          `json:"roles"`
	Frontends     []*Frontend               `json:"frontends"`
	ComputeNodes  map[int64]*ComputeNode    `json:"compute_nodes"`
	Txns          map[int64]*Transaction    `json:"txns"`
	// Recycle bin and purge queue (recycle.go).
	RecycledDBs        map[int64]*RecycledDB        `json:"recycled_dbs"`
	RecycledTables     map[int64]*RecycledTable     `json:"recycled_tables"`
	RecycledPartitions map[int64]*RecycledPartition `json:"recycled_partitions"`
	PurgeQueue         []PurgeEntry                 `json:"purge_queue,omitempty"`
	// AutoSnapshotVolume is the storage volume automated cluster
	// snapshots go to; "" while they are off (snapshots.go).
	AutoSnapshotVolume string `json:"automated_snapshot_volume,omitempty"`
	// AutoSnapshotOnTime is when they were turned on (ms).
	AutoSnapshotOnTime int64 `json:"automated_snapshot_on_time,omitempty"`
	// SnapshotJobs are the cluster snapshot jobs by id.
	SnapshotJobs map[int64]*SnapshotJob `json:"snapshot_jobs,omitempty"`
	// Token is the secret cluster token every internal request carries
	// (made at bootstrap; docs/security.md).
	Token string `json:"token,omitempty"`
	// Generation counts the restores from cluster snapshots this cluster
	// went through (0: never restored), and RestoredAt is when the last
	// one finished (ms). A newer incarnation of the cluster takes the
	// object storage over from an older one (fe/fence).
	Generation int64 `json:"generation,omitempty"`
	RestoredAt int64 `json:"restored_at,omitempty"`
	// GlobalVars are the system variables changed with SET GLOBAL, by
	// lower-case name; the others keep their built-in default.
	GlobalVars map[string]string `json:"global_variables,omitempty"`
}

// initMaps makes every map of a state non-nil (an image may omit empty ones).
func (s *state) initMaps() {
	if s.DBs == nil {
		s.DBs = map[int64]*Database{}
	}
	if s.Tables == nil {
		s.Tables = map[int64]*Table{}
	}
	if s.Volumes == nil {
		s.Volumes = map[string]*StorageVolume{}
	}
	if s.Users == nil {
		s.Users = map[string]*User{}
	}
	if s.Roles == nil {
		s.Roles = map[string]*Role{}
	}
	if s.ComputeNodes == nil {
		s.ComputeNodes = map[int64]*ComputeNode{}
	}
	if s.Txns == nil {
		s.Txns = map[int64]*Transaction{}
	}
	if s.RecycledDBs == nil {
		s.RecycledDBs = map[int64]*RecycledDB{}
	}
	if s.RecycledTables == nil {
		s.RecycledTables = map[int64]*RecycledTable{}
	}
	if s.RecycledPartitions == nil {
		s.RecycledPartitions = map[int64]*RecycledPartition{}
	}
}

// FirstID is the first id the id generator hands out; smaller ids are
// reserved (StarRocks starts user objects at 10000 as well).
const FirstID = 10000

// New returns an empty catalog with the builtin users and roles.
func New() *Catalog {
	c := &Catalog{}
	c.s = state{NextID: FirstID}
	c.s.initMaps()
	for _, r := range builtinRoles() {
		c.s.Roles[r.Name] = r
	}
	root := &User{Ident: UserIdent{User: RootUser, Host: "%"}, Roles: []string{RoleRoot}, DefaultRoles: []string{RoleRoot}}
	c.s.Users[root.Ident.String()] = root
	c.reindex()
	return c
}

func (c *Catalog) reindex() {
	c.dbByName = map[string]int64{}
	c.tblByName = map[int64]map[string]int64{}
	c.tabletPart = map[int64]int64{}
	c.partTable = map[int64]int64{}
	c.labels = map[string]int64{}
	c.liveTxns = map[int64]struct{}{}
	for id, t := range c.s.Txns {
		if t.State != TxnAborted {
			c.labels[labelKey(t.DBID, t.Label)] = id
		}
		c.indexTxnLocked(t)
	}
	for id, db := range c.s.DBs {
		c.dbByName[db.Name] = id
		c.tblByName[id] = map[string]int64{}
	}
	for id, t := range c.s.Tables {
		if m := c.tblByName[t.DBID]; m != nil {
			m[t.Name] = id
		}
		c.indexPartitionsLocked(t)
	}
}

func (c *Catalog) indexPartitionsLocked(t *Table) {
	for _, p := range t.Partitions {
		c.partTable[p.ID] = t.ID
		c.partTable[p.ShardGroupID] = t.ID
		for _, tb := range p.Tablets {
			c.tabletPart[tb] = p.ID
		}
	}
}

// Generation returns how many restores from cluster snapshots this
// cluster went through, and when the last one finished (ms).
func (c *Catalog) Generation() (generation, restoredAt int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Generation, c.s.RestoredAt
}

// ClusterToken returns the secret cluster token ("" before bootstrap, or
// in a cluster bootstrapped before tokens existed).
func (c *Catalog) ClusterToken() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Token
}

// GlobalVar returns the value SET GLOBAL gave the system variable name
// (lower case), and false when it was never set.
func (c *Catalog) GlobalVar(name string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.s.GlobalVars[name]
	return v, ok
}

// ClusterID returns the cluster's id ("" before bootstrap).
func (c *Catalog) ClusterID() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.ClusterID
}

// NextID returns the id watermark.
func (c *Catalog) NextID() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.NextID
}

// DB returns the database named name, or nil.
func (c *Catalog) DB(name string) *Database {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if id, ok := c.dbByName[name]; ok {
		return c.s.DBs[id]
	}
	return nil
}

// DBByID returns the database with id, or nil.
func (c *Catalog) DBByID(id int64) *Database {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.DBs[id]
}

// DBs returns all databases ordered by name.
func (c *Catalog) DBs() []*Database {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Database, 0, len(c.s.DBs))
	for _, db := range c.s.DBs {
		out = append(out, db)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Table returns table name of database db, or nil.
func (c *Catalog) Table(db, name string) *Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	dbID, ok := c.dbByName[db]
	if !ok {
		return nil
	}
	if id, ok := c.tblByName[dbID][name]; ok {
		return c.s.Tables[id]
	}
	return nil
}

// TableByID returns the table with id, or nil.
func (c *Catalog) TableByID(id int64) *Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Tables[id]
}

// Tables returns the tables of database db ordered by name.
func (c *Catalog) Tables(db string) []*Table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	dbID, ok := c.dbByName[db]
	if !ok {
		return nil
	}
	out := make([]*Table, 0, len(c.tblByName[dbID]))
	for _, id := range c.tblByName[dbID] {
		out = append(out, c.s.Tables[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StorageVolume returns the volume named name, or nil.
func (c *Catalog) StorageVolume(name string) *StorageVolume {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Volumes[name]
}

// StorageVolumes returns all volumes ordered by name.
func (c *Catalog) StorageVolumes() []*StorageVolume {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*StorageVolume, 0, len(c.s.Volumes))
	for _, v := range c.s.Volumes {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DefaultStorageVolume returns the name of the default volume ("" if none).
func (c *Catalog) DefaultStorageVolume() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.DefaultVolume
}

// VolumeInUse returns the names (db.table) of tables stored on volume name.
func (c *Catalog) VolumeInUse(name string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.volumeUsersLocked(name)
}

func (c *Catalog) volumeUsersLocked(name string) []string {
	var out []string
	for _, t := range c.s.Tables {
		if t.StorageVolume == name {
			if db := c.s.DBs[t.DBID]; db != nil {
				out = append(out, db.Name+"."+t.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// User returns the account ident, or nil.
func (c *Catalog) User(ident UserIdent) *User {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Users[ident.String()]
}

// Users returns all accounts ordered by identity.
func (c *Catalog) Users() []*User {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*User, 0, len(c.s.Users))
	for _, u := range c.s.Users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ident.String() < out[j].Ident.String() })
	return out
}

// MatchUser finds the account a login as user from host uses: an exact host
// first, then the wildcard host '%', as MySQL matches accounts.
func (c *Catalog) MatchUser(user, host string) *User {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if u := c.s.Users[UserIdent{User: user, Host: host}.String()]; u != nil {
		return u
	}
	return c.s.Users[UserIdent{User: user, Host: "%"}.String()]
}

// Role returns the role named name, or nil.
func (c *Catalog) Role(name string) *Role {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.Roles[name]
}

// Roles returns all roles ordered by name.
func (c *Catalog) Roles() []*Role {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Role, 0, len(c.s.Roles))
	for _, r := range c.s.Roles {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Frontends returns the registered frontends in registration order.
func (c *Catalog) Frontends() []*Frontend {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]*Frontend(nil), c.s.Frontends...)
}

// Snapshot is the catalog as it was at one moment, for writing an image
// while ops go on being applied. It shares the catalog's objects, which are
// never modified once published, and holds its own copies of the maps and
// slices that index them.
type Snapshot struct {
	s state
}

// Snapshot captures the catalog as it is now. It copies only the top-level
// maps and slices (pointers to immutable objects), never the objects, so it
// is cheap enough to run on the journal's apply goroutine; encoding happens
// later, in Snapshot.MarshalImage, while applying continues.
func (c *Catalog) Snapshot() *Snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := c.s
	s.DBs = maps.Clone(s.DBs)
	s.Tables = maps.Clone(s.Tables)
	s.Volumes = maps.Clone(s.Volumes)
	s.Users = maps.Clone(s.Users)
	s.Roles = maps.Clone(s.Roles)
	s.Frontends = slices.Clone(s.Frontends)
	s.ComputeNodes = maps.Clone(s.ComputeNodes)
	s.Txns = maps.Clone(s.Txns)
	s.RecycledDBs = maps.Clone(s.RecycledDBs)
	s.RecycledTables = maps.Clone(s.RecycledTables)
	s.RecycledPartitions = maps.Clone(s.RecycledPartitions)
	s.PurgeQueue = slices.Clone(s.PurgeQueue)
	return &Snapshot{s: s}
}

// MarshalImage returns the image bytes of the captured catalog: the same
// deterministic JSON document Catalog.MarshalImage returns.
func (s *Snapshot) MarshalImage() ([]byte, error) { return json.Marshal(&s.s) }

// WriteImage writes the bytes MarshalImage returns, streaming them object
// by object (jsonstream), so the writer can pace a large image.
func (s *Snapshot) WriteImage(w io.Writer) error { return jsonstream.WriteStruct(w, &s.s) }

// WriteImage writes the whole catalog as a deterministic JSON document.
func (c *Catalog) WriteImage(w io.Writer) error {
	return json.NewEncoder(w).Encode(&c.Snapshot().s)
}

// MarshalImage returns the catalog image bytes (see WriteImage).
func (c *Catalog) MarshalImage() ([]byte, error) {
	return c.Snapshot().MarshalImage()
}

// RestoreImage replaces the catalog with an image written by WriteImage.
func (c *Catalog) RestoreImage(data []byte) error {
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("decode catalog image: %w", err)
	}
	s.initMaps()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = s
	c.reindex()
	return nil
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func joinHostPort(h string, p int) string { return net.JoinHostPort(h, strconv.Itoa(p)) }
