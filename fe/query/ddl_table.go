package query

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/starmgr"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_\-]{0,255}$`)

// Table properties minirocks accepts, with the defaults SHOW CREATE TABLE
// prints for a shared-data table.
var tablePropDefaults = map[string]string{
	"compression":             "LZ4",
	"datacache.enable":        "true",
	"enable_async_write_back": "false",
	"replication_num":         "1",
}

var otherTableProps = []string{"storage_volume", "datacache.partition_duration", "bloom_filter_columns",
	"enable_persistent_index", "persistent_index_type", "bucket_size", "partition_live_number", "storage_medium"}

var compressions = []string{"LZ4", "LZ4_FRAME", "ZSTD", "ZLIB", "SNAPPY", "NO_COMPRESSION"}

// AutoBuckets is StarRocks' bucket count for a partition created without
// BUCKETS, from the number of compute nodes: 2N up to 12 nodes, 1.5N up to
// 24, 36 up to 36, then N capped at 48; an unpartitioned table gets at
// least 16.
func AutoBuckets(partitioned bool, nodes int) int {
	n := max(nodes, 1)
	var b int
	switch {
	case n <= 12:
		b = 2 * n
	case n <= 24:
		b = n * 3 / 2
	case n <= 36:
		b = 36
	default:
		b = min(n, 48)
	}
	if !partitioned {
		b = max(b, 16)
	}
	return b
}

func (s *Session) execCreateTable(ctx context.Context, st *sql.CreateTableStmt) (*Result, error) {
	e := s.eng
	cat := e.cat
	dbName, err := s.resolveDB(st.Table.At, st.Table.Db)
	if err != nil {
		return nil, at(st.Table.At, "No database selected")
	}
	db := cat.DB(dbName)
	if db == nil {
		return nil, errUnknownDB(st.Table.At, dbName)
	}
	if !s.privs().Database(dbName, catalog.PrivCreateTable) {
		return nil, s.errAccessDenied([]string{catalog.PrivCreateTable}, catalog.ObjDatabase, dbName)
	}
	if cat.Table(dbName, st.Table.Name) != nil {
		if st.IfNotExists {
			return OK(), nil
		}
		return nil, atCode(st.Table.At, sqlerr.ErTableExists, sqlerr.StateTableExists, "Table '%s' already exists", st.Table.Name)
	}
	if e.conf.Get("run_mode") != "shared_data" {
		return nil, at(st.Pos(), "minirocks stores tables only in shared-data mode; set run_mode = shared_data in fe.conf")
	}
	t, err := s.analyzeCreateTable(st, db)
	if err != nil {
		return nil, err
	}
	// Ids: table, then per partition: partition, shard group, tablets.
	n := 1
	for _, p := range t.Partitions {
		n += 2 + len(p.Tablets)
	}
	first, err := e.writer.AllocIDs(ctx, n)
	if err != nil {
		return nil, err
	}
	next := first
	take := func() int64 { id := next; next++; return id }
	t.ID = take()
	volume := cat.StorageVolume(t.StorageVolume)
	var groups []starmgr.ShardGroup
	for _, p := range t.Partitions {
		p.ID = take()
		p.ShardGroupID = take()
		for i := range p.Tablets {
			p.Tablets[i] = take()
		}
		groups = append(groups, starmgr.ShardGroup{
			ID: p.ShardGroupID, VolumeID: volume.ID,
			Path:   layout.ShardGroupPath(db.ID, t.ID, p.ID),
			Shards: slices.Clone(p.Tablets),
		})
	}
	_, err = e.writer.Propose(ctx, &catalog.CreateTableOp{Table: *t}, &starmgr.CreateShardGroupsOp{Groups: groups})
	if err != nil {
		if st.IfNotExists && sqlerr.Number(err) == sqlerr.ErTableExists {
			return OK(), nil
		}
		return nil, err
	}
	return OK(), nil
}

