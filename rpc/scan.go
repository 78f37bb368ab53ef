package rpc

import (
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/types"
)

// ScanOutputSchema is the shape of the rows a scan returns; the compute
// node encodes with it and the FE decodes with it. A plain scan returns the
// requested columns; an aggregating scan returns the group-by columns then
// one partial per aggregate: COUNT as BIGINT, SUM widened (integers to
// BIGINT, LARGEINT kept, DECIMAL to precision 38, floats to DOUBLE),
// MIN/MAX in the column's type.
func ScanOutputSchema(r *ScanRequest) *lake.Schema {
	out := &lake.Schema{KeysType: lake.KeysDuplicate}
	col := func(i int) lake.Column {
		c := r.Schema.Columns[i]
		return lake.Column{Name: c.Name, Type: c.Type, Nullable: true}
	}
	if len(r.GroupBy) == 0 && len(r.Aggregates) == 0 {
		for _, i := range r.Columns {
			out.Columns = append(out.Columns, col(i))
		}
		return out
	}
	for _, i := range r.GroupBy {
		out.Columns = append(out.Columns, col(i))
	}
	for _, a := range r.Aggregates {
		c := lake.Column{Name: a.Func, Nullable: true}
		switch a.Func {
		case "COUNT":
			c.Type = types.TBigInt
		case "SUM":
			c.Type = SumType(r.Schema.Columns[a.Column].Type)
		default:
			c.Type = r.Schema.Columns[a.Column].Type
		}
		out.Columns = append(out.Columns, c)
	}
	return out
}

// SumType is the type of SUM over a column of type t.
func SumType(t types.Type) types.Type {
	switch {
	case t.Kind == types.LargeInt:
		return types.TLargeInt
	case t.IsInteger() || t.Kind == types.Boolean:
		return types.TBigInt
	case t.Kind == types.Decimal:
		return types.DecimalOf(38, t.Scale)
	}
	return types.TDouble
}
