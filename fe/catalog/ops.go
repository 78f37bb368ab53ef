package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// OpType identifies a catalog edit-log op. Catalog ops use 1..999; the
// StarManager uses its own range. Numbers are part of the journal format and
// never change meaning.
type OpType uint16

// Catalog op types.
const (
	OpBootstrap               OpType = 1
	OpSaveNextID              OpType = 2
	OpCreateDB                OpType = 10
	OpDropDB                  OpType = 11
	OpCreateTable             OpType = 20
	OpDropTable               OpType = 21
	OpCreateStorageVolume     OpType = 30
	OpAlterStorageVolume      OpType = 31
	OpDropStorageVolume       OpType = 32
	OpSetDefaultStorageVolume OpType = 33
	OpCreateUser              OpType = 40
	OpAlterUser               OpType = 41
	OpDropUser                OpType = 42
	OpGrant                   OpType = 43
	OpRevoke                  OpType = 44
	OpCreateRole              OpType = 45
	OpDropRole                OpType = 46
	OpSetDefaultRoles         OpType = 47
	OpAddFrontend             OpType = 50
	OpDropFrontend            OpType = 51
	OpAddComputeNode          OpType = 52
	OpDropComputeNode         OpType = 53
	OpComputeNodeState        OpType = 54
	OpBeginTxn                OpType = 60
	OpCommitTxn               OpType = 61
	OpVisibleTxn              OpType = 62
	OpAbortTxn                OpType = 63
	OpForgetTxns              OpType = 64
	OpTruncateTable           OpType = 70
	OpDropPartition           OpType = 71
	OpRecoverTable            OpType = 72
	OpRecoverPartition        OpType = 73
	OpRecoverDB               OpType = 74
	OpEraseRecycled           OpType = 75
	OpPurged                  OpType = 76
	OpSetAutomatedSnapshot    OpType = 80
	OpSnapshotJob             OpType = 81
	OpRestoredSnapshot        OpType = 82
	OpReplaceStorageVolume    OpType = 83
	OpRenewClusterToken       OpType = 84
	OpSetGlobalVars           OpType = 85
)

// Op is a catalog edit-log operation. Every op is a plain struct encoded as
// JSON in the journal.
type Op interface {
	OpType() OpType
}

// BootstrapOp is the first op of a new cluster.
type BootstrapOp struct {
	ClusterID string   `json:"cluster_id"`
	Frontend  Frontend `json:"frontend"`
	// Volume is the builtin storage volume loaded from fe.conf, if any; it becomes the default.
	Volume *StorageVolume `json:"volume,omitempty"`
	// Token is the secret cluster token, random, made by the new leader.
	Token string `json:"token,omitempty"`
}

// RenewClusterTokenOp gives the cluster a new secret token: a cluster
// restored from a snapshot is a new incarnation, and the nodes of the lost
// one (which hold the old token) can then neither reach its FEs nor serve
// it. Compute nodes adopt the new token with a clean storage_root_path.
type RenewClusterTokenOp struct {
	Token string `json:"token"`
	// Restore says the renewal is a restore's: the generation goes up by
	// one and RestoredAt becomes Time (ms).
	Restore bool  `json:"restore,omitempty"`
	Time    int64 `json:"time,omitempty"`
}

func (*RenewClusterTokenOp) OpType() OpType { return OpRenewClusterToken }

// SetGlobalVarsOp persists SET GLOBAL: the values become the GLOBAL values
// of the named system variables on every FE, across restarts, failovers
// and restores from a cluster snapshot, as StarRocks journals them. Names
// are lower case; the statement checked the names and values.
type SetGlobalVarsOp struct {
	Vars map[string]string `json:"vars"`
}

func (*SetGlobalVarsOp) OpType() OpType { return OpSetGlobalVars }

// SaveNextIDOp raises the id watermark; ids below it may be handed out by the leader.
type SaveNextIDOp struct {
	NextID int64 `json:"next_id"`
}

// CreateDBOp creates a database.
type CreateDBOp struct {
	DB Database `json:"db"`
}

