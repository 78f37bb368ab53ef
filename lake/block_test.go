package lake

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

func TestBlockRoundTrip(t *testing.T) {
	s := allTypesSchema()
	for _, tc := range []struct {
		name string
		rows []Row
	}{
		{"empty", nil},
		{"one row", allTypesRows()[:1]},
		{"edges and nulls", allTypesRows()},
		{"only nulls", []Row{make(Row, 13), make(Row, 13), make(Row, 13)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeBlock(s, tc.rows)
			got, err := DecodeBlock(s, b)
			require.NoError(t, err)
			require.Len(t, got, len(tc.rows))
			for i := range tc.rows {
				require.Equal(t, tc.rows[i], got[i], "row %d", i)
			}
		})
	}
}

func TestBlockFloatBitsAndKinds(t *testing.T) {
	s := &Schema{KeysType: KeysDuplicate, Columns: []Column{{Name: "d", Type: types.TDouble}, {Name: "i", Type: types.TInt}}}
	negZero := math.Copysign(0, -1)
	rows := []Row{{fv(types.Double, math.NaN()), iv(types.BigInt, 7)}, {fv(types.Float, negZero), iv(types.TinyInt, -7)}}
	got, err := DecodeBlock(s, EncodeBlock(s, rows))
	require.NoError(t, err)
	require.True(t, math.IsNaN(got[0][0].Float))
	require.Equal(t, math.Float64bits(negZero), math.Float64bits(got[1][0].Float))
	// Decoded values carry their schema column's kind.
	require.Equal(t, types.Double, got[1][0].Kind)
	require.Equal(t, iv(types.Int, 7), got[0][1])
	require.Equal(t, iv(types.Int, -7), got[1][1])
}

func TestBlockEncoderAppendsAndReuses(t *testing.T) {
	s := allTypesSchema()
	rows := allTypesRows()
	want := EncodeBlock(s, rows)
	enc := NewBlockEncoder(s)
	// Added in pieces, finished into a buffer with a prefix: the same bytes.
	for i := 0; i < 3; i++ {
		for _, r := range rows {
			require.NoError(t, enc.Add([]Row{r}))
		}
		require.Equal(t, len(rows), enc.Rows())
		out := enc.Finish([]byte("prefix"))
		require.Equal(t, "prefix", string(out[:6]))
		require.Equal(t, want, out[6:])
		require.Equal(t, 0, enc.Rows())
	}
}

func TestBlockEncoderRejectsWithoutPartialState(t *testing.T) {
	s := allTypesSchema()
	rows := allTypesRows()
	enc := NewBlockEncoder(s)
	require.NoError(t, enc.Add(rows[:1]))
	// Wrong width.
	err := enc.Add([]Row{rows[1][:5]})
	require.ErrorContains(t, err, "row 0 has 5 values, schema has 13 columns")
	// Wrong storage class in the middle of a batch (column "v" gets an int):
	bad := append(Row(nil), rows[1]...)
	bad[10] = iv(types.Int, 3)
	err = enc.Add([]Row{rows[2], bad})
	require.ErrorContains(t, err, "row 1: INT value cannot be stored in VARCHAR column v")
	// A NULL-producing earlier row and partial columns were rolled back.
	require.Equal(t, 1, enc.Rows())
	require.NoError(t, enc.Add(rows[1:]))
	require.Equal(t, EncodeBlock(s, rows), enc.Finish(nil))
	require.Panics(t, func() { EncodeBlock(s, []Row{bad}) })
}

func TestBlockCorruptionEveryByte(t *testing.T) {
	s := allTypesSchema()
	rows := allTypesRows()
	rows[1][10] = sv(types.Varchar, "short") // keep the block small
	b := EncodeBlock(s, rows)
	for i := range b {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= flip
			got, err := DecodeBlock(s, c)
			require.Error(t, err, "byte %d ^ %#x", i, flip)
			require.ErrorIs(t, err, ErrCorrupt)
			require.Nil(t, got)
		}
	}
	for n := 0; n < len(b); n++ {
		_, err := DecodeBlock(s, b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d", n)
	}
	_, err := DecodeBlock(s, append(bytes.Clone(b), 0))
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = DecodeBlock(s, b[:len(b)-1])
	require.EqualError(t, err, "block is corrupt: checksum mismatch")
}

func TestBlockSchemaMismatch(t *testing.T) {
	s := allTypesSchema()
	b := EncodeBlock(s, allTypesRows())
	short := &Schema{KeysType: KeysDuplicate, Columns: s.Columns[:3]}
	_, err := DecodeBlock(short, b)
	require.ErrorIs(t, err, ErrSchemaMismatch)
	swapped := &Schema{KeysType: KeysDuplicate, Columns: append([]Column(nil), s.Columns...)}
	swapped.Columns[1], swapped.Columns[10] = swapped.Columns[10], swapped.Columns[1]
	_, err = DecodeBlock(swapped, b)
	require.ErrorIs(t, err, ErrSchemaMismatch)
	require.ErrorContains(t, err, "block column 1 is TINYINT, schema column v is VARCHAR")
}

func TestBlockStream(t *testing.T) {
	s := intSchema(KeysDuplicate)
	rows := intRows(5000)
	var buf bytes.Buffer
	w := NewBlockWriter(&buf, s)
	w.maxRows = 1000
	require.NoError(t, w.Write(rows[:10]))
	require.NoError(t, w.Flush()) // a short block
	require.NoError(t, w.Write(rows[10:]))
	require.NoError(t, w.Close())
	require.Equal(t, int64(5000), w.Rows())
	data := buf.Bytes()

	r := NewBlockReader(bytes.NewReader(data), s)
	var got []Row
	var sizes []int
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		sizes = append(sizes, len(b))
		got = append(got, b...)
	}
	require.Equal(t, []int{10, 1000, 1000, 1000, 1000, 990}, sizes)
	require.Equal(t, rows, got)
	_, err := r.Next()
	require.Equal(t, io.EOF, err)

	// Cut anywhere before the end marker: never a clean EOF.
	for _, n := range []int{0, 3, 4, 100, len(data) - 4, len(data) - 1} {
		r := NewBlockReader(bytes.NewReader(data[:n]), s)
		var err error
		for err == nil {
			_, err = r.Next()
		}
		require.NotEqual(t, io.EOF, err, "cut at %d", n)
		require.True(t, errors.Is(err, io.ErrUnexpectedEOF), "cut at %d: %v", n, err)
	}

	// A damaged block names its position in the stream.
	bad := bytes.Clone(data)
	bad[20] ^= 0xff
	r = NewBlockReader(bytes.NewReader(bad), s)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrCorrupt)
	require.EqualError(t, err, "block stream is corrupt: block 0 checksum mismatch")

	// A length prefix beyond the limit is refused before allocating.
	r = NewBlockReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}), s)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrCorrupt)
}

// TestFinishToMatchesFinish: writing a block straight to a writer gives
// the bytes Finish appends.
func TestFinishToMatchesFinish(t *testing.T) {
	s := allTypesSchema()
	rows := allTypesRows()
	for n := 0; n <= len(rows); n++ {
		a, b := NewBlockEncoder(s), NewBlockEncoder(s)
		require.NoError(t, a.Add(rows[:n]))
		require.NoError(t, b.Add(rows[:n]))
		want := a.Finish(nil)
		var got bytes.Buffer
		k, err := b.FinishTo(&got)
		require.NoError(t, err)
		require.Equal(t, len(want), k)
		require.Equal(t, want, got.Bytes(), "%d rows", n)
		require.Equal(t, 0, b.Rows())
	}
}
