package sql

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

type stmtCase struct {
	sql  string
	want Stmt
}

func runStmtCases(t *testing.T, cases []stmtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			require.Equal(t, c.want, mustParseOne(t, c.sql))
		})
	}
}

func TestSessionStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"USE db1", &UseStmt{Db: id("db1")}},
		{"use `my db`", &UseStmt{Db: id("my db")}},
		{"USE default_catalog.db1", &UseStmt{Catalog: id("default_catalog"), Db: id("db1")}},

		{"SET autocommit = 1", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetSystemVar, Name: "autocommit", Value: intLit("1")}}}},
		{"SET SESSION query_timeout = 600, GLOBAL time_zone = '+08:00', LOCAL x := 1", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetSystemVar, Scope: ScopeSession, Name: "query_timeout", Value: intLit("600")},
			{Kind: SetSystemVar, Scope: ScopeGlobal, Name: "time_zone", Value: str("+08:00")},
			{Kind: SetSystemVar, Scope: ScopeSession, Name: "x", Value: intLit("1")}}}},
		{"SET @@session.sql_mode = 'STRICT', @@global.max = 2, @@wait_timeout = DEFAULT", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetSystemVar, Scope: ScopeSession, Name: "sql_mode", Value: str("STRICT")},
			{Kind: SetSystemVar, Scope: ScopeGlobal, Name: "max", Value: intLit("2")},
			{Kind: SetSystemVar, Name: "wait_timeout", Value: &DefaultExpr{}}}}},
		{"SET @uv = 1 + 2", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetUserVar, Name: "uv", Value: bin(OpAdd, intLit("1"), intLit("2"))}}}},
		{"SET sql_mode = ANSI_QUOTES, autocommit = ON, character_set_results = NULL", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetSystemVar, Name: "sql_mode", Value: str("ANSI_QUOTES")},
			{Kind: SetSystemVar, Name: "autocommit", Value: str("ON")},
			{Kind: SetSystemVar, Name: "character_set_results", Value: nullLit()}}}},
		{"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'", &SetStmt{Assignments: []*SetAssignment{
			{Kind: SetNames, Charset: "utf8mb4", Collate: "utf8mb4_general_ci"}}}},
		{"SET NAMES utf8", &SetStmt{Assignments: []*SetAssignment{{Kind: SetNames, Charset: "utf8"}}}},
		{"SET NAMES DEFAULT", &SetStmt{Assignments: []*SetAssignment{{Kind: SetNames}}}},
		{"SET CHARACTER SET utf8", &SetStmt{Assignments: []*SetAssignment{{Kind: SetCharset, Charset: "utf8"}}}},
		{"SET CHARSET 'latin1'", &SetStmt{Assignments: []*SetAssignment{{Kind: SetCharset, Charset: "latin1"}}}},
		{"SET names = 1", &SetStmt{Assignments: []*SetAssignment{{Kind: SetSystemVar, Name: "names", Value: intLit("1")}}}},

		{"SET PASSWORD = PASSWORD('secret')", &SetPasswordStmt{Password: "secret"}},
		{"SET PASSWORD FOR 'jack'@'%' = '*A4B6157319038724E3560894F7F932C8886EBFCF'",
			&SetPasswordStmt{User: user("jack", "%"), Password: "*A4B6157319038724E3560894F7F932C8886EBFCF", Hashed: true}},
		{"SET PASSWORD FOR jack = PASSWORD('p')", &SetPasswordStmt{User: user("jack", "%"), Password: "p"}},

		{"SET ROLE r1, 'r2'", &SetRoleStmt{Spec: RolesList, Roles: ids("r1", "r2")}},
		{"SET ROLE ALL EXCEPT r1", &SetRoleStmt{Spec: RolesAll, Roles: ids("r1")}},
		{"SET ROLE DEFAULT", &SetRoleStmt{Spec: RolesDefault}},
		{"SET ROLE NONE", &SetRoleStmt{Spec: RolesNone}},
		{"SET DEFAULT ROLE r1, r2 TO jack", &SetRoleStmt{Default: true, Spec: RolesList, Roles: ids("r1", "r2"), User: user("jack", "%")}},
		{"SET DEFAULT ROLE ALL TO 'jack'@'h'", &SetRoleStmt{Default: true, Spec: RolesAll, User: user("jack", "h")}},
	})
}

func TestShowStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"SHOW VARIABLES", &ShowVariablesStmt{}},
		{"SHOW GLOBAL VARIABLES LIKE 'version%'", &ShowVariablesStmt{Scope: ScopeGlobal, Like: strp("version%")}},
		{"SHOW SESSION VARIABLES WHERE Variable_name = 'x'", &ShowVariablesStmt{Scope: ScopeSession,
			Where: bin(OpEq, col("Variable_name"), str("x"))}},
		{"SHOW LOCAL VARIABLES", &ShowVariablesStmt{Scope: ScopeSession}},
		{"SHOW DATABASES", &ShowStmt{Kind: ShowDatabases}},
		{"SHOW DATABASES LIKE 'd%'", &ShowStmt{Kind: ShowDatabases, Like: strp("d%")}},
		{"SHOW SCHEMAS", &ShowStmt{Kind: ShowDatabases}},
		{"SHOW TABLES", &ShowTablesStmt{}},
		{"SHOW FULL TABLES FROM db1 LIKE 't%'", &ShowTablesStmt{Full: true, Db: id("db1"), Like: strp("t%")}},
		{"SHOW TABLES IN db1 WHERE Table_type = 'VIEW'", &ShowTablesStmt{Db: id("db1"),
			Where: bin(OpEq, col("Table_type"), str("VIEW"))}},
		{"SHOW CREATE TABLE db1.t", &ShowCreateTableStmt{Table: dbTbl("db1", "t")}},
		{"SHOW CREATE TABLE t", &ShowCreateTableStmt{Table: tbl("t")}},
		{"SHOW CREATE DATABASE db1", &ShowCreateDatabaseStmt{Db: id("db1")}},
		{"DESC t", &DescTableStmt{Table: tbl("t")}},
		{"DESCRIBE db1.t ALL", &DescTableStmt{Table: dbTbl("db1", "t"), All: true}},
		{"DESC storage", &DescTableStmt{Table: tbl("storage")}},
		{"SHOW COLUMNS FROM t", &ShowColumnsStmt{Table: tbl("t")}},
		{"SHOW FULL COLUMNS FROM t FROM db1", &ShowColumnsStmt{Full: true, Table: tbl("t"), Db: id("db1")}},
		{"SHOW FIELDS IN db1.t LIKE 'a%'", &ShowColumnsStmt{Table: dbTbl("db1", "t"), Like: strp("a%")}},
		{"SHOW FRONTENDS", &ShowStmt{Kind: ShowFrontends}},
		{"SHOW COMPUTE NODES", &ShowStmt{Kind: ShowComputeNodes}},
		{"SHOW BACKENDS", &ShowStmt{Kind: ShowBackends}},
		{"SHOW PROC '/frontends'", &ShowProcStmt{Path: "/frontends"}},
		{"SHOW STORAGE VOLUMES", &ShowStmt{Kind: ShowStorageVolumes}},
		{"SHOW STORAGE VOLUMES LIKE 'b%'", &ShowStmt{Kind: ShowStorageVolumes, Like: strp("b%")}},
		{"DESC STORAGE VOLUME my_s3_volume", &DescStorageVolumeStmt{Name: id("my_s3_volume")}},
		{"DESCRIBE STORAGE VOLUME `builtin_storage_volume`", &DescStorageVolumeStmt{Name: id("builtin_storage_volume")}},
		{"SHOW GRANTS", &ShowGrantsStmt{}},
		{"SHOW GRANTS FOR 'jack'@'%'", &ShowGrantsStmt{User: user("jack", "%")}},
		{"SHOW GRANTS FOR ROLE db_admin", &ShowGrantsStmt{Role: id("db_admin")}},
		{"SHOW ALL GRANTS", &ShowGrantsStmt{All: true}},
		{"SHOW ROLES", &ShowStmt{Kind: ShowRoles}},
		{"SHOW USERS", &ShowStmt{Kind: ShowUsers}},
		{"SHOW WARNINGS", &ShowWarningsStmt{}},
		{"SHOW WARNINGS LIMIT 5", &ShowWarningsStmt{Limit: &Limit{Count: 5}}},
		{"SHOW ERRORS", &ShowWarningsStmt{Errors: true}},
		{"SHOW PROCESSLIST", &ShowStmt{Kind: ShowProcesslist}},
		{"SHOW FULL PROCESSLIST", &ShowStmt{Kind: ShowProcesslist, Full: true}},
		{"SHOW STATUS", &ShowStmt{Kind: ShowStatus}},
		{"SHOW GLOBAL STATUS LIKE 'Up%'", &ShowStmt{Kind: ShowStatus, Scope: ScopeGlobal, Like: strp("Up%")}},
		{"SHOW SESSION STATUS", &ShowStmt{Kind: ShowStatus, Scope: ScopeSession}},
		{"SHOW ENGINES", &ShowStmt{Kind: ShowEngines}},
		{"SHOW CHARSET", &ShowStmt{Kind: ShowCharset}},
		{"SHOW CHARACTER SET LIKE 'utf8%'", &ShowStmt{Kind: ShowCharset, Like: strp("utf8%")}},
		{"SHOW COLLATION WHERE Charset = 'utf8'", &ShowStmt{Kind: ShowCollation, Where: bin(OpEq, col("Charset"), str("utf8"))}},
		{"SHOW CATALOGS", &ShowStmt{Kind: ShowCatalogs}},
		{"SHOW PARTITIONS FROM db1.t", &ShowPartitionsStmt{Table: dbTbl("db1", "t")}},
		{"SHOW TEMPORARY PARTITIONS FROM t WHERE PartitionName = 'p1' ORDER BY PartitionId DESC LIMIT 1",
			&ShowPartitionsStmt{Temporary: true, Table: tbl("t"), Where: bin(OpEq, col("PartitionName"), str("p1")),
				OrderBy: []*OrderItem{{Expr: col("PartitionId"), Desc: true}}, Limit: &Limit{Count: 1}}},
		{"SHOW LOAD", &ShowLoadStmt{}},
		{"SHOW LOAD FROM db1 WHERE LABEL = 'l1'", &ShowLoadStmt{Db: id("db1"), Where: bin(OpEq, col("LABEL"), str("l1"))}},
		{"SHOW DATA", &ShowDataStmt{}},
		{"SHOW DATA FROM db1.t", &ShowDataStmt{Table: dbTbl("db1", "t")}},
		{"SHOW TRANSACTION FROM db1 WHERE id = 4005", &ShowTransactionStmt{Db: id("db1"), Where: bin(OpEq, col("id"), intLit("4005"))}},
		{"SHOW TRANSACTION WHERE id = 1", &ShowTransactionStmt{Where: bin(OpEq, col("id"), intLit("1"))}},
		{"ADMIN SHOW FRONTEND CONFIG", &AdminShowConfigStmt{}},
		{"ADMIN SHOW FRONTEND CONFIG LIKE '%lake%'", &AdminShowConfigStmt{Like: strp("%lake%")}},
	})
}

func TestDatabaseAndTableDDL(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"CREATE DATABASE db1", &CreateDatabaseStmt{Db: id("db1")}},
		{"CREATE DATABASE IF NOT EXISTS db1 PROPERTIES (\"storage_volume\" = \"s3v\")",
			&CreateDatabaseStmt{IfNotExists: true, Db: id("db1"), Properties: props("storage_volume", "s3v")}},
		{"CREATE SCHEMA `database`", &CreateDatabaseStmt{Db: id("database")}},
		{"DROP DATABASE db1", &DropDatabaseStmt{Db: id("db1")}},
		{"DROP DATABASE IF EXISTS db1 FORCE", &DropDatabaseStmt{IfExists: true, Db: id("db1"), Force: true}},
		{"DROP TABLE t", &DropTableStmt{Table: tbl("t")}},
		{"DROP TABLE IF EXISTS db1.t FORCE", &DropTableStmt{IfExists: true, Table: dbTbl("db1", "t"), Force: true}},
		{"TRUNCATE TABLE t", &TruncateTableStmt{Table: tbl("t")}},
		{"TRUNCATE TABLE db1.t PARTITION (p1, p2)", &TruncateTableStmt{Table: dbTbl("db1", "t"), Partitions: ids("p1", "p2")}},
		{"TRUNCATE TABLE t PARTITION p1", &TruncateTableStmt{Table: tbl("t"), Partitions: ids("p1")}},
		{"RECOVER TABLE db1.t", &RecoverTableStmt{Table: dbTbl("db1", "t")}},
		{"RECOVER PARTITION p1 FROM t", &RecoverPartitionStmt{Partition: id("p1"), Table: tbl("t")}},
		{"RECOVER DATABASE db1", &RecoverDatabaseStmt{Db: id("db1")}},
		{"ALTER TABLE db1.t DROP PARTITION p1", &AlterTableStmt{Table: dbTbl("db1", "t"),
			Clauses: []AlterClause{&DropPartitionClause{Name: id("p1")}}}},
		{"ALTER TABLE t DROP PARTITION IF EXISTS p1 FORCE", &AlterTableStmt{Table: tbl("t"),
			Clauses: []AlterClause{&DropPartitionClause{IfExists: true, Name: id("p1"), Force: true}}}},
		{"ALTER TABLE t ADD PARTITION p4 VALUES LESS THAN ('2020-04-01')", &AlterTableStmt{Table: tbl("t"),
			Clauses: []AlterClause{&AddPartitionClause{Partition: &RangePartition{Name: "p4",
				LessThan: []*PartitionValue{{Value: "2020-04-01"}}}}}}},
		{"ALTER TABLE t ADD PARTITION p5 VALUES LESS THAN MAXVALUE DISTRIBUTED BY HASH(k) BUCKETS 4", &AlterTableStmt{Table: tbl("t"),
			Clauses: []AlterClause{&AddPartitionClause{
				Partition:    &RangePartition{Name: "p5", LessThan: []*PartitionValue{{MaxValue: true}}},
				Distribution: &DistributionDesc{Type: DistHash, Columns: ids("k"), Buckets: 4}}}}},
		{"ALTER TABLE t COMPACT", &AlterTableStmt{Table: tbl("t"), Clauses: []AlterClause{&CompactClause{}}}},
		{"ALTER TABLE t COMPACT p1", &AlterTableStmt{Table: tbl("t"), Clauses: []AlterClause{&CompactClause{Partitions: ids("p1")}}}},
		{"ALTER TABLE t COMPACT (p1, p2)", &AlterTableStmt{Table: tbl("t"), Clauses: []AlterClause{&CompactClause{Partitions: ids("p1", "p2")}}}},
		{"ALTER TABLE t SET (\"replication_num\" = \"1\", \"bucket_size\" = \"1024\")", &AlterTableStmt{Table: tbl("t"),
			Clauses: []AlterClause{&SetPropertiesClause{Properties: props("replication_num", "1", "bucket_size", "1024")}}}},
		{"ALTER TABLE t DROP PARTITION p1, DROP PARTITION p2", &AlterTableStmt{Table: tbl("t"),
			Clauses: []AlterClause{&DropPartitionClause{Name: id("p1")}, &DropPartitionClause{Name: id("p2")}}}},
	})
}

