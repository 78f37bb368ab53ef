package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

func bootstrapped(t *testing.T) *Catalog {
	c := New()
	require.NoError(t, c.Apply(&BootstrapOp{ClusterID: "42",
		Frontend: Frontend{Name: "fe1", Host: "127.0.0.1", EditLogPort: 9010, Role: RoleFollower},
		Volume:   &StorageVolume{ID: "v1", Name: "builtin_storage_volume", Type: "S3", Locations: []string{"s3://b/p"}, Enabled: true}}))
	require.NoError(t, c.Apply(&SaveNextIDOp{NextID: FirstID + 1000}))
	return c
}

func table(id, dbID int64, name string, firstID int64) Table {
	return Table{ID: id, DBID: dbID, Name: name, KeysType: DupKeys, KeyColumns: []string{"k"},
		Columns:       []Column{{Name: "k", Type: types.TInt, IsKey: true, Nullable: true}},
		Partitioning:  PartitionInfo{Type: "UNPARTITIONED"},
		Distribution:  Distribution{Type: "HASH", Columns: []string{"k"}, Buckets: 2},
		StorageVolume: "builtin_storage_volume",
		Partitions:    []*Partition{{ID: firstID, Name: name, ShardGroupID: firstID + 1, Tablets: []int64{firstID + 2, firstID + 3}, VisibleVersion: 1, NextVersion: 2}},
	}
}

// TestOpsApplyOrRejectWhole applies a sequence of ops; each rejected op must
// leave the catalog exactly as it was.
func TestOpsApplyOrRejectWhole(t *testing.T) {
	c := bootstrapped(t)
	steps := []struct {
		op      Op
		wantErr string
	}{
		{&CreateDBOp{DB: Database{ID: FirstID, Name: "d1"}}, ""},
		{&CreateDBOp{DB: Database{ID: FirstID + 1, Name: "d1"}}, "Can't create database 'd1'; database exists"},
		{&CreateDBOp{DB: Database{ID: FirstID, Name: "d2"}}, "id 10000 is already used by a database"},
		{&CreateDBOp{DB: Database{ID: FirstID + 5000, Name: "d2"}}, "was not allocated"},
		{&CreateTableOp{Table: table(FirstID+10, FirstID, "t", FirstID+11)}, ""},
		{&CreateTableOp{Table: table(FirstID+20, FirstID, "t", FirstID+21)}, "Table 't' already exists"},
		{&CreateTableOp{Table: table(FirstID+20, FirstID, "t2", FirstID+12)}, "id 10012 is already used by a partition"},
		{&CreateTableOp{Table: table(FirstID+20, FirstID, "t2", FirstID+11)}, "id 10011 is already used by a partition"},
		{&CreateTableOp{Table: table(FirstID+20, FirstID, "t3", FirstID+30)}, ""},
		{&CreateStorageVolumeOp{Volume: StorageVolume{ID: "v2", Name: "builtin_storage_volume"}}, "Storage volume 'builtin_storage_volume' already exists"},
		{&DropStorageVolumeOp{Name: "builtin_storage_volume"}, "default storage volume can not be removed"},
		{&CreateUserOp{User: User{Ident: UserIdent{User: "u", Host: "%"}, Roles: []string{"nope"}}}, "cannot find role nope!"},
		{&CreateUserOp{User: User{Ident: UserIdent{User: "u", Host: "%"}}}, ""},
		{&CreateUserOp{User: User{Ident: UserIdent{User: "u", Host: "%"}}}, "user already exists"},
		{&GrantOp{User: &UserIdent{User: "u", Host: "%"}, Grant: &Grant{Privs: []string{PrivSelect}, Object: Object{Type: ObjTable, DB: "d1", Table: "*"}}}, ""},
		{&GrantOp{User: &UserIdent{User: "x", Host: "%"}, Grant: &Grant{Privs: []string{PrivSelect}, Object: Object{Type: ObjTable, DB: "d1", Table: "*"}}}, "cannot find user 'x'@'%'!"},
		{&DropUserOp{Ident: UserIdent{User: RootUser, Host: "%"}}, "cannot drop user"},
		{&DropTableOp{DBID: FirstID, TableID: FirstID + 99}, "Unknown table id"},
		{&DropDBOp{ID: FirstID}, ""},
	}
	for i, st := range steps {
		before, err := c.MarshalImage()
		require.NoError(t, err)
		err = c.Apply(st.op)
		if st.wantErr == "" {
			require.NoError(t, err, "step %d", i)
			continue
		}
		require.ErrorContains(t, err, st.wantErr, "step %d", i)
		after, err := c.MarshalImage()
		require.NoError(t, err)
		require.JSONEq(t, string(before), string(after), "step %d: rejected op changed the catalog", i)
	}
	require.Nil(t, c.DB("d1"))
	require.Nil(t, c.TableByID(FirstID+10), "DROP DATABASE drops its tables")
	require.True(t, c.PrivilegesOf(UserIdent{User: "u", Host: "%"}, nil).Table("d1", "any", PrivSelect))
}

func TestImageRoundTrip(t *testing.T) {
	c := bootstrapped(t)
	require.NoError(t, c.Apply(&CreateDBOp{DB: Database{ID: FirstID, Name: "d1"}}))
	require.NoError(t, c.Apply(&CreateTableOp{Table: table(FirstID+10, FirstID, "t", FirstID+11)}))
	img, err := c.MarshalImage()
	require.NoError(t, err)
	c2 := New()
	require.NoError(t, c2.RestoreImage(img))
	img2, err := c2.MarshalImage()
	require.NoError(t, err)
	require.Equal(t, string(img), string(img2), "images are deterministic")
	require.NotNil(t, c2.Table("d1", "t"))
	// Derived indexes were rebuilt: the tablet ids are known as used.
	err = c2.Apply(&CreateTableOp{Table: table(FirstID+20, FirstID, "t2", FirstID+12)})
	require.ErrorContains(t, err, "already used")
	require.Error(t, c2.RestoreImage([]byte("{not json")))
}

