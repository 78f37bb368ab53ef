package lake

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/types"
)

const segName = "s3://bucket/x/db1/2/3/data/0000000000000007_10_0.dat"

func writeSegment(t testing.TB, s *Schema, maxRows int, batches ...[]Row) ([]byte, SegmentInfo) {
	var buf bytes.Buffer
	w := NewSegmentWriter(&buf, s)
	w.maxRows = maxRows
	for _, b := range batches {
		require.NoError(t, w.Append(b))
	}
	info, err := w.Close()
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), info.Size)
	return buf.Bytes(), info
}

func TestSegmentRoundTrip(t *testing.T) {
	all := allTypesSchema()
	// Narrow rows (a small key and a NULL): 64K of them fit well under
	// TargetBlockBytes, so blocks are cut by rows.
	big := make([]Row, 200_000)
	for i := range big {
		big[i] = Row{iv(types.BigInt, int64(i%50)), types.NullValue}
	}
	for _, tc := range []struct {
		name    string
		s       *Schema
		maxRows int
		batches [][]Row
		blocks  int
	}{
		{"empty", all, 0, nil, 0},
		{"all types", all, 0, [][]Row{allTypesRows()}, 1},
		{"all types one row per block", all, 1, [][]Row{allTypesRows()}, 4},
		{"many appends", all, 3, [][]Row{allTypesRows()[:1], allTypesRows(), nil, allTypesRows()[2:]}, 3},
		{"64K rows per block", intSchema(KeysDuplicate), 0, [][]Row{big[:1], big[1:150_000], big[150_000:]}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, info := writeSegment(t, tc.s, tc.maxRows, tc.batches...)
			var want []Row
			for _, b := range tc.batches {
				want = append(want, b...)
			}
			require.Equal(t, int64(len(want)), info.Rows)
			r, err := NewSegmentReader(segName, data)
			require.NoError(t, err)
			require.Equal(t, tc.s, r.Schema())
			require.Equal(t, info.Rows, r.Rows())
			require.Equal(t, tc.blocks, r.Blocks())
			got, err := ReadSegment(segName, data, tc.s)
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i], got[i], "row %d", i)
			}
			got2, err := ReadSegment(segName, data, nil)
			require.NoError(t, err)
			require.Equal(t, got, got2)
		})
	}
}

func TestSegmentBlockSizeCap(t *testing.T) {
	// Wide rows: blocks are cut near TargetBlockBytes, well before 64K rows.
	s := intSchema(KeysDuplicate)
	rows := make([]Row, 6000)
	long := string(bytes.Repeat([]byte("z"), 1000))
	for i := range rows {
		rows[i] = Row{iv(types.BigInt, int64(i)), sv(types.Varchar, long)}
	}
	data, _ := writeSegment(t, s, 0, rows)
	r, err := NewSegmentReader(segName, data)
	require.NoError(t, err)
	want := (6000*1003 + TargetBlockBytes - 1) / TargetBlockBytes
	require.Equal(t, want, r.Blocks())
	for _, b := range r.blocks[:want-1] {
		require.InDelta(t, TargetBlockBytes, b.length, 2*1010)
	}
}

func TestSegmentCorruptionEveryByte(t *testing.T) {
	s := allTypesSchema()
	rows := allTypesRows()
	rows[1][10] = sv(types.Varchar, "short")
	data, _ := writeSegment(t, s, 2, rows) // two blocks
	good, err := ReadSegment(segName, data, s)
	require.NoError(t, err)
	require.Equal(t, rows, good)
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x5a
		got, err := ReadSegment(segName, c, s)
		require.Error(t, err, "byte %d of %d", i, len(data))
		require.Nil(t, got)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d", i)
		require.Contains(t, err.Error(), "segment "+segName+" is corrupt: ", "byte %d", i)
	}
	for n := 0; n < len(data); n++ {
		_, err := ReadSegment(segName, data[:n], s)
		require.ErrorIs(t, err, ErrCorrupt, "truncated to %d", n)
	}
}

func TestSegmentCorruptionMessages(t *testing.T) {
	s := intSchema(KeysDuplicate)
	data, _ := writeSegment(t, s, 10, intRows(45))
	r, err := NewSegmentReader(segName, data)
	require.NoError(t, err)
	require.Equal(t, 5, r.Blocks())
	blk := r.blocks[3]
	c := bytes.Clone(data)
	c[blk.off+blk.length/2] ^= 1
	r, err = NewSegmentReader(segName, c)
	require.NoError(t, err) // blocks are verified as they are read
	for i := 0; i < 3; i++ {
		_, err = r.Next()
		require.NoError(t, err)
	}
	_, err = r.Next()
	require.EqualError(t, err, "segment "+segName+" is corrupt: block 3 checksum mismatch")
	var ce *CorruptError
	require.True(t, errors.As(err, &ce))
	require.Equal(t, segName, ce.Object)

	for _, tc := range []struct {
		name string
		mut  func([]byte) []byte
		want string
	}{
		{"trailer magic", func(b []byte) []byte { b[len(b)-1] = 'X'; return b }, "bad trailer magic"},
		{"footer", func(b []byte) []byte { b[len(b)-20] ^= 1; return b }, "footer checksum mismatch"},
		{"header magic", func(b []byte) []byte { b[0] = 'X'; return b }, "not a segment file (bad header magic)"},
		{"header schema", func(b []byte) []byte { b[20] ^= 1; return b }, "header checksum mismatch"},
		{"tiny", func(b []byte) []byte { return b[:10] }, "truncated (10 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSegment(segName, tc.mut(bytes.Clone(data)), s)
			require.EqualError(t, err, "segment "+segName+" is corrupt: "+tc.want)
		})
	}
}

func TestSegmentSchemaCheck(t *testing.T) {
	s := intSchema(KeysDuplicate)
	data, _ := writeSegment(t, s, 0, intRows(3))
	other := &Schema{KeysType: KeysDuplicate, Columns: []Column{{Name: "k", Type: types.TString}, s.Columns[1]}}
	_, err := ReadSegment(segName, data, other)
	require.ErrorIs(t, err, ErrSchemaMismatch)
	require.ErrorContains(t, err, segName)
	// Same storage classes: decoded with the reader's kinds.
	narrow := &Schema{KeysType: KeysDuplicate, Columns: []Column{{Name: "k", Type: types.TInt}, s.Columns[1]}}
	got, err := ReadSegment(segName, data, narrow)
	require.NoError(t, err)
	require.Equal(t, iv(types.Int, 2), got[2][0])
}

func TestSegmentWriterErrors(t *testing.T) {
	s := intSchema(KeysDuplicate)
	w := NewSegmentWriter(io.Discard, s)
	require.Error(t, w.Append([]Row{{iv(types.BigInt, 1)}}))
	_, err := w.Close()
	require.Error(t, err)
	_, err = w.Close()
	require.ErrorContains(t, err, "closed twice")
	require.Error(t, w.Append(intRows(1)))
}

// TestVerifySegmentEveryByte checks that VerifySegment, which checks a
// whole file without decoding it, catches every flipped byte.
func TestVerifySegmentEveryByte(t *testing.T) {
	s := allTypesSchema()
	data, _ := writeSegment(t, s, 2, allTypesRows())
	require.NoError(t, VerifySegment(segName, data))
	for i := range data {
		c := bytes.Clone(data)
		c[i] ^= 0x5a
		err := VerifySegment(segName, c)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d of %d", i, len(data))
		require.Contains(t, err.Error(), "segment "+segName+" is corrupt: ", "byte %d", i)
	}
}