// DropDBOp drops a database: it and its tables go to the recycle bin, or
// with Force straight to the purge queue.
type DropDBOp struct {
	ID       int64 `json:"id"`
	Force    bool  `json:"force,omitempty"`
	DropTime int64 `json:"drop_time,omitempty"`
}

// CreateTableOp creates a table with its partitions and tablets.
type CreateTableOp struct {
	Table Table `json:"table"`
}

// DropTableOp drops a table into the recycle bin, or with Force straight
// to the purge queue.
type DropTableOp struct {
	DBID     int64 `json:"db_id"`
	TableID  int64 `json:"table_id"`
	Force    bool  `json:"force,omitempty"`
	DropTime int64 `json:"drop_time,omitempty"`
}

// CreateStorageVolumeOp creates a storage volume.
type CreateStorageVolumeOp struct {
	Volume StorageVolume `json:"volume"`
}

// AlterStorageVolumeOp changes a volume's properties (merged), comment or enabled flag.
type AlterStorageVolumeOp struct {
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties,omitempty"`
	Comment    *string           `json:"comment,omitempty"`
	Enabled    *bool             `json:"enabled,omitempty"`
}

// DropStorageVolumeOp drops a volume that no table uses and that is not the default.
type DropStorageVolumeOp struct {
	Name string `json:"name"`
}

// SetDefaultStorageVolumeOp makes a volume the default.
type SetDefaultStorageVolumeOp struct {
	Name string `json:"name"`
}

// CreateUserOp creates an account.
type CreateUserOp struct {
	User User `json:"user"`
}

// AlterUserOp sets an account's password hash.
type AlterUserOp struct {
	Ident    UserIdent `json:"ident"`
	Password []byte    `json:"password,omitempty"`
}

// DropUserOp drops an account.
type DropUserOp struct {
	Ident UserIdent `json:"ident"`
}

// GrantOp grants privileges on an object, or roles, to a user or a role.
// Exactly one of User and Role names the grantee.
type GrantOp struct {
	User  *UserIdent `json:"user,omitempty"`
	Role  string     `json:"role,omitempty"`
	Grant *Grant     `json:"grant,omitempty"`
	Roles []string   `json:"roles,omitempty"`
}

// RevokeOp is the reverse of GrantOp.
type RevokeOp GrantOp

// CreateRoleOp creates a role.
type CreateRoleOp struct {
	Name string `json:"name"`
}

// DropRoleOp drops a role.
type DropRoleOp struct {
	Name string `json:"name"`
}

// SetDefaultRolesOp sets the roles activated at login.
type SetDefaultRolesOp struct {
	Ident UserIdent `json:"ident"`
	Roles []string  `json:"roles"`
}

// AddFrontendOp registers an FE.
type AddFrontendOp struct {
	Frontend Frontend `json:"frontend"`
}

// DropFrontendOp unregisters an FE.
type DropFrontendOp struct {
	Name string `json:"name"`
}

// OpType implementations.
func (*BootstrapOp) OpType() OpType               { return OpBootstrap }
func (*SaveNextIDOp) OpType() OpType              { return OpSaveNextID }
func (*CreateDBOp) OpType() OpType                { return OpCreateDB }
func (*DropDBOp) OpType() OpType                  { return OpDropDB }
func (*CreateTableOp) OpType() OpType             { return OpCreateTable }
func (*DropTableOp) OpType() OpType               { return OpDropTable }
func (*CreateStorageVolumeOp) OpType() OpType     { return OpCreateStorageVolume }
func (*AlterStorageVolumeOp) OpType() OpType      { return OpAlterStorageVolume }
func (*DropStorageVolumeOp) OpType() OpType       { return OpDropStorageVolume }
func (*SetDefaultStorageVolumeOp) OpType() OpType { return OpSetDefaultStorageVolume }
func (*CreateUserOp) OpType() OpType              { return OpCreateUser }
func (*AlterUserOp) OpType() OpType               { return OpAlterUser }
func (*DropUserOp) OpType() OpType                { return OpDropUser }
func (*GrantOp) OpType() OpType                   { return OpGrant }
func (*RevokeOp) OpType() OpType                  { return OpRevoke }
func (*CreateRoleOp) OpType() OpType              { return OpCreateRole }
func (*DropRoleOp) OpType() OpType                { return OpDropRole }
func (*SetDefaultRolesOp) OpType() OpType         { return OpSetDefaultRoles }
func (*AddFrontendOp) OpType() OpType             { return OpAddFrontend }
func (*DropFrontendOp) OpType() OpType            { return OpDropFrontend }