// analyzeCreateTable checks a CREATE TABLE and builds the table it
// describes, without ids.
func (s *Session) analyzeCreateTable(st *sql.CreateTableStmt, db *catalog.Database) (*catalog.Table, error) {
	cat := s.eng.cat
	if !nameRE.MatchString(st.Table.Name) {
		return nil, at(st.Table.At, "Incorrect table name '%s'", st.Table.Name)
	}
	if st.Engine != "" && !strings.EqualFold(st.Engine, "OLAP") {
		return nil, at(st.Pos(), "Unknown engine name: %s", st.Engine)
	}
	if len(st.Columns) == 0 {
		return nil, at(st.Pos(), "Table should have at least one column")
	}
	t := &catalog.Table{DBID: db.ID, Name: st.Table.Name, Comment: st.Comment, CreateTime: s.eng.now().UnixMilli()}

	// Keys model first: it decides nullability and aggregation rules.
	keysType := catalog.DupKeys
	if st.Keys != nil {
		keysType = catalog.KeysType(st.Keys.Type)
	}
	t.KeysType = keysType

	seen := map[string]bool{}
	for _, cd := range st.Columns {
		lname := strings.ToLower(cd.Name)
		if seen[lname] {
			return nil, atCode(cd.At, sqlerr.ErDupFieldName, sqlerr.StateDupField, "Duplicate column name '%s'", cd.Name)
		}
		seen[lname] = true
		col, err := analyzeColumn(cd, keysType)
		if err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, col)
	}
	if err := analyzeKeys(st, t); err != nil {
		return nil, err
	}
	for _, idx := range st.Indexes {
		for _, c := range idx.Columns {
			if t.Column(c.Name) == nil {
				return nil, at(c.At, "Column does not exist in table. invalid column: %s", c.Name)
			}
		}
	}

	// Properties.
	props := map[string]string{}
	for _, p := range st.Properties {
		k := strings.ToLower(p.Key)
		if _, ok := tablePropDefaults[k]; !ok && !slices.Contains(otherTableProps, k) {
			return nil, at(p.At, "Unknown properties: {%s=%s}", p.Key, p.Value)
		}
		v := p.Value
		switch k {
		case "compression":
			u := strings.ToUpper(v)
			if !slices.Contains(compressions, u) {
				return nil, at(p.At, "unknown compression type: %s", v)
			}
			if u == "LZ4_FRAME" {
				u = "LZ4"
			}
			v = u
		case "datacache.enable", "enable_async_write_back", "enable_persistent_index":
			b, err := strconv.ParseBool(strings.ToLower(v))
			if err != nil {
				return nil, at(p.At, "Invalid value for property %s: %s", p.Key, v)
			}
			v = strconv.FormatBool(b)
		case "replication_num":
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return nil, at(p.At, "Replication num should larger than 0")
			}
		}
		props[k] = v
	}
	volName := props["storage_volume"]
	delete(props, "storage_volume")
	if volName == "" {
		volName = db.Properties["storage_volume"]
	}
	if volName == "" {
		volName = cat.DefaultStorageVolume()
		if volName == "" {
			return nil, sqlerr.New(sqlerr.ErNoDefaultVolume, sqlerr.StateNoVolume,
				"The default storage volume does not exist. A default storage volume can be created by following these steps: 1. Create a storage volume. 2. Set the storage volume as default")
		}
	}
	if err := s.checkVolumeUsable(st.Pos(), volName); err != nil {
		return nil, err
	}
	t.StorageVolume = volName
	for k, v := range tablePropDefaults {
		if _, ok := props[k]; !ok {
			props[k] = v
		}
	}
	t.Properties = props

	// Distribution.
	dist := catalog.Distribution{}
	if st.Distribution == nil {
		if keysType == catalog.DupKeys {
			dist.Type = "RANDOM"
		} else {
			dist.Type = "HASH"
			dist.Columns = slices.Clone(t.KeyColumns)
		}
	} else {
		dist.Type = string(st.Distribution.Type)
		if st.Distribution.Type == sql.DistRandom && keysType != catalog.DupKeys {
			return nil, at(st.Distribution.At, "Random distribution must be used in DUP_KEYS or PRIMARY_KEYS table")
		}
		for _, c := range st.Distribution.Columns {
			col := t.Column(c.Name)
			if col == nil {
				return nil, at(c.At, "Distribution column(%s) doesn't exist", c.Name)
			}
			if keysType == catalog.AggKeys && !col.IsKey {
				return nil, at(c.At, "Distribution column[%s] is not key column", c.Name)
			}
			dist.Columns = append(dist.Columns, col.Name)
		}
		if st.Distribution.Buckets != 0 {
			if st.Distribution.Buckets < 0 || st.Distribution.Buckets > 1024 {
				return nil, at(st.Distribution.At, "Number of hash distribution should be larger than zero and no more than 1024")
			}
			dist.Buckets = st.Distribution.Buckets
			dist.BucketsGiven = true
		}
	}
	t.Distribution = dist

	// Partitions.
	parts, err := analyzePartitions(st.Partition, t)
	if err != nil {
		return nil, err
	}
	buckets := dist.Buckets
	if buckets == 0 {
		buckets = AutoBuckets(t.Partitioning.Type == "RANGE", s.eng.computeNodes())
	}
	now := s.eng.now().UnixMilli()
	for _, p := range parts {
		p.Tablets = make([]int64, buckets)
		p.VisibleVersion = 1
		p.NextVersion = 2
		p.VisibleVersionTime = now
	}
	t.Partitions = parts
	return t, nil
}

