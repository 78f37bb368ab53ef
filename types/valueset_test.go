package types

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValueSet: the set answers as comparing with every item does, for
// hashed lists (integers, strings) and others, with values of every class.
func TestValueSet(t *testing.T) {
	ints := make([]Value, 0, 100)
	strs := make([]Value, 0, 100)
	for i := 0; i < 100; i++ {
		ints = append(ints, IntValue(BigInt, int64(i*3)))
		strs = append(strs, StringValue("s"+strconv.Itoa(i)))
	}
	mixed := append(append([]Value{}, ints[:10]...), StringValue("12"), TextValue(Decimal, "7.50"), NullValue)
	dates := []Value{TextValue(Date, "2024-01-01"), TextValue(Date, "2024-02-03")}
	probes := []Value{
		IntValue(Int, 9), IntValue(TinyInt, 10), IntValue(BigInt, 297), IntValue(BigInt, 300), {Kind: Boolean, Int: 0},
		StringValue("s5"), StringValue("s100"), StringValue("9"), StringValue("12"), TextValue(Char, "s7"),
		TextValue(Decimal, "9.0"), TextValue(Decimal, "7.5"), {Kind: Double, Float: 12}, {Kind: Double, Float: 12.5},
		TextValue(Date, "2024-02-03"), TextValue(DateTime, "2024-01-01 00:00:00"), TextValue(LargeInt, "27"),
	}
	for name, list := range map[string][]Value{"ints": ints, "strings": strs, "mixed": mixed, "dates": dates, "empty": nil} {
		s := NewValueSet(list)
		require.Equal(t, name == "mixed", s.HasNull(), name)
		for _, v := range probes {
			want := false
			for _, x := range list {
				if !x.IsNull() && Compare(v, x) == 0 {
					want = true
				}
			}
			require.Equal(t, want, s.Contains(v), "%s contains %v (%v)", name, v, v.Kind)
		}
	}
	require.NotNil(t, NewValueSet(ints).ints, "integers are hashed")
	require.NotNil(t, NewValueSet(strs).strs, "strings are hashed")
}
