package lake

import (
	"fmt"

	"github.com/minirocks/minirocks/types"
)

// The table models (Schema.KeysType), spelled as StarRocks' SHOW CREATE TABLE does.
const (
	KeysDuplicate = "DUPLICATE"
	KeysAggregate = "AGGREGATE"
	KeysUnique    = "UNIQUE"
	KeysPrimary   = "PRIMARY"
)

// The aggregate types of AGGREGATE-model value columns (Column.AggType).
const (
	AggSum              = "SUM"
	AggMax              = "MAX"
	AggMin              = "MIN"
	AggReplace          = "REPLACE"
	AggReplaceIfNotNull = "REPLACE_IF_NOT_NULL"
)

// Column is one column of a table as the data layer sees it. The JSON names
// match fe/catalog.Column so the FE can hand its columns over as they are.
type Column struct {
	// Name is the column's name as declared.
	Name string `json:"name"`
	// Type is the column's SQL type; its storage class decides the encoding.
	Type types.Type `json:"type"`
	// Nullable says whether the column accepts NULL (checked by loaders, not here).
	Nullable bool `json:"nullable"`
	// IsKey marks the key columns (sort key of DUPLICATE tables, the
	// grouping key of AGGREGATE, UNIQUE and PRIMARY tables).
	IsKey bool `json:"is_key,omitempty"`
	// AggType is SUM, MAX, MIN, REPLACE or REPLACE_IF_NOT_NULL for value
	// columns of an AGGREGATE table; empty otherwise.
	AggType string `json:"agg_type,omitempty"`
	// Default is the literal default value's text; nil means no default.
	Default *string `json:"default,omitempty"`
}

// Schema is what every block and segment is encoded against: the columns in
// table order and the table model. It travels in RPCs as JSON and is stored
// in every segment header.
type Schema struct {
	// Columns are the table's columns in table order.
	Columns []Column `json:"columns"`
	// KeysType is the table model: KeysDuplicate, KeysAggregate, KeysUnique or KeysPrimary.
	KeysType string `json:"keys_type"`
}

// Row is one row: one value per schema column, in column order.
type Row = []types.Value

// KeyIndexes returns the positions of the key columns in column order; they
// define grouping (key models) and output order of Merge.
func (s *Schema) KeyIndexes() []int {
	var out []int
	for i, c := range s.Columns {
		if c.IsKey {
			out = append(out, i)
		}
	}
	return out
}

// IsKeyModel reports whether rows with equal keys collapse (AGGREGATE,
// UNIQUE, PRIMARY) rather than all being kept (DUPLICATE).
func (s *Schema) IsKeyModel() bool {
	switch s.KeysType {
	case KeysAggregate, KeysUnique, KeysPrimary:
		return true
	}
	return false
}

// Validate checks what the data layer relies on: at least one column, known
// column kinds and model, and aggregate types only where they are
// meaningful (SUM only over numbers). The FE's analyzer checks more; this
// catches a malformed schema arriving over an RPC.
func (s *Schema) Validate() error {
	if len(s.Columns) == 0 {
		return fmt.Errorf("schema has no columns")
	}
	switch s.KeysType {
	case KeysDuplicate, KeysAggregate, KeysUnique, KeysPrimary:
	default:
		return fmt.Errorf("unknown keys type %q", s.KeysType)
	}
	for _, c := range s.Columns {
		switch c.Type.Kind {
		case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt, types.LargeInt,
			types.Float, types.Double, types.Decimal, types.Char, types.Varchar, types.Date, types.DateTime:
		default:
			return fmt.Errorf("column %s has unsupported type %s", c.Name, c.Type.Kind)
		}
		if c.IsKey && c.AggType != "" {
			return fmt.Errorf("key column %s cannot have aggregate type %s", c.Name, c.AggType)
		}
		switch c.AggType {
		case "", AggMax, AggMin, AggReplace, AggReplaceIfNotNull:
		case AggSum:
			if !c.Type.IsNumeric() {
				return fmt.Errorf("column %s: SUM needs a numeric type, not %s", c.Name, c.Type.Kind)
			}
		default:
			return fmt.Errorf("column %s has unknown aggregate type %q", c.Name, c.AggType)
		}
	}
	return nil
}
