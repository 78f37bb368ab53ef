package query

import (
	"sort"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/types"
)

// sysTable is a table of information_schema: its columns and a function
// producing its rows for a session (filtered by what the session may see).
type sysTable struct {
	cols []Column
	rows func(s *Session) [][]types.Value
}

func vc(names ...string) []Column { return StringColumns(names...) }

func col(name string, t types.Type) Column { return Column{Name: name, Type: t} }

// infoSchemaTables declares information_schema. The map is built per call;
// its contents are constant.
func infoSchemaTables() map[string]*sysTable {
	str := func(s string) types.Value { return types.StringValue(s) }
	i64 := func(n int64) types.Value { return types.IntValue(types.BigInt, n) }
	null := types.NullValue
	return map[string]*sysTable{
		"schemata": {
			cols: vc("CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH"),
			rows: func(s *Session) [][]types.Value {
				var out [][]types.Value
				for _, db := range s.visibleDBs() {
					out = append(out, []types.Value{str("def"), str(db), str("utf8"), str("utf8_general_ci"), null})
				}
				return out
			},
		},
		"tables": {
			cols: append(vc("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE"),
				col("VERSION", types.TBigInt), Column{Name: "ROW_FORMAT", Type: types.VarcharOf(10)},
				col("TABLE_ROWS", types.TBigInt), col("AVG_ROW_LENGTH", types.TBigInt), col("DATA_LENGTH", types.TBigInt),
				col("MAX_DATA_LENGTH", types.TBigInt), col("INDEX_LENGTH", types.TBigInt), col("DATA_FREE", types.TBigInt),
				col("AUTO_INCREMENT", types.TBigInt), col("CREATE_TIME", types.TDateTime), col("UPDATE_TIME", types.TDateTime),
				col("CHECK_TIME", types.TDateTime), Column{Name: "TABLE_COLLATION", Type: types.VarcharOf(32)},
				col("CHECKSUM", types.TBigInt), Column{Name: "CREATE_OPTIONS", Type: types.VarcharOf(255)},
				Column{Name: "TABLE_COMMENT", Type: types.VarcharOf(2048)}),
			rows: func(s *Session) [][]types.Value {
				var out [][]types.Value
				for _, name := range infoSchemaTableNames() {
					out = append(out, []types.Value{str("def"), str(infoSchemaDB), str(name), str("SYSTEM VIEW"), null,
						i64(0), null, null, null, null, null, null, null, null, null, null, null, str("utf8_general_ci"), null, null, str("")})
				}
				cat := s.eng.cat
				p := s.privs()
				for _, db := range cat.DBs() {
					for _, t := range cat.Tables(db.Name) {
						if !p.AnyOnTable(db.Name, t.Name) {
							continue
						}
						ct := types.TextValue(types.DateTime, time.UnixMilli(t.CreateTime).Format(timeLayout))
						out = append(out, []types.Value{str("def"), str(db.Name), str(t.Name), str("BASE TABLE"), str("StarRocks"),
							null, null, i64(0), i64(0), i64(0), null, null, null, null, ct, null, null,
							str("utf8_general_ci"), null, null, str(t.Comment)})
					}
				}
				return out
			},
		},
		"columns": {
			cols: append(vc("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME"),
				col("ORDINAL_POSITION", types.TBigInt), Column{Name: "COLUMN_DEFAULT", Type: types.VarcharOf(1024)},
				Column{Name: "IS_NULLABLE", Type: types.VarcharOf(3)}, Column{Name: "DATA_TYPE", Type: types.VarcharOf(64)},
				col("CHARACTER_MAXIMUM_LENGTH", types.TBigInt), col("CHARACTER_OCTET_LENGTH", types.TBigInt),
				col("NUMERIC_PRECISION", types.TBigInt), col("NUMERIC_SCALE", types.TBigInt), col("DATETIME_PRECISION", types.TBigInt),
				Column{Name: "CHARACTER_SET_NAME", Type: types.VarcharOf(32)}, Column{Name: "COLLATION_NAME", Type: types.VarcharOf(32)},
				Column{Name: "COLUMN_TYPE", Type: types.VarcharOf(32)}, Column{Name: "COLUMN_KEY", Type: types.VarcharOf(3)},
				Column{Name: "EXTRA", Type: types.VarcharOf(27)}, Column{Name: "PRIVILEGES", Type: types.VarcharOf(80)},
				Column{Name: "COLUMN_COMMENT", Type: types.VarcharOf(255)}, col("COLUMN_SIZE", types.TBigInt),
				col("DECIMAL_DIGITS", types.TBigInt), Column{Name: "GENERATION_EXPRESSION", Type: types.VarcharOf(64)},
				col("SRS_ID", types.TBigInt)),
			rows: func(s *Session) [][]types.Value {
				var out [][]types.Value
				cat := s.eng.cat
				p := s.privs()
				for _, db := range cat.DBs() {
					for _, t := range cat.Tables(db.Name) {
						if !p.AnyOnTable(db.Name, t.Name) {
							continue
						}
						for i, c := range t.Columns {
							out = append(out, columnRow(db.Name, t, i, c))
						}
					}
				}
				return out
			},
		},
		"engines": {
			cols: vc("ENGINE", "SUPPORT", "COMMENT", "TRANSACTIONS", "XA", "SAVEPOINTS"),
			rows: func(*Session) [][]types.Value {
				return [][]types.Value{{str("OLAP"), str("DEFAULT"), str("Default storage engine of StarRocks"), str("NO"), str("NO"), str("NO")}}
			},
		},
		"character_sets": {
			cols: append(vc("CHARACTER_SET_NAME", "DEFAULT_COLLATE_NAME", "DESCRIPTION"), col("MAXLEN", types.TBigInt)),
			rows: func(*Session) [][]types.Value {
				return [][]types.Value{{str("utf8"), str("utf8_general_ci"), str("UTF-8 Unicode"), i64(3)}}
			},
		},
		"collations": {
			cols: append(vc("COLLATION_NAME", "CHARACTER_SET_NAME"), col("ID", types.TBigInt), Column{Name: "IS_DEFAULT", Type: types.VarcharOf(3)},
				Column{Name: "IS_COMPILED", Type: types.VarcharOf(3)}, col("SORTLEN", types.TBigInt)),
			rows: func(*Session) [][]types.Value {
				return [][]types.Value{{str("utf8_general_ci"), str("utf8"), i64(33), str("Yes"), str("Yes"), i64(1)}}
			},
		},
		"loads": {
			cols: loadsColumns(),
			rows: func(s *Session) [][]types.Value { return s.loadsRows() },
		},
		"cluster_snapshots":     clusterSnapshotsTable(),
		"cluster_snapshot_jobs": clusterSnapshotJobsTable(),
		"views": {
			cols: vc("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "VIEW_DEFINITION", "CHECK_OPTION", "IS_UPDATABLE", "DEFINER", "SECURITY_TYPE", "CHARACTER_SET_CLIENT", "COLLATION_CONNECTION"),
			rows: func(*Session) [][]types.Value { return nil },
		},
	}
}

func columnRow(db string, t *catalog.Table, i int, c catalog.Column) []types.Value {
	str := func(s string) types.Value { return types.StringValue(s) }
	i64 := func(n int64) types.Value { return types.IntValue(types.BigInt, n) }
	null := types.NullValue
	def := null
	if c.Default != nil {
		def = str(*c.Default)
	} else if c.DefaultExpr != "" {
		def = str(c.DefaultExpr)
	}
	nullable := "NO"
	if c.Nullable {
		nullable = "YES"
	}
	dataType := strings.ToLower(c.Type.Kind.String())
	charLen, octLen, prec, scale := null, null, null, null
	switch {
	case c.Type.IsString():
		charLen, octLen = i64(int64(c.Type.Len)), i64(int64(c.Type.Len))
	case c.Type.Kind == types.Decimal:
		prec, scale = i64(int64(c.Type.Precision)), i64(int64(c.Type.Scale))
	case c.Type.IsInteger():
		prec, scale = i64(int64(map[types.Kind]int{types.TinyInt: 3, types.SmallInt: 5, types.Int: 10, types.BigInt: 19, types.LargeInt: 39}[c.Type.Kind])), i64(0)
	}
	key := ""
	if c.IsKey {
		key = map[catalog.KeysType]string{catalog.DupKeys: "DUP", catalog.AggKeys: "AGG", catalog.UniqueKeys: "UNI", catalog.PrimaryKeys: "PRI"}[t.KeysType]
	}
	return []types.Value{str("def"), str(db), str(t.Name), str(c.Name), i64(int64(i + 1)), def, str(nullable), str(dataType),
		charLen, octLen, prec, scale, null, null, null, str(c.Type.Canonical()), str(key), str(c.AggType), str("SELECT,INSERT,UPDATE,REFERENCES"),
		str(c.Comment), null, null, null, null}
}

// infoSchemaTableNames lists information_schema's tables in name order.
func infoSchemaTableNames() []string {
	var names []string
	for n := range infoSchemaTables() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// visibleDBs lists the databases the session may see, information_schema first.
func (s *Session) visibleDBs() []string {
	out := []string{infoSchemaDB}
	p := s.privs()
	for _, db := range s.eng.cat.DBs() {
		if p.AnyOnDatabase(db.Name) {
			out = append(out, db.Name)
		}
	}
	return out
}

func (s *Session) descInfoSchema(tn *sql.TableName) (*Result, error) {
	t := infoSchemaTables()[strings.ToLower(tn.Name)]
	if t == nil {
		return nil, errUnknownTable(tn.At, tn.Name)
	}
	res := &Result{Columns: StringColumns("Field", "Type", "Null", "Key", "Default", "Extra")}
	for _, c := range t.cols {
		res.AddValues(types.StringValue(c.Name), types.StringValue(c.Type.Canonical()), types.StringValue("YES"),
			types.StringValue("false"), types.NullValue, types.StringValue(""))
	}
	return res, nil
}