func TestCreateTable(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"CREATE TABLE t (a INT)", &CreateTableStmt{Table: tbl("t"),
			Columns: []*ColumnDef{{Name: "a", Type: typ("INT")}}}},
		{`CREATE TABLE IF NOT EXISTS db1.t (
			k BIGINT NOT NULL AUTO_INCREMENT COMMENT 'key',
			v VARCHAR(20) NULL DEFAULT "x",
			d DECIMAL(10, 2) DEFAULT '0.5',
			d2 DECIMAL64(18),
			ts DATETIME DEFAULT CURRENT_TIMESTAMP,
			n INT DEFAULT -1,
			b BOOL,
			u STRING DEFAULT (uuid()),
			INDEX idx_v (v) USING BITMAP COMMENT 'bitmap on v'
		) ENGINE = OLAP
		PRIMARY KEY (k)
		COMMENT 'a table'
		DISTRIBUTED BY RANDOM
		ORDER BY (v, k)
		PROPERTIES ("replication_num" = "1")`,
			&CreateTableStmt{IfNotExists: true, Table: dbTbl("db1", "t"),
				Columns: []*ColumnDef{
					{Name: "k", Type: typ("BIGINT"), Null: NotNull, AutoIncrement: true, Comment: "key"},
					{Name: "v", Type: typLen("VARCHAR", 20), Null: NullAllowed, Default: str("x")},
					{Name: "d", Type: &TypeDef{Name: "DECIMAL", Precision: 10, Scale: 2, HasPrecision: true, HasScale: true}, Default: str("0.5")},
					{Name: "d2", Type: &TypeDef{Name: "DECIMAL64", Precision: 18, HasPrecision: true}},
					{Name: "ts", Type: typ("DATETIME"), Default: &FuncCall{Name: "CURRENT_TIMESTAMP"}},
					{Name: "n", Type: typ("INT"), Default: intLit("-1")},
					{Name: "b", Type: typ("BOOLEAN")},
					{Name: "u", Type: typ("STRING"), Default: fn("uuid")},
				},
				Indexes:      []*IndexDef{{Name: "idx_v", Columns: ids("v"), Using: "BITMAP", Comment: "bitmap on v"}},
				Engine:       "OLAP",
				Keys:         &KeysDesc{Type: KeysPrimary, Columns: ids("k")},
				Comment:      "a table",
				Distribution: &DistributionDesc{Type: DistRandom},
				OrderBy:      ids("v", "k"),
				Properties:   props("replication_num", "1"),
			}},
		{`CREATE TABLE t (dt DATE, v INT REPLACE_IF_NOT_NULL, h HLL HLL_UNION, bm BITMAP BITMAP_UNION, j JSON,
			bi VARBINARY(10), c CHAR, li LARGEINT, si SMALLINT, ti TINYINT, f FLOAT, db DOUBLE, i11 INT(11), dv DECIMALV2(27, 9))
		UNIQUE KEY (dt)
		PARTITION BY RANGE (dt) (
			START ("2021-01-01") END ("2021-02-01") EVERY (INTERVAL 1 DAY),
			START ('1') END ('9') EVERY (2),
			PARTITION p_max VALUES LESS THAN (MAXVALUE)
		)
		DISTRIBUTED BY HASH(dt) BUCKETS 8`,
			&CreateTableStmt{Table: tbl("t"),
				Columns: []*ColumnDef{
					{Name: "dt", Type: typ("DATE")},
					{Name: "v", Type: typ("INT"), Agg: AggReplaceIfNotNull},
					{Name: "h", Type: typ("HLL"), Agg: AggHllUnion},
					{Name: "bm", Type: typ("BITMAP"), Agg: AggBitmapUnion},
					{Name: "j", Type: typ("JSON")},
					{Name: "bi", Type: typLen("VARBINARY", 10)},
					{Name: "c", Type: typ("CHAR")},
					{Name: "li", Type: typ("LARGEINT")},
					{Name: "si", Type: typ("SMALLINT")},
					{Name: "ti", Type: typ("TINYINT")},
					{Name: "f", Type: typ("FLOAT")},
					{Name: "db", Type: typ("DOUBLE")},
					{Name: "i11", Type: typLen("INT", 11)},
					{Name: "dv", Type: &TypeDef{Name: "DECIMALV2", Precision: 27, Scale: 9, HasPrecision: true, HasScale: true}},
				},
				Keys: &KeysDesc{Type: KeysUnique, Columns: ids("dt")},
				Partition: &PartitionDesc{Columns: ids("dt"),
					Ranges: []*RangePartition{{Name: "p_max", LessThan: []*PartitionValue{{MaxValue: true}}}},
					Batches: []*PartitionBatch{
						{Start: "2021-01-01", End: "2021-02-01", Every: 1, Unit: "DAY"},
						{Start: "1", End: "9", Every: 2},
					}},
				Distribution: &DistributionDesc{Type: DistHash, Columns: ids("dt"), Buckets: 8},
			}},
		{"CREATE TABLE t (k INT KEY, v INT MAX) AGGREGATE KEY(k) PARTITION BY RANGE(k) () DISTRIBUTED BY HASH(k)",
			&CreateTableStmt{Table: tbl("t"),
				Columns:      []*ColumnDef{{Name: "k", Type: typ("INT"), IsKey: true}, {Name: "v", Type: typ("INT"), Agg: AggMax}},
				Keys:         &KeysDesc{Type: KeysAggregate, Columns: ids("k")},
				Partition:    &PartitionDesc{Columns: ids("k")},
				Distribution: &DistributionDesc{Type: DistHash, Columns: ids("k")},
			}},
	})
}