// computeNodes is how many compute nodes automatic bucketing counts.
func (e *Engine) computeNodes() int { return 1 }

func analyzeColumn(cd *sql.ColumnDef, keys catalog.KeysType) (catalog.Column, error) {
	if !nameRE.MatchString(cd.Name) {
		return catalog.Column{}, at(cd.At, "Incorrect column name '%s'", cd.Name)
	}
	typ, err := resolveType(cd.Type)
	if err != nil {
		return catalog.Column{}, err
	}
	col := catalog.Column{Name: cd.Name, Type: typ, IsKey: cd.IsKey, AggType: string(cd.Agg), Comment: cd.Comment}
	switch cd.Agg {
	case sql.AggNone, sql.AggSum, sql.AggMax, sql.AggMin, sql.AggReplace, sql.AggReplaceIfNotNull:
	default:
		return catalog.Column{}, at(cd.At, "Aggregate type %s is not supported by minirocks", cd.Agg)
	}
	if cd.Agg != sql.AggNone && keys != catalog.AggKeys {
		return catalog.Column{}, at(cd.At, "Can not assign aggregation method on column in %s data model table: %s", modelName(keys), cd.Name)
	}
	if cd.Agg == sql.AggSum && !typ.IsNumeric() {
		return catalog.Column{}, at(cd.At, "Invalid aggregate function 'SUM' for '%s'", cd.Name)
	}
	col.Nullable = cd.Null != sql.NotNull
	if cd.AutoIncrement {
		return catalog.Column{}, at(cd.At, "AUTO_INCREMENT is not supported by minirocks")
	}
	if cd.Default != nil {
		switch d := cd.Default.(type) {
		case *sql.Literal:
			if d.Kind == sql.LitNull {
				if !col.Nullable {
					return catalog.Column{}, at(d.At, "Invalid default value for '%s': NULL for a NOT NULL column", cd.Name)
				}
				break
			}
			v, err := types.ParseValue(typ, d.Val)
			if err != nil {
				return catalog.Column{}, at(d.At, "Invalid default value for '%s': %v", cd.Name, err)
			}
			_ = v
			val := d.Val
			col.Default = &val
		case *sql.FuncCall:
			name := strings.ToUpper(d.Name)
			if (name == "CURRENT_TIMESTAMP" || name == "NOW") && typ.Kind == types.DateTime {
				col.DefaultExpr = "CURRENT_TIMESTAMP"
			} else {
				return catalog.Column{}, at(d.At, "Invalid default value for '%s'", cd.Name)
			}
		default:
			return catalog.Column{}, at(cd.Default.Pos(), "Invalid default value for '%s'", cd.Name)
		}
	}
	return col, nil
}

func modelName(k catalog.KeysType) string {
	switch k {
	case catalog.DupKeys:
		return "Duplicate"
	case catalog.UniqueKeys:
		return "Unique"
	case catalog.PrimaryKeys:
		return "Primary"
	}
	return "Aggregate"
}

// keyWidth is the width StarRocks counts when it picks default sort keys.
func keyWidth(t types.Type) int {
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		return 1
	case types.SmallInt:
		return 2
	case types.Int, types.Float, types.Date:
		return 4
	case types.BigInt, types.Double, types.DateTime:
		return 8
	case types.LargeInt:
		return 16
	case types.Decimal:
		if t.Precision > 18 {
			return 16
		}
		return 8
	}
	return t.Len
}

