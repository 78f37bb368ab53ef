package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

// execInsert runs INSERT INTO ... VALUES | SELECT: the rows are converted
// to the table's column types here, then loaded as one transaction.
func (s *Session) execInsert(ctx context.Context, st *sql.InsertStmt) (*Result, error) {
	if st.Overwrite {
		return nil, errNotSupported(st.Pos(), "INSERT OVERWRITE")
	}
	dbName, err := s.resolveDB(st.Table.At, st.Table.Db)
	if err != nil {
		return nil, err
	}
	cat := s.eng.cat
	db := cat.DB(dbName)
	if db == nil {
		return nil, errUnknownDB(st.Table.At, dbName)
	}
	t := cat.Table(dbName, st.Table.Name)
	if t == nil {
		return nil, errUnknownTable(st.Table.At, dbName+"."+st.Table.Name)
	}
	if err := s.requireTable(dbName, t.Name, catalog.PrivInsert); err != nil {
		return nil, err
	}
	// Target columns: the list given, else all.
	target := make([]int, 0, len(t.Columns))
	if st.Columns != nil {
		seen := map[int]bool{}
		for _, c := range st.Columns {
			idx := -1
			for i, tc := range t.Columns {
				if strings.EqualFold(tc.Name, c.Name) {
					idx = i
				}
			}
			if idx < 0 {
				return nil, at(c.At, "Unknown column '%s' in '%s'", c.Name, t.Name)
			}
			if seen[idx] {
				return nil, at(c.At, "Column '%s' specified twice", c.Name)
			}
			seen[idx] = true
			target = append(target, idx)
		}
	} else {
		for i := range t.Columns {
			target = append(target, i)
		}
	}
	var parts []string
	for _, p := range st.Partitions {
		if t.Partition(p.Name) == nil {
			return nil, at(p.At, "Unknown partition '%s' in table '%s'", p.Name, t.Name)
		}
		parts = append(parts, p.Name)
	}

	var rows [][]types.Value
	switch {
	case st.Select != nil:
		res, err := s.execSelect(ctx, st.Select)
		if err != nil {
			return nil, err
		}
		if len(res.Columns) != len(target) {
			return nil, errColumnCount(st.Select.Pos(), len(target), len(res.Columns))
		}
		for _, r := range res.Rows {
			row, err := s.fillRow(t, target, r, nil, st.Select.Pos())
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	default:
		for _, exprs := range st.Rows {
			if len(exprs) != len(st.Rows[0]) {
				return nil, at(st.Pos(), "Values have unequal number of columns")
			}
			if len(exprs) != len(target) {
				return nil, errColumnCount(st.Pos(), len(target), len(exprs))
			}
			vals := make([]types.Value, len(exprs))
			isDefault := make([]bool, len(exprs))
			for i, e := range exprs {
				if _, ok := e.(*sql.DefaultExpr); ok {
					isDefault[i] = true
					continue
				}
				v, err := s.eval(e, nil)
				if err != nil {
					return nil, err
				}
				vals[i] = v
			}
			row, err := s.fillRow(t, target, vals, isDefault, exprs[0].Pos())
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
	}
	label := ""
	if st.Label != nil {
		label = st.Label.Name
	}
	res, err := s.eng.lake.Insert(ctx, InsertRequest{DB: db, Table: t, Label: label, User: s.ident.String(), Rows: rows, Partitions: parts})
	if err != nil {
		return nil, err
	}
	return &Result{AffectedRows: uint64(res.Rows),
		Info: fmt.Sprintf("{'label':'%s', 'status':'%s', 'txnId':'%d'}", res.Label, res.Status, res.TxnID)}, nil
}

// errColumnCount is StarRocks' 5604 for INSERT column-count mismatches.
func errColumnCount(pos sql.Pos, target, given int) error {
	return atCode(pos, sqlerr.ErInsertColumnCount, sqlerr.StateInsertColumnCount,
		"Inserted target column count: %d doesn't match select/value column count: %d", target, given)
}

// AutoLabel is the label of a load that did not name one.
func AutoLabel() string { return "insert_" + uuid.NewString() }

// fillRow builds a full table row from values for the target columns:
// other columns get their defaults, every value is converted to its
// column's type (StarRocks' strict mode: a value that does not fit fails
// the statement).
func (s *Session) fillRow(t *catalog.Table, target []int, vals []types.Value, isDefault []bool, pos sql.Pos) ([]types.Value, error) {
	row := make([]types.Value, len(t.Columns))
	given := make([]bool, len(t.Columns))
	for k, idx := range target {
		given[idx] = !(isDefault != nil && isDefault[k])
		if given[idx] {
			row[idx] = vals[k]
		}
	}
	for i, c := range t.Columns {
		if !given[i] {
			v, err := columnDefault(c, pos)
			if err != nil {
				return nil, err
			}
			row[i] = v
			continue
		}
		v, err := convertValue(c, row[i], pos)
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

// columnDefault is the value a column gets when a load does not give one.
func columnDefault(c catalog.Column, pos sql.Pos) (types.Value, error) {
	switch {
	case c.DefaultExpr != "":
		return types.ParseValue(c.Type, time.Now().Format("2006-01-02 15:04:05"))
	case c.Default != nil:
		v, err := types.ParseValue(c.Type, *c.Default)
		if err != nil {
			return types.Value{}, at(pos, "Invalid default value for '%s': %v", c.Name, err)
		}
		return v, nil
	case c.Nullable:
		return types.NullValue, nil
	}
	return types.Value{}, errFiltered("NULL value in non-nullable column '%s'", c.Name)
}

// errFiltered is the failure of a load whose rows do not fit (StarRocks
// filters them and fails the statement in strict mode); the reason is the
// one StarRocks writes to the load's tracking log.
func errFiltered(format string, args ...any) error {
	return sqlerr.Generic("Insert has filtered data in strict mode. Error: "+format, args...)
}

// convertValue converts a value to a column's type.
func convertValue(c catalog.Column, v types.Value, pos sql.Pos) (types.Value, error) {
	if v.IsNull() {
		if !c.Nullable {
			return types.Value{}, errFiltered("NULL value in non-nullable column '%s'", c.Name)
		}
		return types.NullValue, nil
	}
	if v.Kind == c.Type.Kind && !c.Type.IsString() && c.Type.Kind != types.Decimal {
		return v, nil
	}
	if c.Type.IsString() {
		if err := checkUTF8(v.String()); err != nil {
			return types.Value{}, err
		}
	}
	out, err := types.ParseValue(c.Type, v.String())
	if err != nil {
		if c.Type.IsString() {
			return types.Value{}, errFiltered("String '%s'(length=%d) is too long. The max length of '%s' is %d", v.String(), len(v.String()), c.Name, c.Type.Len)
		}
		return types.Value{}, errFiltered("Value '%s' is out of range. The type of '%s' is %s", v.String(), c.Name, c.Type.Canonical())
	}
	return out, nil
}