// quickstartColumns are the columns of the StarRocks quickstart table.
func quickstartColumns(aggregate bool) []*ColumnDef {
	sum := AggNone
	if aggregate {
		sum = AggSum
	}
	return []*ColumnDef{
		{Name: "event_time", Type: typ("DATETIME")},
		{Name: "channel", Type: typLen("VARCHAR", 32), Default: str("")},
		{Name: "user", Type: typLen("VARCHAR", 128), Default: str("")},
		{Name: "is_anonymous", Type: typ("TINYINT"), Default: str("0")},
		{Name: "is_minor", Type: typ("TINYINT"), Default: str("0")},
		{Name: "is_new", Type: typ("TINYINT"), Default: str("0")},
		{Name: "is_robot", Type: typ("TINYINT"), Default: str("0")},
		{Name: "is_unpatrolled", Type: typ("TINYINT"), Default: str("0")},
		{Name: "delta", Type: typ("INT"), Agg: sum, Default: str("0")},
		{Name: "added", Type: typ("INT"), Agg: sum, Default: str("0")},
		{Name: "deleted", Type: typ("INT"), Agg: sum, Default: str("0")},
	}
}

var quickstartPartition = &PartitionDesc{Columns: ids("event_time"), Ranges: []*RangePartition{
	{Name: "p06", LessThan: []*PartitionValue{{Value: "2015-09-12 06:00:00"}}},
	{Name: "p12", LessThan: []*PartitionValue{{Value: "2015-09-12 12:00:00"}}},
	{Name: "p18", LessThan: []*PartitionValue{{Value: "2015-09-12 18:00:00"}}},
	{Name: "p24", LessThan: []*PartitionValue{{Value: "2015-09-13 00:00:00"}}},
}}

const quickstartAggregate = `CREATE TABLE source_wiki_edit
(
    event_time DATETIME,
    channel VARCHAR(32) DEFAULT '',
    user VARCHAR(128) DEFAULT '',
    is_anonymous TINYINT DEFAULT '0',
    is_minor TINYINT DEFAULT '0',
    is_new TINYINT DEFAULT '0',
    is_robot TINYINT DEFAULT '0',
    is_unpatrolled TINYINT DEFAULT '0',
    delta INT SUM DEFAULT '0',
    added INT SUM DEFAULT '0',
    deleted INT SUM DEFAULT '0'
)
AGGREGATE KEY(event_time, channel, user, is_anonymous, is_minor, is_new, is_robot, is_unpatrolled)
PARTITION BY RANGE(event_time)
(
    PARTITION p06 VALUES LESS THAN ('2015-09-12 06:00:00'),
    PARTITION p12 VALUES LESS THAN ('2015-09-12 12:00:00'),
    PARTITION p18 VALUES LESS THAN ('2015-09-12 18:00:00'),
    PARTITION p24 VALUES LESS THAN ('2015-09-13 00:00:00')
)
DISTRIBUTED BY HASH(user);
`

const quickstartDuplicate = `CREATE TABLE source_wiki_edit
(
    event_time DATETIME,
    channel VARCHAR(32) DEFAULT '',
    user VARCHAR(128) DEFAULT '',
    is_anonymous TINYINT DEFAULT '0',
    is_minor TINYINT DEFAULT '0',
    is_new TINYINT DEFAULT '0',
    is_robot TINYINT DEFAULT '0',
    is_unpatrolled TINYINT DEFAULT '0',
    delta INT DEFAULT '0',
    added INT DEFAULT '0',
    deleted INT DEFAULT '0'
)
DUPLICATE KEY(event_time, channel, user, is_anonymous, is_minor, is_new, is_robot, is_unpatrolled)
PARTITION BY RANGE(event_time)
(
    PARTITION p06 VALUES LESS THAN ('2015-09-12 06:00:00'),
    PARTITION p12 VALUES LESS THAN ('2015-09-12 12:00:00'),
    PARTITION p18 VALUES LESS THAN ('2015-09-12 18:00:00'),
    PARTITION p24 VALUES LESS THAN ('2015-09-13 00:00:00')
)
DISTRIBUTED BY HASH(user)
PROPERTIES ("storage_volume" = "builtin_storage_volume");
`

func TestQuickstartTable(t *testing.T) {
	keyCols := ids("event_time", "channel", "user", "is_anonymous", "is_minor", "is_new", "is_robot", "is_unpatrolled")

	sts, err := Parse(quickstartAggregate)
	require.NoError(t, err)
	require.Len(t, sts, 1)
	require.Equal(t, Pos{Line: 1, Col: 0}, sts[0].Pos())
	require.Equal(t, quickstartAggregate[:len(quickstartAggregate)-2], sts[0].Text()) // without ";\n"
	stripPos(sts[0])
	require.Equal(t, &CreateTableStmt{
		Table:        tbl("source_wiki_edit"),
		Columns:      quickstartColumns(true),
		Keys:         &KeysDesc{Type: KeysAggregate, Columns: keyCols},
		Partition:    quickstartPartition,
		Distribution: &DistributionDesc{Type: DistHash, Columns: ids("user")},
	}, sts[0])

	st := mustParseOne(t, quickstartDuplicate)
	require.Equal(t, &CreateTableStmt{
		Table:        tbl("source_wiki_edit"),
		Columns:      quickstartColumns(false),
		Keys:         &KeysDesc{Type: KeysDuplicate, Columns: keyCols},
		Partition:    quickstartPartition,
		Distribution: &DistributionDesc{Type: DistHash, Columns: ids("user")},
		Properties:   props("storage_volume", "builtin_storage_volume"),
	}, st)
}

func TestStorageVolumeStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{`CREATE STORAGE VOLUME my_s3_volume TYPE = S3 LOCATIONS = ("s3://defaultbucket/test/")
		  COMMENT 'minio' PROPERTIES ("aws.s3.region" = "us-west-2", "aws.s3.use_aws_sdk_default_behavior" = "true")`,
			&CreateStorageVolumeStmt{Name: id("my_s3_volume"), Type: "S3", Locations: []string{"s3://defaultbucket/test/"},
				Comment: "minio", Properties: props("aws.s3.region", "us-west-2", "aws.s3.use_aws_sdk_default_behavior", "true")}},
		{"CREATE STORAGE VOLUME IF NOT EXISTS `v 2` TYPE = s3 LOCATIONS = ('s3://a/b', 's3://c')",
			&CreateStorageVolumeStmt{IfNotExists: true, Name: id("v 2"), Type: "S3", Locations: []string{"s3://a/b", "s3://c"}}},
		{`ALTER STORAGE VOLUME v SET ("aws.s3.access_key" = "ak", "enabled" = "false")`,
			&AlterStorageVolumeStmt{Name: id("v"), Properties: props("aws.s3.access_key", "ak", "enabled", "false")}},
		{"ALTER STORAGE VOLUME v COMMENT = 'new comment'", &AlterStorageVolumeStmt{Name: id("v"), Comment: strp("new comment")}},
		{"DROP STORAGE VOLUME v", &DropStorageVolumeStmt{Name: id("v")}},
		{"DROP STORAGE VOLUME IF EXISTS `v`", &DropStorageVolumeStmt{IfExists: true, Name: id("v")}},
		{"SET my_s3_volume AS DEFAULT STORAGE VOLUME", &SetDefaultStorageVolumeStmt{Name: id("my_s3_volume")}},
		{"SET `vol` AS DEFAULT STORAGE VOLUME", &SetDefaultStorageVolumeStmt{Name: id("vol")}},
	})
}