// IsCatalogOp reports whether t is in the catalog's op range.
func IsCatalogOp(t uint16) bool { return t >= 1 && t < 1000 }

// DecodeOp decodes the journal payload of an op of type t.
func DecodeOp(t OpType, data []byte) (Op, error) {
	var op Op
	switch t {
	case OpBootstrap:
		op = &BootstrapOp{}
	case OpSaveNextID:
		op = &SaveNextIDOp{}
	case OpCreateDB:
		op = &CreateDBOp{}
	case OpDropDB:
		op = &DropDBOp{}
	case OpCreateTable:
		op = &CreateTableOp{}
	case OpDropTable:
		op = &DropTableOp{}
	case OpCreateStorageVolume:
		op = &CreateStorageVolumeOp{}
	case OpAlterStorageVolume:
		op = &AlterStorageVolumeOp{}
	case OpDropStorageVolume:
		op = &DropStorageVolumeOp{}
	case OpSetDefaultStorageVolume:
		op = &SetDefaultStorageVolumeOp{}
	case OpCreateUser:
		op = &CreateUserOp{}
	case OpAlterUser:
		op = &AlterUserOp{}
	case OpDropUser:
		op = &DropUserOp{}
	case OpGrant:
		op = &GrantOp{}
	case OpRevoke:
		op = &RevokeOp{}
	case OpCreateRole:
		op = &CreateRoleOp{}
	case OpDropRole:
		op = &DropRoleOp{}
	case OpSetDefaultRoles:
		op = &SetDefaultRolesOp{}
	case OpAddFrontend:
		op = &AddFrontendOp{}
	case OpDropFrontend:
		op = &DropFrontendOp{}
	case OpAddComputeNode:
		op = &AddComputeNodeOp{}
	case OpDropComputeNode:
		op = &DropComputeNodeOp{}
	case OpComputeNodeState:
		op = &ComputeNodeStateOp{}
	case OpBeginTxn:
		op = &BeginTxnOp{}
	case OpCommitTxn:
		op = &CommitTxnOp{}
	case OpVisibleTxn:
		op = &VisibleTxnOp{}
	case OpAbortTxn:
		op = &AbortTxnOp{}
	case OpForgetTxns:
		op = &ForgetTxnsOp{}
	case OpTruncateTable:
		op = &TruncateTableOp{}
	case OpDropPartition:
		op = &DropPartitionOp{}
	case OpRecoverTable:
		op = &RecoverTableOp{}
	case OpRecoverPartition:
		op = &RecoverPartitionOp{}
	case OpRecoverDB:
		op = &RecoverDBOp{}
	case OpEraseRecycled:
		op = &EraseRecycledOp{}
	case OpPurged:
		op = &PurgedOp{}
	case OpSetAutomatedSnapshot:
		op = &SetAutomatedSnapshotOp{}
	case OpSnapshotJob:
		op = &SnapshotJobOp{}
	case OpRestoredSnapshot:
		op = &RestoredSnapshotOp{}
	case OpReplaceStorageVolume:
		op = &ReplaceStorageVolumeOp{}
	case OpRenewClusterToken:
		op = &RenewClusterTokenOp{}
	case OpSetGlobalVars:
		op = &SetGlobalVarsOp{}
	default:
		return nil, fmt.Errorf("unknown catalog op type %d", t)
	}
	if err := json.Unmarshal(data, op); err != nil {
		return nil, fmt.Errorf("decode catalog op %d: %w", t, err)
	}
	return op, nil
}

// Check tells whether op would apply, without changing anything.
func (c *Catalog) Check(op Op) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.check(op)
}

// Apply checks op and, when it passes, applies it. A rejected op changes
// nothing; the rejection is deterministic, so every replica rejects it too.
func (c *Catalog) Apply(op Op) error { return c.ApplyAt(0, op) }