// analyzeKeys fills KeyColumns and IsKey, applying StarRocks' rules: the key
// columns are the first columns in order; without a KEY clause a DUPLICATE
// table takes up to three leading columns (at most 36 bytes, stopping after
// a string column).
func analyzeKeys(st *sql.CreateTableStmt, t *catalog.Table) error {
	var keys []string
	if st.Keys == nil {
		width := 0
		for _, c := range t.Columns {
			if c.AggType != "" {
				break
			}
			width += keyWidth(c.Type)
			if len(keys) > 0 && width > 36 {
				break
			}
			keys = append(keys, c.Name)
			if len(keys) == 3 || c.Type.IsString() {
				break
			}
		}
	} else {
		for i, k := range st.Keys.Columns {
			col := t.Column(k.Name)
			if col == nil {
				return at(k.At, "Key column(%s) doesn't exist", k.Name)
			}
			if i >= len(t.Columns) || !strings.EqualFold(t.Columns[i].Name, k.Name) {
				return at(k.At, "Key columns must be the first few columns of the schema and the order  of the key columns must be consistent with the order of the schema")
			}
			keys = append(keys, col.Name)
		}
	}
	t.KeyColumns = keys
	for i := range t.Columns {
		c := &t.Columns[i]
		c.IsKey = slices.Contains(keys, c.Name)
		if c.IsKey && c.AggType != "" {
			return at(st.Pos(), "Key column %s can not set aggregation type", c.Name)
		}
		if t.KeysType == catalog.AggKeys && !c.IsKey && c.AggType == "" {
			return at(st.Pos(), "AGG_KEYS table should specify aggregate type for non-key column[%s]", c.Name)
		}
		if t.KeysType == catalog.PrimaryKeys && c.IsKey {
			if c.Nullable && hasExplicitNull(st, c.Name) {
				return at(st.Pos(), "primary key column[%s] cannot be nullable", c.Name)
			}
			c.Nullable = false
		}
		if c.IsKey && (c.Type.Kind == types.Float || c.Type.Kind == types.Double) {
			return at(st.Pos(), "Float or double can not used as a key, use decimal instead.")
		}
	}
	return nil
}

func hasExplicitNull(st *sql.CreateTableStmt, name string) bool {
	for _, c := range st.Columns {
		if strings.EqualFold(c.Name, name) {
			return c.Null == sql.NullAllowed
		}
	}
	return false
}

// analyzePartitions turns PARTITION BY RANGE into partitions with canonical
// upper bounds, in ascending order; an unpartitioned table gets one
// partition named after the table.
func analyzePartitions(pd *sql.PartitionDesc, t *catalog.Table) ([]*catalog.Partition, error) {
	if pd == nil {
		t.Partitioning = catalog.PartitionInfo{Type: "UNPARTITIONED"}
		return []*catalog.Partition{{Name: t.Name}}, nil
	}
	if len(pd.Columns) != 1 {
		return nil, at(pd.At, "minirocks supports RANGE partitioning on exactly one column")
	}
	colName := pd.Columns[0]
	col := t.Column(colName.Name)
	if col == nil {
		return nil, at(colName.At, "Partition column[%s] does not exist in column list", colName.Name)
	}
	if !col.Type.IsInteger() && !col.Type.IsTemporal() {
		return nil, at(colName.At, "Invalid partition column '%s': %s is not supported, use a DATE, DATETIME or integer column", col.Name, col.Type.Canonical())
	}
	if t.KeysType != catalog.DupKeys && !col.IsKey {
		return nil, at(colName.At, "The partition column could not be aggregated column")
	}
	t.Partitioning = catalog.PartitionInfo{Type: "RANGE", Column: col.Name}
	type bound struct {
		name string
		pos  sql.Pos
		r    catalog.PartitionRange
		v    types.Value
	}
	var bounds []bound
	for _, rp := range pd.Ranges {
		if len(rp.LessThan) != 1 {
			return nil, at(rp.At, "Partition values number is more than partition column number: %s", rp.Name)
		}
		pv := rp.LessThan[0]
		b := bound{name: rp.Name, pos: rp.At}
		if pv.MaxValue {
			b.r.MaxValue = true
		} else {
			v, err := types.ParseValue(col.Type, pv.Value)
			if err != nil {
				return nil, at(pv.At, "Invalid range value format: %v", err)
			}
			b.v, b.r.Upper = v, v.String()
		}
		bounds = append(bounds, b)
	}
	for _, batch := range pd.Batches {
		gen, err := expandBatch(batch, col.Type)
		if err != nil {
			return nil, err
		}
		for _, g := range gen {
			bounds = append(bounds, bound{name: g.name, pos: batch.At, r: catalog.PartitionRange{Upper: g.upper.String()}, v: g.upper})
		}
	}
	if len(bounds) == 0 {
		return nil, at(pd.At, "Partition list is empty; add PARTITION p VALUES LESS THAN (...)")
	}
	slices.SortStableFunc(bounds, func(a, b bound) int {
		switch {
		case a.r.MaxValue && b.r.MaxValue:
			return 0
		case a.r.MaxValue:
			return 1
		case b.r.MaxValue:
			return -1
		}
		return types.Compare(a.v, b.v)
	})
	names := map[string]bool{}
	var out []*catalog.Partition
	for i, b := range bounds {
		if names[b.name] {
			return nil, at(b.pos, "Duplicate partition name %s", b.name)
		}
		names[b.name] = true
		if i > 0 {
			prev := bounds[i-1]
			if prev.r.MaxValue || (!b.r.MaxValue && types.Compare(prev.v, b.v) == 0) {
				return nil, at(b.pos, "Range of partition %s is intersected with range of partition %s", b.name, prev.name)
			}
		}
		r := b.r
		out = append(out, &catalog.Partition{Name: b.name, Range: &r})
	}
	return out, nil
}