func TestUserAndPrivilegeStatements(t *testing.T) {
	tableObj := func(db, name string) *PrivObject { return &PrivObject{Type: ObjTable, Db: db, Name: name} }
	runStmtCases(t, []stmtCase{
		{"CREATE USER jack", &CreateUserStmt{User: user("jack", "%")}},
		{"CREATE USER IF NOT EXISTS 'jack'@'192.168.%' IDENTIFIED BY '12345' DEFAULT ROLE db_admin, 'r2'",
			&CreateUserStmt{IfNotExists: true, User: user("jack", "192.168.%"), Auth: &AuthOption{Password: "12345"},
				DefaultRoles: ids("db_admin", "r2")}},
		{"CREATE USER jack@'%' IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'",
			&CreateUserStmt{User: user("jack", "%"), Auth: &AuthOption{Password: "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9", Hashed: true}}},
		{"CREATE USER 'jack' IDENTIFIED WITH mysql_native_password BY '123'",
			&CreateUserStmt{User: user("jack", "%"), Auth: &AuthOption{Plugin: "mysql_native_password", Password: "123"}}},
		{"CREATE USER jack@localhost IDENTIFIED WITH mysql_native_password AS '*HASH'",
			&CreateUserStmt{User: user("jack", "localhost"), Auth: &AuthOption{Plugin: "mysql_native_password", Password: "*HASH", Hashed: true}}},
		{"CREATE USER \"u\"@\"10.0.0.1\"", &CreateUserStmt{User: user("u", "10.0.0.1")}},
		{"ALTER USER jack IDENTIFIED BY 'new'", &AlterUserStmt{User: user("jack", "%"), Auth: &AuthOption{Password: "new"}}},
		{"DROP USER 'jack'@'%'", &DropUserStmt{User: user("jack", "%")}},
		{"DROP USER IF EXISTS jack", &DropUserStmt{IfExists: true, User: user("jack", "%")}},
		{"CREATE ROLE analyst", &CreateRoleStmt{Roles: ids("analyst")}},
		{"CREATE ROLE IF NOT EXISTS r1, r2 COMMENT 'c'", &CreateRoleStmt{IfNotExists: true, Roles: ids("r1", "r2"), Comment: "c"}},
		{"DROP ROLE analyst", &DropRoleStmt{Roles: ids("analyst")}},
		{"DROP ROLE IF EXISTS analyst", &DropRoleStmt{IfExists: true, Roles: ids("analyst")}},

		{"GRANT SELECT ON db1.* TO 'jack'@'%'", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: &PrivObject{Type: ObjTable, Db: "db1", AllNames: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT, INSERT, UPDATE, DELETE, ALTER, DROP ON db1.t1 TO USER jack WITH GRANT OPTION",
			&GrantPrivilegeStmt{Privileges: []string{"SELECT", "INSERT", "UPDATE", "DELETE", "ALTER", "DROP"},
				Object: tableObj("db1", "t1"), Grantee: &Grantee{User: user("jack", "%")}, WithGrantOption: true}},
		{"GRANT ALL PRIVILEGES ON *.* TO ROLE admin2", &GrantPrivilegeStmt{Privileges: []string{"ALL"},
			Object: &PrivObject{Type: ObjTable, AllNames: true, AllDatabases: true}, Grantee: &Grantee{Role: id("admin2")}}},
		{"GRANT SELECT ON TABLE db1.t1 TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: tableObj("db1", "t1"), Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT ON TABLE t1 TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: tableObj("", "t1"), Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT ON ALL TABLES IN DATABASE db1 TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: &PrivObject{Type: ObjTable, Db: "db1", AllNames: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT ON ALL TABLES IN ALL DATABASES TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: &PrivObject{Type: ObjTable, AllNames: true, AllDatabases: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT CREATE TABLE, ALTER, DROP ON DATABASE db1 TO ROLE r", &GrantPrivilegeStmt{Privileges: []string{"CREATE TABLE", "ALTER", "DROP"},
			Object: &PrivObject{Type: ObjDatabase, Db: "db1"}, Grantee: &Grantee{Role: id("r")}}},
		{"GRANT CREATE DATABASE, USAGE ON ALL DATABASES TO jack", &GrantPrivilegeStmt{Privileges: []string{"CREATE DATABASE", "USAGE"},
			Object: &PrivObject{Type: ObjDatabase, AllNames: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT USAGE, ALTER, DROP ON STORAGE VOLUME my_vol TO ROLE r", &GrantPrivilegeStmt{Privileges: []string{"USAGE", "ALTER", "DROP"},
			Object: &PrivObject{Type: ObjStorageVolume, Name: "my_vol"}, Grantee: &Grantee{Role: id("r")}}},
		{"GRANT USAGE ON ALL STORAGE VOLUMES TO jack", &GrantPrivilegeStmt{Privileges: []string{"USAGE"},
			Object: &PrivObject{Type: ObjStorageVolume, AllNames: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT OPERATE, NODE, CREATE STORAGE VOLUME ON SYSTEM TO USER 'jack'@'%'",
			&GrantPrivilegeStmt{Privileges: []string{"OPERATE", "NODE", "CREATE STORAGE VOLUME"},
				Object: &PrivObject{Type: ObjSystem}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT ON database.t TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: tableObj("database", "t"), Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT SELECT ON VIEW db1.v TO jack", &GrantPrivilegeStmt{Privileges: []string{"SELECT"},
			Object: &PrivObject{Type: ObjView, Db: "db1", Name: "v"}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT USAGE ON CATALOG default_catalog TO jack", &GrantPrivilegeStmt{Privileges: []string{"USAGE"},
			Object: &PrivObject{Type: ObjCatalog, Name: "default_catalog"}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"REVOKE SELECT ON db1.* FROM jack", &RevokePrivilegeStmt{Privileges: []string{"SELECT"},
			Object: &PrivObject{Type: ObjTable, Db: "db1", AllNames: true}, Grantee: &Grantee{User: user("jack", "%")}}},
		{"REVOKE ALL ON SYSTEM FROM ROLE r", &RevokePrivilegeStmt{Privileges: []string{"ALL"},
			Object: &PrivObject{Type: ObjSystem}, Grantee: &Grantee{Role: id("r")}}},

		{"GRANT db_admin TO jack", &GrantRoleStmt{Roles: ids("db_admin"), Grantee: &Grantee{User: user("jack", "%")}}},
		{"GRANT r1, 'r2' TO USER 'jack'@'h'", &GrantRoleStmt{Roles: ids("r1", "r2"), Grantee: &Grantee{User: user("jack", "h")}}},
		{"GRANT r1 TO ROLE r2", &GrantRoleStmt{Roles: ids("r1"), Grantee: &Grantee{Role: id("r2")}}},
		{"GRANT r1 TO user", &GrantRoleStmt{Roles: ids("r1"), Grantee: &Grantee{User: user("user", "%")}}},
		{"REVOKE r1 FROM jack", &RevokeRoleStmt{Roles: ids("r1"), Grantee: &Grantee{User: user("jack", "%")}}},
		{"REVOKE r1, r2 FROM ROLE r3", &RevokeRoleStmt{Roles: ids("r1", "r2"), Grantee: &Grantee{Role: id("r3")}}},
	})
}

func TestAdminStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{`ADMIN SET FRONTEND CONFIG ("lake_enable_balance_tablets_between_workers" = "false")`,
			&AdminSetConfigStmt{Configs: props("lake_enable_balance_tablets_between_workers", "false")}},
		{`ALTER SYSTEM ADD FOLLOWER "fe2:9010"`, &AlterSystemStmt{Op: SystemAdd, Node: NodeFollower, Hosts: []string{"fe2:9010"}}},
		{`ALTER SYSTEM DROP FOLLOWER "fe2:9010"`, &AlterSystemStmt{Op: SystemDrop, Node: NodeFollower, Hosts: []string{"fe2:9010"}}},
		{`ALTER SYSTEM ADD OBSERVER 'fe3:9010'`, &AlterSystemStmt{Op: SystemAdd, Node: NodeObserver, Hosts: []string{"fe3:9010"}}},
		{`ALTER SYSTEM DROP OBSERVER "fe3:9010"`, &AlterSystemStmt{Op: SystemDrop, Node: NodeObserver, Hosts: []string{"fe3:9010"}}},
		{`ALTER SYSTEM ADD COMPUTE NODE "cn1:9050", "cn2:9050"`, &AlterSystemStmt{Op: SystemAdd, Node: NodeComputeNode,
			Hosts: []string{"cn1:9050", "cn2:9050"}}},
		{`ALTER SYSTEM DROP COMPUTE NODE "cn1:9050"`, &AlterSystemStmt{Op: SystemDrop, Node: NodeComputeNode, Hosts: []string{"cn1:9050"}}},
		{`ALTER SYSTEM ADD BACKEND "be1:9050"`, &AlterSystemStmt{Op: SystemAdd, Node: NodeBackend, Hosts: []string{"be1:9050"}}},
		{`ALTER SYSTEM DROP BACKEND "be1:9050"`, &AlterSystemStmt{Op: SystemDrop, Node: NodeBackend, Hosts: []string{"be1:9050"}}},
		{`ALTER SYSTEM DECOMMISSION BACKEND "be1:9050"`, &AlterSystemStmt{Op: SystemDecommission, Node: NodeBackend, Hosts: []string{"be1:9050"}}},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON", &AdminSetClusterSnapshotStmt{On: true}},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON STORAGE VOLUME my_vol", &AdminSetClusterSnapshotStmt{On: true, StorageVolume: id("my_vol")}},
		{"ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF", &AdminSetClusterSnapshotStmt{}},
		{"admin set automated cluster snapshot on storage volume `my vol`;", &AdminSetClusterSnapshotStmt{On: true, StorageVolume: id("my vol")}},
		{"ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT", &AdminShowClusterSnapshotStmt{}},
		{"admin show automated cluster snapshot;", &AdminShowClusterSnapshotStmt{}},
		{"KILL 12", &KillStmt{ConnectionID: 12}},
		{"KILL CONNECTION 12", &KillStmt{ConnectionID: 12}},
		{"KILL QUERY 12", &KillStmt{Query: true, ConnectionID: 12}},
	})
}

func TestSelectStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"SELECT 1", &SelectStmt{Items: []*SelectItem{item(intLit("1"), "")}}},
		{"SELECT @@version_comment LIMIT 1", &SelectStmt{
			Items: []*SelectItem{item(&VariableExpr{Name: "version_comment", System: true}, "")},
			Limit: &Limit{Count: 1}}},
		{"SELECT DATABASE()", &SelectStmt{Items: []*SelectItem{item(fn("DATABASE"), "")}}},
		{"select database(), user(), current_user(), CURRENT_USER, version()", &SelectStmt{Items: []*SelectItem{
			item(fn("database"), ""), item(fn("user"), ""), item(fn("current_user"), ""),
			item(&FuncCall{Name: "CURRENT_USER"}, ""), item(fn("version"), "")}}},
		{"SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, @@license AS license, @@global.x",
			&SelectStmt{Items: []*SelectItem{
				item(&VariableExpr{Name: "auto_increment_increment", System: true, Scope: ScopeSession}, "auto_increment_increment"),
				item(&VariableExpr{Name: "character_set_client", System: true}, "character_set_client"),
				item(&VariableExpr{Name: "license", System: true}, "license"),
				item(&VariableExpr{Name: "x", System: true, Scope: ScopeGlobal}, ""),
			}}},
		{"SELECT * FROM t", &SelectStmt{Items: []*SelectItem{{Star: true}}, From: &TableRef{Name: tbl("t")}}},
		{"SELECT t.*, db1.t.*, t.a x, b AS 'y', c `z` FROM db1.t AS t", &SelectStmt{
			Items: []*SelectItem{
				{Star: true, StarTable: tbl("t")},
				{Star: true, StarTable: dbTbl("db1", "t")},
				item(tcol("t", "a"), "x"), item(col("b"), "y"), item(col("c"), "z"),
			},
			From: &TableRef{Name: dbTbl("db1", "t"), Alias: "t"}}},
		{"SELECT DISTINCT user, type, status, comment, name, value, date, label, version FROM information_schema.tables u",
			&SelectStmt{Distinct: true, Items: []*SelectItem{
				item(col("user"), ""), item(col("type"), ""), item(col("status"), ""), item(col("comment"), ""),
				item(col("name"), ""), item(col("value"), ""), item(col("date"), ""), item(col("label"), ""),
				item(col("version"), "")},
				From: &TableRef{Name: dbTbl("information_schema", "tables"), Alias: "u"}}},
		{"SELECT channel, COUNT(*) AS c, SUM(delta), COUNT(DISTINCT user, channel) FROM db.t WHERE is_robot = 0 AND user LIKE 'a%' " +
			"GROUP BY channel, 2 HAVING c > 10 ORDER BY c DESC, channel ASC, 1 LIMIT 10 OFFSET 5",
			&SelectStmt{
				Items: []*SelectItem{
					item(col("channel"), ""),
					item(&FuncCall{Name: "COUNT", Star: true}, "c"),
					item(fn("SUM", col("delta")), ""),
					item(&FuncCall{Name: "COUNT", Distinct: true, Args: []Expr{col("user"), col("channel")}}, ""),
				},
				From:    &TableRef{Name: dbTbl("db", "t")},
				Where:   bin(OpAnd, bin(OpEq, col("is_robot"), intLit("0")), &LikeExpr{X: col("user"), Pattern: str("a%")}),
				GroupBy: []Expr{col("channel"), intLit("2")},
				Having:  bin(OpGt, col("c"), intLit("10")),
				OrderBy: []*OrderItem{{Expr: col("c"), Desc: true}, {Expr: col("channel")}, {Expr: intLit("1")}},
				Limit:   &Limit{Count: 10, Offset: 5},
			}},
		{"SELECT a FROM t LIMIT 5, 10", &SelectStmt{Items: []*SelectItem{item(col("a"), "")},
			From: &TableRef{Name: tbl("t")}, Limit: &Limit{Offset: 5, Count: 10}}},
		{"SELECT a FROM t LIMIT 18446744073709551615", &SelectStmt{Items: []*SelectItem{item(col("a"), "")},
			From: &TableRef{Name: tbl("t")}, Limit: &Limit{Count: 9223372036854775807}}},
		{"SELECT 1 FROM DUAL", &SelectStmt{Items: []*SelectItem{item(intLit("1"), "")}}},
		{"SELECT a FROM t1 JOIN t2 ON t1.k = t2.k LEFT OUTER JOIN t3 USING (k), t4", &SelectStmt{
			Items: []*SelectItem{item(col("a"), "")},
			From: &JoinExpr{Kind: JoinCross,
				Left: &JoinExpr{Kind: JoinLeft,
					Left: &JoinExpr{Kind: JoinInner, Left: &TableRef{Name: tbl("t1")}, Right: &TableRef{Name: tbl("t2")},
						On: bin(OpEq, tcol("t1", "k"), tcol("t2", "k"))},
					Right: &TableRef{Name: tbl("t3")}, Using: ids("k")},
				Right: &TableRef{Name: tbl("t4")}}}},
		{"SELECT CAST(a AS VARCHAR(10)), CASE WHEN a > 1 THEN 'x' ELSE 'y' END FROM t", &SelectStmt{
			Items: []*SelectItem{
				item(&CastExpr{X: col("a"), Type: typLen("VARCHAR", 10)}, ""),
				item(&CaseExpr{Whens: []*When{{Cond: bin(OpGt, col("a"), intLit("1")), Result: str("x")}}, Else: str("y")}, ""),
			},
			From: &TableRef{Name: tbl("t")}}},
		{"SELECT ? + ?, a FROM t WHERE b = ?", &SelectStmt{
			Items: []*SelectItem{item(bin(OpAdd, &ParamExpr{Index: 0}, &ParamExpr{Index: 1}), ""), item(col("a"), "")},
			From:  &TableRef{Name: tbl("t")},
			Where: bin(OpEq, col("b"), &ParamExpr{Index: 2})}},
	})
}