// ApplyAt is Apply of an op journaled in the entry journalID (its raft
// index): transactions remember the journal ids of their commit and
// visibility, which tell whether a cluster snapshot holds them.
func (c *Catalog) ApplyAt(journalID uint64, op Op) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check(op); err != nil {
		return err
	}
	c.applying = journalID
	c.apply(op)
	c.applying = 0
	return nil
}

func (c *Catalog) idFree(ids ...int64) error {
	for _, id := range ids {
		if id < FirstID || id >= c.s.NextID {
			return ErrInvalid("id %d was not allocated (watermark %d)", id, c.s.NextID)
		}
		if _, ok := c.s.DBs[id]; ok {
			return ErrInvalid("id %d is already used by a database", id)
		}
		if _, ok := c.s.Tables[id]; ok {
			return ErrInvalid("id %d is already used by a table", id)
		}
		if _, ok := c.tabletPart[id]; ok {
			return ErrInvalid("id %d is already used by a tablet", id)
		}
		if _, ok := c.partTable[id]; ok {
			return ErrInvalid("id %d is already used by a partition", id)
		}
	}
	return nil
}

func (c *Catalog) check(op Op) error {
	switch o := op.(type) {
	case *BootstrapOp:
		if c.s.ClusterID != "" {
			return ErrInvalid("cluster already bootstrapped")
		}
	case *SaveNextIDOp:
		// Lower watermarks are harmless no-ops.
	case *CreateDBOp:
		if _, ok := c.dbByName[o.DB.Name]; ok {
			return ErrDBExists(o.DB.Name)
		}
		return c.idFree(o.DB.ID)
	case *DropDBOp:
		if c.s.DBs[o.ID] == nil {
			return ErrInvalid("Unknown database id %d", o.ID)
		}
	case *CreateTableOp:
		t := &o.Table
		db := c.s.DBs[t.DBID]
		if db == nil {
			return ErrInvalid("Unknown database id %d", t.DBID)
		}
		if _, ok := c.tblByName[t.DBID][t.Name]; ok {
			return ErrTableExists(t.Name)
		}
		if c.s.Volumes[t.StorageVolume] == nil {
			return ErrUnknownVolume(t.StorageVolume)
		}
		ids := []int64{t.ID}
		for _, p := range t.Partitions {
			ids = append(ids, p.ID, p.ShardGroupID)
			ids = append(ids, p.Tablets...)
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				return ErrInvalid("id %d used twice in table %s", id, t.Name)
			}
			seen[id] = true
		}
		return c.idFree(ids...)
	case *DropTableOp:
		t := c.s.Tables[o.TableID]
		if t == nil || t.DBID != o.DBID {
			return ErrInvalid("Unknown table id %d", o.TableID)
		}
		if !o.Force {
			for id := range c.liveTxns {
				if txn := c.s.Txns[id]; txn.TableID == t.ID && txn.State == TxnCommitted {
					return ErrInvalid("There are still some transactions in the COMMITTED state waiting to be completed. The table [%s] cannot be dropped. If you want to forcibly drop(cannot be recovered), please use \"DROP TABLE <table> FORCE\".", t.Name)
				}
			}
		}
	case *CreateStorageVolumeOp:
		if c.s.Volumes[o.Volume.Name] != nil {
			return ErrVolumeExists(o.Volume.Name)
		}
	case *AlterStorageVolumeOp:
		if c.s.Volumes[o.Name] == nil {
			return ErrUnknownVolume(o.Name)
		}
		if o.Enabled != nil && !*o.Enabled && c.s.DefaultVolume == o.Name {
			return ErrInvalid("Default volume can not be disabled")
		}
	case *DropStorageVolumeOp:
		if c.s.Volumes[o.Name] == nil {
			return ErrUnknownVolume(o.Name)
		}
		if c.s.DefaultVolume == o.Name {
			return ErrInvalid("default storage volume can not be removed")
		}
		if err := c.checkVolumeSnapshots(o.Name); err != nil {
			return err
		}
		if users := c.volumeUsersLocked(o.Name); len(users) > 0 {
			return ErrInvalid("Storage volume '%s' is referenced by dbs or tables, dbs: [], tables: %v", o.Name, users)
		}
	case *SetDefaultStorageVolumeOp:
		v := c.s.Volumes[o.Name]
		if v == nil {
			return ErrUnknownVolume(o.Name)
		}
		if !v.Enabled {
			return ErrInvalid("Storage volume '%s' is disabled", o.Name)
		}
	case *CreateUserOp:
		if c.s.Users[o.User.Ident.String()] != nil {
			return ErrUserExists(o.User.Ident)
		}
		for _, r := range o.User.Roles {
			if c.s.Roles[r] == nil {
				return ErrUnknownRole(r)
			}
		}
	case *AlterUserOp:
		if c.s.Users[o.Ident.String()] == nil {
			return ErrUnknownUser("ALTER USER", o.Ident)
		}
	case *DropUserOp:
		if c.s.Users[o.Ident.String()] == nil {
			return ErrUnknownUser("DROP USER", o.Ident)
		}
		if o.Ident.User == RootUser {
			return ErrInvalid("Operation DROP USER failed for %s : cannot drop user %s", o.Ident, o.Ident)
		}
	case *GrantOp:
		return c.checkGrantee((*GrantOp)(o))
	case *RevokeOp:
		return c.checkGrantee((*GrantOp)(o))
	case *CreateRoleOp:
		if c.s.Roles[o.Name] != nil {
			return ErrRoleExists(o.Name)
		}
	case *DropRoleOp:
		r := c.s.Roles[o.Name]
		if r == nil {
			return ErrUnknownRole(o.Name)
		}
		if r.Builtin {
			return ErrInvalid("%s is builtin role and cannot be dropped", o.Name)
		}
	case *SetDefaultRolesOp:
		u := c.s.Users[o.Ident.String()]
		if u == nil {
			return ErrUnknownUser("SET DEFAULT ROLE", o.Ident)
		}
		for _, r := range o.Roles {
			if !slices.Contains(u.Roles, r) {
				return ErrInvalid("Role %s is not granted to %s", r, o.Ident)
			}
		}
	case *AddFrontendOp:
		for _, f := range c.s.Frontends {
			if f.Host == o.Frontend.Host && f.EditLogPort == o.Frontend.EditLogPort {
				return ErrInvalid("frontend already exists name: %s, type: %s, ip: %s, editLogPort: %d", f.Name, f.Role, f.Host, f.EditLogPort)
			}
		}
	case *DropFrontendOp:
		if slices.IndexFunc(c.s.Frontends, func(f *Frontend) bool { return f.Name == o.Name }) < 0 {
			return ErrInvalid("frontend does not exist name: %s", o.Name)
		}
	case *AddComputeNodeOp, *DropComputeNodeOp, *ComputeNodeStateOp:
		return c.checkNode(op)
	case *BeginTxnOp, *CommitTxnOp, *VisibleTxnOp, *AbortTxnOp, *ForgetTxnsOp:
		return c.checkTxn(op)
	case *TruncateTableOp, *DropPartitionOp, *RecoverTableOp, *RecoverPartitionOp, *RecoverDBOp, *EraseRecycledOp, *PurgedOp:
		return c.checkRecycle(op)
	case *SetAutomatedSnapshotOp, *SnapshotJobOp, *RestoredSnapshotOp, *ReplaceStorageVolumeOp:
		return c.checkSnapshot(op)
	case *RenewClusterTokenOp:
		if o.Token == "" || o.Token == c.s.Token {
			return ErrInvalid("a renewed cluster token must be new and not empty")
		}
	case *SetGlobalVarsOp:
		if len(o.Vars) == 0 {
			return ErrInvalid("SET GLOBAL names no variable")
		}
	default:
		return fmt.Errorf("catalog cannot apply op %T", op)
	}
	return nil
}

