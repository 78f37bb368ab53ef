package query

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/types"
)

// lookupTable resolves [db.]t for a statement that reads a table's
// definition, checking that the session may see it.
func (s *Session) lookupTable(tn *sql.TableName) (*catalog.Table, string, error) {
	dbName, err := s.resolveDB(tn.At, tn.Db)
	if err != nil {
		return nil, "", err
	}
	cat := s.eng.cat
	if cat.DB(dbName) == nil {
		return nil, "", errUnknownDB(tn.At, dbName)
	}
	t := cat.Table(dbName, tn.Name)
	if t == nil {
		return nil, "", errUnknownTable(tn.At, tn.Name)
	}
	if !s.privs().AnyOnTable(dbName, t.Name) {
		return nil, "", s.errAccessDenied([]string{"ANY"}, catalog.ObjTable, t.Name)
	}
	return t, dbName, nil
}

func (s *Session) execShowCreateTable(st *sql.ShowCreateTableStmt) (*Result, error) {
	if isInfoSchema(st.Table.Db, s.db) {
		return nil, errNotSupported(st.Table.At, "SHOW CREATE TABLE on information_schema")
	}
	t, _, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: StringColumns("Table", "Create Table")}
	res.AddRow(t.Name, ShowCreateTable(t))
	return res, nil
}