func TestInsertStatements(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"INSERT INTO t VALUES (1, 'a'), (2, 'b')", &InsertStmt{Table: tbl("t"),
			Rows: [][]Expr{{intLit("1"), str("a")}, {intLit("2"), str("b")}}}},
		{"INSERT INTO db1.t PARTITION (p1, p2) WITH LABEL my_label (a, b) VALUES (1, DEFAULT)",
			&InsertStmt{Table: dbTbl("db1", "t"), Partitions: ids("p1", "p2"), Label: id("my_label"),
				Columns: ids("a", "b"), Rows: [][]Expr{{intLit("1"), &DefaultExpr{}}}}},
		{"INSERT INTO t WITH LABEL `l-1` SELECT * FROM s", &InsertStmt{Table: tbl("t"), Label: id("l-1"),
			Select: &SelectStmt{Items: []*SelectItem{{Star: true}}, From: &TableRef{Name: tbl("s")}}}},
		{"INSERT INTO t (k, v) SELECT k, sum(v) FROM s GROUP BY k", &InsertStmt{Table: tbl("t"), Columns: ids("k", "v"),
			Select: &SelectStmt{Items: []*SelectItem{item(col("k"), ""), item(fn("sum", col("v")), "")},
				From: &TableRef{Name: tbl("s")}, GroupBy: []Expr{col("k")}}}},
		{"INSERT OVERWRITE t PARTITION p1 VALUES (NULL, -1.5, DATE '2020-01-01')", &InsertStmt{Overwrite: true, Table: tbl("t"),
			Partitions: ids("p1"), Rows: [][]Expr{{nullLit(), &Literal{Kind: LitDecimal, Val: "-1.5"},
				&Literal{Kind: LitDate, Val: "2020-01-01"}}}}},
	})
}

func TestStatementPositionsAndText(t *testing.T) {
	text := "  SELECT 1 ; -- comment\n\n  /* c */ INSERT INTO t WITH LABEL l\n SELECT a, COUNT( * )  cnt FROM s;;\nUSE db1"
	sts, err := Parse(text)
	require.NoError(t, err)
	require.Len(t, sts, 3)

	require.Equal(t, Pos{Line: 1, Col: 2}, sts[0].Pos())
	require.Equal(t, "SELECT 1", sts[0].Text())

	ins := sts[1].(*InsertStmt)
	require.Equal(t, Pos{Line: 3, Col: 10}, ins.Pos())
	require.Equal(t, "INSERT INTO t WITH LABEL l\n SELECT a, COUNT( * )  cnt FROM s", ins.Text())
	require.Equal(t, Pos{Line: 3, Col: 22}, ins.Table.Pos())
	require.Equal(t, Pos{Line: 3, Col: 35}, ins.Label.Pos())
	require.Equal(t, Pos{Line: 4, Col: 1}, ins.Select.Pos())
	require.Equal(t, "SELECT a, COUNT( * )  cnt FROM s", ins.Select.Text())
	require.Equal(t, "a", ins.Select.Items[0].Text)
	require.Equal(t, "COUNT( * )", ins.Select.Items[1].Text)
	require.Equal(t, "cnt", ins.Select.Items[1].Alias)
	require.Equal(t, Pos{Line: 4, Col: 11}, ins.Select.Items[1].Expr.Pos())

	require.Equal(t, Pos{Line: 5, Col: 0}, sts[2].Pos())
	require.Equal(t, "USE db1", sts[2].Text())
	require.Equal(t, Pos{Line: 5, Col: 4}, sts[2].(*UseStmt).Db.Pos())
}