func (c *Catalog) checkGrantee(o *GrantOp) error {
	if o.User != nil {
		if c.s.Users[o.User.String()] == nil {
			return ErrInvalid("cannot find user %s!", *o.User)
		}
	} else if c.s.Roles[o.Role] == nil {
		return ErrUnknownRole(o.Role)
	}
	for _, r := range o.Roles {
		if c.s.Roles[r] == nil {
			return ErrUnknownRole(r)
		}
	}
	return nil
}

func (c *Catalog) apply(op Op) {
	switch o := op.(type) {
	case *BootstrapOp:
		c.s.ClusterID = o.ClusterID
		c.s.Token = o.Token
		f := o.Frontend
		c.s.Frontends = append(c.s.Frontends, &f)
		if o.Volume != nil {
			v := *o.Volume
			c.s.Volumes[v.Name] = &v
			c.s.DefaultVolume = v.Name
		}
	case *SaveNextIDOp:
		if o.NextID > c.s.NextID {
			c.s.NextID = o.NextID
		}
	case *CreateDBOp:
		db := o.DB
		c.s.DBs[db.ID] = &db
		c.dbByName[db.Name] = db.ID
		c.tblByName[db.ID] = map[string]int64{}
	case *DropDBOp:
		db := c.s.DBs[o.ID]
		var ids []int64
		for _, tid := range c.tblByName[o.ID] {
			ids = append(ids, tid)
			c.dropTableLocked(tid, o.Force, o.DropTime)
		}
		slices.Sort(ids)
		if !o.Force {
			c.s.RecycledDBs[db.ID] = &RecycledDB{DB: db, TableIDs: ids, DropTime: o.DropTime}
		}
		delete(c.s.DBs, o.ID)
		delete(c.dbByName, db.Name)
		delete(c.tblByName, o.ID)
	case *CreateTableOp:
		t := o.Table
		c.s.Tables[t.ID] = &t
		c.tblByName[t.DBID][t.Name] = t.ID
		c.indexPartitionsLocked(&t)
	case *DropTableOp:
		c.dropTableLocked(o.TableID, o.Force, o.DropTime)
	case *CreateStorageVolumeOp:
		v := o.Volume
		c.s.Volumes[v.Name] = &v
	case *AlterStorageVolumeOp:
		v := *c.s.Volumes[o.Name]
		v.Properties = maps.Clone(v.Properties)
		if v.Properties == nil {
			v.Properties = map[string]string{}
		}
		maps.Copy(v.Properties, o.Properties)
		if o.Comment != nil {
			v.Comment = *o.Comment
		}
		if o.Enabled != nil {
			v.Enabled = *o.Enabled
		}
		c.s.Volumes[o.Name] = &v
	case *DropStorageVolumeOp:
		delete(c.s.Volumes, o.Name)
	case *SetDefaultStorageVolumeOp:
		c.s.DefaultVolume = o.Name
	case *CreateUserOp:
		u := o.User
		c.s.Users[u.Ident.String()] = &u
	case *AlterUserOp:
		u := *c.s.Users[o.Ident.String()]
		u.Password = o.Password
		c.s.Users[o.Ident.String()] = &u
	case *DropUserOp:
		delete(c.s.Users, o.Ident.String())
	case *GrantOp:
		c.grantLocked((*GrantOp)(o), true)
	case *RevokeOp:
		c.grantLocked((*GrantOp)(o), false)
	case *CreateRoleOp:
		c.s.Roles[o.Name] = &Role{Name: o.Name}
	case *DropRoleOp:
		delete(c.s.Roles, o.Name)
		for k, u := range c.s.Users {
			if slices.Contains(u.Roles, o.Name) {
				nu := *u
				nu.Roles = slices.DeleteFunc(slices.Clone(u.Roles), func(r string) bool { return r == o.Name })
				nu.DefaultRoles = slices.DeleteFunc(slices.Clone(u.DefaultRoles), func(r string) bool { return r == o.Name })
				c.s.Users[k] = &nu
			}
		}
	case *SetDefaultRolesOp:
		u := *c.s.Users[o.Ident.String()]
		u.DefaultRoles = slices.Clone(o.Roles)
		c.s.Users[o.Ident.String()] = &u
	case *AddFrontendOp:
		f := o.Frontend
		c.s.Frontends = append(c.s.Frontends, &f)
	case *DropFrontendOp:
		c.s.Frontends = slices.DeleteFunc(slices.Clone(c.s.Frontends), func(f *Frontend) bool { return f.Name == o.Name })
	case *AddComputeNodeOp, *DropComputeNodeOp, *ComputeNodeStateOp:
		c.applyNode(op)
	case *BeginTxnOp, *CommitTxnOp, *VisibleTxnOp, *AbortTxnOp, *ForgetTxnsOp:
		c.applyTxn(op)
	case *TruncateTableOp, *DropPartitionOp, *RecoverTableOp, *RecoverPartitionOp, *RecoverDBOp, *EraseRecycledOp, *PurgedOp:
		c.applyRecycle(op)
	case *SetAutomatedSnapshotOp, *SnapshotJobOp, *RestoredSnapshotOp, *ReplaceStorageVolumeOp:
		c.applySnapshot(op)
	case *RenewClusterTokenOp:
		c.s.Token = o.Token
		if o.Restore {
			c.s.Generation++
			c.s.RestoredAt = o.Time
		}
	case *SetGlobalVarsOp:
		vars := maps.Clone(c.s.GlobalVars)
		if vars == nil {
			vars = map[string]string{}
		}
		maps.Copy(vars, o.Vars)
		c.s.GlobalVars = vars
	}
}

