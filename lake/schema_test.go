package lake

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

func TestSchemaJSONAndKeys(t *testing.T) {
	def := "0"
	s := &Schema{KeysType: KeysAggregate, Columns: []Column{
		{Name: "k", Type: types.TDate, IsKey: true},
		{Name: "k2", Type: types.VarcharOf(10), IsKey: true, Nullable: true},
		{Name: "v", Type: types.DecimalOf(10, 2), AggType: AggSum, Default: &def},
	}}
	require.Equal(t, []int{0, 1}, s.KeyIndexes())
	require.True(t, s.IsKeyModel())
	require.NoError(t, s.Validate())
	b, err := json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, `{"keys_type":"AGGREGATE","columns":[
		{"name":"k","type":{"kind":12},"nullable":false,"is_key":true},
		{"name":"k2","type":{"kind":11,"len":10},"nullable":true,"is_key":true},
		{"name":"v","type":{"kind":9,"precision":10,"scale":2},"nullable":false,"agg_type":"SUM","default":"0"}]}`, string(b))
	var back Schema
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, s, &back)
	require.Empty(t, intSchema(KeysDuplicate).Columns[1:][0].AggType)
	require.False(t, intSchema(KeysDuplicate).IsKeyModel())
}

func TestSchemaValidate(t *testing.T) {
	col := func(c Column) *Schema { return &Schema{KeysType: KeysAggregate, Columns: []Column{c}} }
	for _, tc := range []struct {
		name string
		s    *Schema
		want string
	}{
		{"no columns", &Schema{KeysType: KeysDuplicate}, "schema has no columns"},
		{"bad model", &Schema{KeysType: "HASH", Columns: []Column{{Name: "a", Type: types.TInt}}}, `unknown keys type "HASH"`},
		{"bad type", col(Column{Name: "a", Type: types.TNull}), "column a has unsupported type NULL"},
		{"key agg", col(Column{Name: "a", Type: types.TInt, IsKey: true, AggType: AggSum}), "key column a cannot have aggregate type SUM"},
		{"sum text", col(Column{Name: "a", Type: types.TDate, AggType: AggSum}), "column a: SUM needs a numeric type, not DATE"},
		{"bad agg", col(Column{Name: "a", Type: types.TInt, AggType: "AVG"}), `column a has unknown aggregate type "AVG"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.EqualError(t, tc.s.Validate(), tc.want)
		})
	}
}