func TestExpressionPositions(t *testing.T) {
	st, err := ParseOne("SELECT a +\n  b.c * -3, @@x\nFROM t WHERE f(1, 'é', z) IS NULL")
	require.NoError(t, err)
	sel := st.(*SelectStmt)
	add := sel.Items[0].Expr.(*BinaryExpr)
	require.Equal(t, Pos{1, 7}, add.Pos())
	require.Equal(t, Pos{1, 7}, add.L.Pos())
	mul := add.R.(*BinaryExpr)
	require.Equal(t, Pos{2, 2}, mul.Pos())
	require.Equal(t, Pos{2, 2}, mul.L.Pos())
	require.Equal(t, Pos{2, 8}, mul.R.Pos()) // the folded -3 starts at '-'
	require.Equal(t, "a +\n  b.c * -3", sel.Items[0].Text)
	require.Equal(t, Pos{2, 12}, sel.Items[1].Expr.Pos())
	require.Equal(t, Pos{3, 5}, sel.From.Pos())
	is := sel.Where.(*IsExpr)
	call := is.X.(*FuncCall)
	require.Equal(t, Pos{3, 13}, call.Pos())
	require.Equal(t, Pos{3, 23}, call.Args[2].Pos()) // columns count characters, not bytes
}

func TestEmptyAndMultipleStatements(t *testing.T) {
	sts, err := Parse("")
	require.NoError(t, err)
	require.Empty(t, sts)
	sts, err = Parse(" ; ;; -- nothing\n")
	require.NoError(t, err)
	require.Empty(t, sts)
	sts, err = Parse("SELECT 1;SELECT 2;")
	require.NoError(t, err)
	require.Len(t, sts, 2)
	require.Equal(t, "SELECT 2", sts[1].Text())

	_, err = ParseOne("")
	require.EqualError(t, err, "Getting syntax error at line 1, column 0. Detail message: Unexpected input '<EOF>', "+
		"the most similar input is {'REVOKE', 'RECOVER', 'SET', 'DESC', 'DROP', ';'}.")
	_, err = ParseOne("SELECT 1; SELECT 2")
	require.EqualError(t, err, "Getting syntax error at line 1, column 10. Detail message: Unexpected input 'SELECT', "+
		"the most similar input is {<EOF>}.")
	st, err := ParseOne("SELECT 1;")
	require.NoError(t, err)
	require.Equal(t, "SELECT 1", st.Text())
}

func TestClientHandshakeQueries(t *testing.T) {
	jdbc := "/* mysql-connector-java-8.0.28 (Revision: 7ff2161da3899f379fb3171b6538b191b1c5c7e2) */" +
		"SELECT  @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, " +
		"@@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, " +
		"@@character_set_server AS character_set_server, @@collation_server AS collation_server, " +
		"@@collation_connection AS collation_connection, @@init_connect AS init_connect, " +
		"@@interactive_timeout AS interactive_timeout, @@license AS license, " +
		"@@lower_case_table_names AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, " +
		"@@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema, " +
		"@@query_cache_size AS query_cache_size, @@query_cache_type AS query_cache_type, @@sql_mode AS sql_mode, " +
		"@@system_time_zone AS system_time_zone, @@time_zone AS time_zone, " +
		"@@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout"
	st, err := ParseOne(jdbc)
	require.NoError(t, err)
	sel := st.(*SelectStmt)
	require.Len(t, sel.Items, 21)
	require.Equal(t, Pos{Line: 1, Col: 86}, sel.Pos()) // after the leading comment
	require.Equal(t, "@@session.auto_increment_increment", sel.Items[0].Text)
	require.Equal(t, "wait_timeout", sel.Items[20].Alias)
	require.Equal(t, &VariableExpr{At: sel.Items[20].Expr.Pos(), Name: "wait_timeout", System: true}, sel.Items[20].Expr)

	for _, sql := range []string{
		"select @@version_comment limit 1",
		"SET NAMES utf8mb4",
		"SET autocommit=1, sql_mode = concat(@@sql_mode, ',STRICT_TRANS_TABLES')",
		"SHOW VARIABLES WHERE Variable_name = 'language' OR Variable_name = 'net_write_timeout'",
		"SELECT current_user(), connection_id(), version(), @@tx_isolation",
		"show full tables from `db` like 'probe'",
		"SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.tables WHERE TABLE_SCHEMA = 'db' ORDER BY TABLE_NAME",
	} {
		_, err := ParseOne(sql)
		require.NoError(t, err, sql)
	}
}

func TestParseFirst(t *testing.T) {
	st, rest, err := ParseFirst(";; SELECT 1; SELECT 'unterminated")
	require.NoError(t, err) // the second statement is not looked at yet
	require.Equal(t, "SELECT 1", st.Text())
	require.Equal(t, " SELECT 'unterminated", rest)

	st, rest, err = ParseFirst("USE db")
	require.NoError(t, err)
	require.IsType(t, &UseStmt{}, st)
	require.Equal(t, "", rest)

	st, _, err = ParseFirst(" -- nothing\n")
	require.NoError(t, err)
	require.Nil(t, st)

	_, _, err = ParseFirst("SELECT * FORM t; SELECT 2")
	require.EqualError(t, err, "Getting syntax error at line 1, column 9. Detail message: "+
		"Unexpected input 'FORM', the most similar input is {<EOF>, ';'}.")
}

// TestValuesLiteralsMatchExpressions: a VALUES item that is a lone literal
// parses to exactly what the expression grammar gives it.
func TestValuesLiteralsMatchExpressions(t *testing.T) {
	for _, item := range []string{"1", "-1", "- 2", "1.50", "-0.5", "1e3", "-1e-3", "'x'", "''", "'a''b'", "NULL", "null", "TRUE", "false",
		"-'x'", "1 + 2", "NOW()", "-(1)", "CAST(1 AS INT)", "x", "DEFAULT"} {
		parsed, err := ParseOne("INSERT INTO t VALUES (7, " + item + ")")
		require.NoError(t, err, item)
		st := parsed.(*InsertStmt)
		require.Len(t, st.Rows, 1, item)
		require.Len(t, st.Rows[0], 2, item)
		got := st.Rows[0][1]
		if item == "DEFAULT" {
			require.IsType(t, &DefaultExpr{}, got)
			continue
		}
		want, err := ParseExpr(item)
		require.NoError(t, err, item)
		require.Equal(t, want.String(), got.String(), item)
		require.Equal(t, fmt.Sprintf("%T", want), fmt.Sprintf("%T", got), item)
		if lw, ok := want.(*Literal); ok {
			lg := got.(*Literal)
			require.Equal(t, lw.Kind, lg.Kind, item)
			require.Equal(t, lw.Val, lg.Val, item)
			require.Equal(t, lw.At.Col+len("INSERT INTO t VALUES (7, "), lg.At.Col, item)
		}
	}
}