// ShowCreateTable renders a table's DDL the way StarRocks' SHOW CREATE
// TABLE prints a shared-data table.
func ShowCreateTable(t *catalog.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE `%s` (\n", t.Name)
	for i, c := range t.Columns {
		fmt.Fprintf(&b, "  `%s` %s", c.Name, c.Type.SQL())
		if c.AggType != "" {
			b.WriteString(" " + c.AggType)
		}
		if c.Nullable {
			b.WriteString(" NULL")
		} else {
			b.WriteString(" NOT NULL")
		}
		switch {
		case c.DefaultExpr != "":
			b.WriteString(" DEFAULT " + c.DefaultExpr)
		case c.Default != nil:
			fmt.Fprintf(&b, " DEFAULT %s", quoteDouble(*c.Default))
		}
		fmt.Fprintf(&b, " COMMENT %s", quoteDouble(c.Comment))
		if i < len(t.Columns)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(") ENGINE=OLAP \n")
	fmt.Fprintf(&b, "%s KEY(%s)\n", t.KeysType, backquoteList(t.KeyColumns))
	if t.Comment != "" {
		fmt.Fprintf(&b, "COMMENT %s\n", quoteDouble(t.Comment))
	}
	if t.Partitioning.Type == "RANGE" {
		col := t.Column(t.Partitioning.Column)
		fmt.Fprintf(&b, "PARTITION BY RANGE(`%s`)\n(", t.Partitioning.Column)
		lower := minValue(col.Type)
		for i, p := range t.Partitions {
			upper := `("` + p.Range.Upper + `")`
			if p.Range.MaxValue {
				upper = "(MAXVALUE)"
			}
			fmt.Fprintf(&b, "PARTITION %s VALUES [(\"%s\"), %s)", p.Name, lower, upper)
			lower = p.Range.Upper
			if i < len(t.Partitions)-1 {
				b.WriteString(",\n")
			}
		}
		b.WriteString(")\n")
	}
	if t.Distribution.Type == "HASH" {
		fmt.Fprintf(&b, "DISTRIBUTED BY HASH(%s)", backquoteList(t.Distribution.Columns))
	} else {
		b.WriteString("DISTRIBUTED BY RANDOM")
	}
	if t.Distribution.BucketsGiven {
		fmt.Fprintf(&b, " BUCKETS %d \n", t.Distribution.Buckets)
	} else {
		b.WriteString("\n")
	}
	props := map[string]string{}
	for k, v := range t.Properties {
		props[k] = v
	}
	props["storage_volume"] = t.StorageVolume
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString("PROPERTIES (\n")
	for i, k := range keys {
		fmt.Fprintf(&b, "%s = %s", quoteDouble(k), quoteDouble(props[k]))
		if i < len(keys)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString("\n);")
	return b.String()
}

func minValue(t types.Type) string {
	switch t.Kind {
	case types.Date:
		return "0000-01-01"
	case types.DateTime:
		return "0000-01-01 00:00:00"
	case types.TinyInt:
		return "-128"
	case types.SmallInt:
		return "-32768"
	case types.Int:
		return "-2147483648"
	case types.BigInt:
		return "-9223372036854775808"
	case types.LargeInt:
		return "-170141183460469231731687303715884105728"
	}
	return ""
}

func quoteDouble(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func backquoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func (s *Session) execShowCreateDatabase(st *sql.ShowCreateDatabaseStmt) (*Result, error) {
	db := s.eng.cat.DB(st.Db.Name)
	if db == nil {
		return nil, errUnknownDB(st.Db.At, st.Db.Name)
	}
	if !s.privs().AnyOnDatabase(db.Name) {
		return nil, s.errAccessDenied([]string{"ANY"}, catalog.ObjDatabase, db.Name)
	}
	text := fmt.Sprintf("CREATE DATABASE `%s`", db.Name)
	if v := db.Properties["storage_volume"]; v != "" {
		text += fmt.Sprintf("\nPROPERTIES (\"storage_volume\" = \"%s\")", v)
	}
	res := &Result{Columns: StringColumns("Database", "Create Database")}
	res.AddRow(db.Name, text)
	return res, nil
}

// descRows are DESC's rows for a table: Field, Type, Null, Key, Default, Extra.
func descRows(t *catalog.Table) [][]types.Value {
	var rows [][]types.Value
	for _, c := range t.Columns {
		def := types.NullValue
		switch {
		case c.DefaultExpr != "":
			def = types.StringValue(c.DefaultExpr)
		case c.Default != nil:
			def = types.StringValue(*c.Default)
		}
		null := "NO"
		if c.Nullable {
			null = "YES"
		}
		extra := c.AggType
		if c.DefaultExpr != "" {
			extra = strings.TrimSpace(extra + " DEFAULT_GENERATED")
		}
		rows = append(rows, []types.Value{
			types.StringValue(c.Name), types.StringValue(c.Type.Canonical()), types.StringValue(null),
			types.StringValue(strconv.FormatBool(c.IsKey)), def, types.StringValue(extra),
		})
	}
	return rows
}

func (s *Session) execDesc(st *sql.DescTableStmt) (*Result, error) {
	if isInfoSchema(st.Table.Db, s.db) {
		return s.descInfoSchema(st.Table)
	}
	t, _, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	cols := StringColumns("Field", "Type", "Null", "Key", "Default", "Extra")
	rows := descRows(t)
	if st.All {
		cols = append(StringColumns("IndexName", "IndexKeysType"), cols...)
		for i := range rows {
			name, keys := "", ""
			if i == 0 {
				name, keys = t.Name, string(t.KeysType)+"_KEYS"
			}
			rows[i] = append([]types.Value{types.StringValue(name), types.StringValue(keys)}, rows[i]...)
		}
	}
	return &Result{Columns: cols, Rows: rows}, nil
}

func (s *Session) execShowColumns(st *sql.ShowColumnsStmt) (*Result, error) {
	tn := *st.Table
	if st.Db != nil {
		tn.Db = st.Db.Name
	}
	if isInfoSchema(tn.Db, s.db) {
		return s.descInfoSchema(&tn)
	}
	t, _, err := s.lookupTable(&tn)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: StringColumns("Field", "Type", "Null", "Key", "Default", "Extra")}
	if st.Full {
		res.Columns = StringColumns("Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment")
	}
	for i, row := range descRows(t) {
		if st.Like != nil && !likeMatch(row[0].Str, *st.Like, false) {
			continue
		}
		if st.Full {
			row = []types.Value{row[0], row[1], types.NullValue, row[2], row[3], row[4], row[5],
				types.StringValue("select,insert,update,references"), types.StringValue(t.Columns[i].Comment)}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func (s *Session) execShowTables(st *sql.ShowTablesStmt) (*Result, error) {
	dbName := s.db
	pos := st.Pos()
	if st.Db != nil {
		dbName, pos = st.Db.Name, st.Db.At
	}
	if dbName == "" {
		return nil, errNoDB(pos)
	}
	var names []string
	if strings.EqualFold(dbName, infoSchemaDB) {
		dbName = infoSchemaDB
		names = infoSchemaTableNames()
	} else {
		cat := s.eng.cat
		if cat.DB(dbName) == nil {
			return nil, errUnknownDB(pos, dbName)
		}
		p := s.privs()
		for _, t := range cat.Tables(dbName) {
			if p.AnyOnTable(dbName, t.Name) {
				names = append(names, t.Name)
			}
		}
	}
	col := "Tables_in_" + dbName
	res := &Result{Columns: StringColumns(col)}
	if st.Full {
		res.Columns = StringColumns(col, "Table_type")
	}
	kind := "BASE TABLE"
	if dbName == infoSchemaDB {
		kind = "SYSTEM VIEW"
	}
	for _, n := range names {
		if st.Like != nil && !likeMatch(n, *st.Like, false) {
			continue
		}
		row := []types.Value{types.StringValue(n)}
		if st.Full {
			row = append(row, types.StringValue(kind))
		}
		if st.Where != nil {
			ok, err := s.filterRow(st.Where, res.Columns, row)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func (s *Session) execShowPartitions(st *sql.ShowPartitionsStmt) (*Result, error) {
	t, _, err := s.lookupTable(st.Table)
	if err != nil {
		return nil, err
	}
	// StarRocks 3.4's columns for a cloud-native table.
	res := &Result{Columns: StringColumns("PartitionId", "PartitionName", "CompactVersion", "VisibleVersion",
		"NextVersion", "State", "PartitionKey", "Range", "DistributionKey", "Buckets", "DataSize", "RowCount",
		"EnableDataCache", "AsyncWrite", "AvgCS", "P50CS", "MaxCS", "DataVersion", "VersionEpoch", "VersionTxnType")}
	lower := ""
	if t.Partitioning.Type == "RANGE" {
		lower = minValue(t.Column(t.Partitioning.Column).Type)
	}
	for _, p := range t.Partitions {
		rng := ""
		if p.Range != nil {
			up := p.Range.Upper
			if p.Range.MaxValue {
				up = "MAXVALUE"
			}
			rng = fmt.Sprintf("[%s, %s)", lower, up)
			lower = p.Range.Upper
		}
		dk := "ALL KEY"
		if t.Distribution.Type == "HASH" {
			dk = strings.Join(t.Distribution.Columns, ", ")
		}
		score := float64(max(p.VisibleVersion-max(p.CompactedVersion, 1), 0))
		cs := fmt.Sprintf("%.2f", score)
		res.AddRow(strconv.FormatInt(p.ID, 10), p.Name, strconv.FormatInt(p.CompactedVersion, 10), strconv.FormatInt(p.VisibleVersion, 10),
			strconv.FormatInt(p.NextVersion, 10), "NORMAL", t.Partitioning.Column, rng, dk, strconv.Itoa(len(p.Tablets)),
			prettyBytes(p.DataSize), strconv.FormatInt(p.RowCount, 10), t.Properties["datacache.enable"], t.Properties["enable_async_write_back"], cs, cs, cs,
			strconv.FormatInt(p.VisibleVersion, 10), "0", "TXN_NORMAL")
	}
	if st.Where != nil {
		return s.filterShow(res, nil, st.Where)
	}
	return res, nil
}

func isInfoSchema(db, current string) bool {
	if db != "" {
		return strings.EqualFold(db, infoSchemaDB)
	}
	return strings.EqualFold(current, infoSchemaDB)
}

// prettyBytes renders a size as SHOW PARTITIONS' DataSize does: the
// largest unit the size reaches, one decimal truncated, ".0" dropped
// ("0B", "512B", "1.5KB", "23MB").
func prettyBytes(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	tenths := int64(f * 10)
	if tenths%10 == 0 {
		return strconv.FormatInt(tenths/10, 10) + units[i]
	}
	return fmt.Sprintf("%d.%d%s", tenths/10, tenths%10, units[i])
}