func TestPrivileges(t *testing.T) {
	c := bootstrapped(t)
	u := UserIdent{User: "u", Host: "%"}
	require.NoError(t, c.Apply(&CreateUserOp{User: User{Ident: u}}))
	require.NoError(t, c.Apply(&GrantOp{User: &u, Roles: []string{RoleClusterAdmin}}))
	require.NoError(t, c.Apply(&GrantOp{User: &u, Grant: &Grant{Privs: []string{PrivSelect, PrivInsert}, Object: Object{Type: ObjTable, DB: "d", Table: "t"}}}))
	cases := []struct {
		name   string
		active []string
		check  func(Privileges) bool
		want   bool
	}{
		{"table grant", nil, func(p Privileges) bool { return p.Table("d", "t", PrivInsert) }, true},
		{"other table", nil, func(p Privileges) bool { return p.Table("d", "t2", PrivSelect) }, false},
		{"db visible through a table grant", nil, func(p Privileges) bool { return p.AnyOnDatabase("d") }, true},
		{"inactive role", nil, func(p Privileges) bool { return p.System(PrivNode) }, false},
		{"active role", []string{RoleClusterAdmin}, func(p Privileges) bool { return p.System(PrivNode) && p.System(PrivOperate) }, true},
		{"role not granted", []string{RoleDBAdmin}, func(p Privileges) bool { return p.Catalog(PrivCreateDatabase) }, false},
		{"cluster_admin uses volumes", []string{RoleClusterAdmin}, func(p Privileges) bool { return p.Volume("any", PrivUsage) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.check(c.PrivilegesOf(u, tc.active)))
		})
	}
	require.NoError(t, c.Apply(&RevokeOp{User: &u, Grant: &Grant{Privs: []string{PrivInsert}, Object: Object{Type: ObjTable, DB: "d", Table: "t"}}}))
	p := c.PrivilegesOf(u, nil)
	require.False(t, p.Table("d", "t", PrivInsert))
	require.True(t, p.Table("d", "t", PrivSelect))
	root := c.PrivilegesOf(UserIdent{User: RootUser, Host: "%"}, []string{RoleRoot})
	require.True(t, root.IsRoot())
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("password")
	require.Equal(t, "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", FormatPasswordHash(h))
	back, err := ParsePasswordHash("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")
	require.NoError(t, err)
	require.Equal(t, h, back)
	_, err = ParsePasswordHash("2470C0")
	require.Error(t, err)
	require.Nil(t, HashPassword(""))
}

func TestPasswordMatches(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   []byte
		password string
		want     bool
	}{
		{"no password, none given", nil, "", true},
		{"no password, one given", nil, "x", false},
		{"right password", HashPassword("secret"), "secret", true},
		{"wrong password", HashPassword("secret"), "secreT", false},
		{"password set, none given", HashPassword("secret"), "", false},
		{"prefix of the password", HashPassword("secret"), "secre", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, PasswordMatches(tc.stored, tc.password))
		})
	}
}

// TestClusterToken checks that the bootstrap op's token is the cluster's
// and that images keep it.
func TestClusterToken(t *testing.T) {
	c := New()
	require.Equal(t, "", c.ClusterToken())
	require.NoError(t, c.Apply(&BootstrapOp{ClusterID: "7", Token: "tok-1",
		Frontend: Frontend{Name: "fe1", Host: "h", EditLogPort: 9010, Role: RoleFollower}}))
	require.Equal(t, "tok-1", c.ClusterToken())
	require.Error(t, c.Apply(&BootstrapOp{ClusterID: "8", Token: "tok-2"}), "a second bootstrap cannot replace the token")
	require.Equal(t, "tok-1", c.ClusterToken())
	img, err := c.MarshalImage()
	require.NoError(t, err)
	c2 := New()
	require.NoError(t, c2.RestoreImage(img))
	require.Equal(t, "tok-1", c2.ClusterToken())
}

// TestGlobalVars: SET GLOBAL values merge by name, are kept in the image,
// and an op naming no variable is refused.
func TestGlobalVars(t *testing.T) {
	c := bootstrapped(t)
	_, ok := c.GlobalVar("query_timeout")
	require.False(t, ok)
	require.NoError(t, c.Apply(&SetGlobalVarsOp{Vars: map[string]string{"query_timeout": "900", "sql_mode": "ANSI"}}))
	snap := c.Snapshot()
	require.NoError(t, c.Apply(&SetGlobalVarsOp{Vars: map[string]string{"query_timeout": "60"}}))
	require.ErrorContains(t, c.Apply(&SetGlobalVarsOp{}), "SET GLOBAL names no variable")
	for name, want := range map[string]string{"query_timeout": "60", "sql_mode": "ANSI"} {
		v, ok := c.GlobalVar(name)
		require.True(t, ok)
		require.Equal(t, want, v)
	}
	old, err := snap.MarshalImage()
	require.NoError(t, err)
	require.Contains(t, string(old), `"global_variables":{"query_timeout":"900","sql_mode":"ANSI"}`, "a snapshot taken before is unchanged")
	img, err := c.MarshalImage()
	require.NoError(t, err)
	c2 := New()
	require.NoError(t, c2.RestoreImage(img))
	v, ok := c2.GlobalVar("query_timeout")
	require.True(t, ok)
	require.Equal(t, "60", v)
}
