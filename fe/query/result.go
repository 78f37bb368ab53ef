package query

import "github.com/minirocks/minirocks/types"

// Column describes one column of a result set.
type Column struct {
	Name string
	Type types.Type
}

// Result is what one statement returns: a row set (Columns non-empty) or an
// OK with a count of affected rows.
type Result struct {
	Columns      []Column
	Rows         [][]types.Value
	AffectedRows uint64
	// Info is the free text of an OK packet (StarRocks puts the load label
	// and status of an INSERT there).
	Info string
}

// OK returns an OK result with no rows.
func OK() *Result { return &Result{} }

// StringColumns makes VARCHAR columns named names, the shape of most SHOW results.
func StringColumns(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: types.VarcharOf(256)}
	}
	return cols
}

// AddRow appends a row of string cells; the cell "\x00NULL" is not special:
// use AddValues for NULLs.
func (r *Result) AddRow(cells ...string) {
	row := make([]types.Value, len(cells))
	for i, c := range cells {
		row[i] = types.StringValue(c)
	}
	r.Rows = append(r.Rows, row)
}

// AddValues appends a row of typed values.
func (r *Result) AddValues(vals ...types.Value) { r.Rows = append(r.Rows, vals) }