type genPartition struct {
	name  string
	upper types.Value
}

// expandBatch expands START .. END .. EVERY into partitions, named the way
// StarRocks names them (p20230101, p202301, p2023, ...).
func expandBatch(b *sql.PartitionBatch, t types.Type) ([]genPartition, error) {
	if b.Every <= 0 {
		return nil, at(b.At, "Batch partition every value must be positive")
	}
	var out []genPartition
	if t.IsInteger() {
		if b.Unit != "" {
			return nil, at(b.At, "Batch build partition for integer column EVERY must be a number")
		}
		lo, err1 := strconv.ParseInt(b.Start, 10, 64)
		hi, err2 := strconv.ParseInt(b.End, 10, 64)
		if err1 != nil || err2 != nil || lo >= hi {
			return nil, at(b.At, "Batch build partition range [%s, %s) is invalid", b.Start, b.End)
		}
		for v := lo; v < hi; v += b.Every {
			up := min(v+b.Every, hi)
			uv, err := types.ParseValue(t, strconv.FormatInt(up, 10))
			if err != nil {
				return nil, at(b.At, "%v", err)
			}
			out = append(out, genPartition{name: "p" + strconv.FormatInt(v, 10), upper: uv})
			if len(out) > 4096 {
				return nil, at(b.At, "The number of batch partitions should not exceed 4096")
			}
		}
		return out, nil
	}
	lo, err1 := types.ParseTime(b.Start)
	hi, err2 := types.ParseTime(b.End)
	if err1 != nil || err2 != nil || !lo.Before(hi) {
		return nil, at(b.At, "Batch build partition range [%s, %s) is invalid", b.Start, b.End)
	}
	step := func(tm time.Time) time.Time {
		n := int(b.Every)
		switch b.Unit {
		case "YEAR":
			return tm.AddDate(n, 0, 0)
		case "MONTH":
			return tm.AddDate(0, n, 0)
		case "WEEK":
			return tm.AddDate(0, 0, 7*n)
		case "HOUR":
			return tm.Add(time.Duration(n) * time.Hour)
		default:
			return tm.AddDate(0, 0, n)
		}
	}
	format := map[string]string{"YEAR": "2006", "MONTH": "200601", "HOUR": "2006010215"}[b.Unit]
	if format == "" {
		format = "20060102"
	}
	if b.Unit == "HOUR" && t.Kind == types.Date {
		return nil, at(b.At, "Batch build partition EVERY is hour, but the partition column type is DATE")
	}
	if b.Unit != "" && !slices.Contains([]string{"YEAR", "MONTH", "WEEK", "DAY", "HOUR"}, b.Unit) {
		return nil, at(b.At, "Batch build partition does not support time unit %s", b.Unit)
	}
	for cur := lo; cur.Before(hi); cur = step(cur) {
		up := step(cur)
		if up.After(hi) {
			up = hi
		}
		uv, err := types.ParseValue(t, types.FormatDateTime(up))
		if err != nil {
			return nil, at(b.At, "%v", err)
		}
		name := "p" + cur.Format(format)
		if b.Unit == "WEEK" {
			y, w := cur.ISOWeek()
			name = fmt.Sprintf("p%d_%02d", y, w)
		}
		out = append(out, genPartition{name: name, upper: uv})
		if len(out) > 4096 {
			return nil, at(b.At, "The number of batch partitions should not exceed 4096")
		}
	}
	return out, nil
}