// dropTableLocked removes a table from the live catalog into the recycle
// bin, or with force into the purge queue.
func (c *Catalog) dropTableLocked(id int64, force bool, dropTime int64) {
	t := c.s.Tables[id]
	if t == nil {
		return
	}
	if force {
		c.s.PurgeQueue = append(c.s.PurgeQueue, purgeEntries(t)...)
	} else {
		c.s.RecycledTables[id] = &RecycledTable{Table: t, DropTime: dropTime}
	}
	for _, p := range t.Partitions {
		delete(c.partTable, p.ID)
		delete(c.partTable, p.ShardGroupID)
		for _, tb := range p.Tablets {
			delete(c.tabletPart, tb)
		}
	}
	delete(c.s.Tables, id)
	if m := c.tblByName[t.DBID]; m != nil {
		delete(m, t.Name)
	}
}

// grantLocked adds (grant) or removes (revoke) privileges or roles.
func (c *Catalog) grantLocked(o *GrantOp, add bool) {
	var grants *[]Grant
	var user *User
	var role *Role
	if o.User != nil {
		u := *c.s.Users[o.User.String()]
		user = &u
		u.Grants = slices.Clone(u.Grants)
		u.Roles = slices.Clone(u.Roles)
		u.DefaultRoles = slices.Clone(u.DefaultRoles)
		grants = &u.Grants
		for _, r := range o.Roles {
			if add && !slices.Contains(u.Roles, r) {
				u.Roles = append(u.Roles, r)
			}
			if !add {
				u.Roles = slices.DeleteFunc(u.Roles, func(x string) bool { return x == r })
				u.DefaultRoles = slices.DeleteFunc(u.DefaultRoles, func(x string) bool { return x == r })
			}
		}
	} else {
		r := *c.s.Roles[o.Role]
		role = &r
		r.Grants = slices.Clone(r.Grants)
		grants = &r.Grants
	}
	if o.Grant != nil {
		*grants = mergeGrant(*grants, *o.Grant, add)
	}
	if user != nil {
		c.s.Users[o.User.String()] = user
	} else {
		c.s.Roles[o.Role] = role
	}
}

// mergeGrant adds or removes g's privileges on g.Object in list.
func mergeGrant(list []Grant, g Grant, add bool) []Grant {
	for i := range list {
		if list[i].Object != g.Object {
			continue
		}
		privs := slices.Clone(list[i].Privs)
		for _, p := range g.Privs {
			if add && !slices.Contains(privs, p) {
				privs = append(privs, p)
			}
			if !add {
				privs = slices.DeleteFunc(privs, func(x string) bool { return x == p || p == PrivAll })
			}
		}
		if len(privs) == 0 {
			return slices.Delete(slices.Clone(list), i, i+1)
		}
		out := slices.Clone(list)
		out[i] = Grant{Privs: privs, Object: g.Object}
		return out
	}
	if add {
		return append(slices.Clone(list), Grant{Privs: slices.Clone(g.Privs), Object: g.Object})
	}
	return list
}
