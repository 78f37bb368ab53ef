package cn

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/types"
)

// splitAll runs loader.split over body and returns the lines of the blocks
// it hands out (empty lines dropped, as the parsers drop them).
func splitAll(t *testing.T, opts loadOptions, body io.Reader) ([]string, int64) {
	t.Helper()
	ld := &loader{ctx: context.Background(), opts: opts}
	out := make(chan string, 1024)
	require.NoError(t, ld.split(context.Background(), body, out))
	var lines []string
	for text := range out {
		for _, l := range strings.Split(text, string(opts.delim)) {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	return lines, ld.bytes
}

func TestLoaderSplit(t *testing.T) {
	long := strings.Repeat("x", 3*loadBlockSize) // longer than a block
	var many strings.Builder
	var manyLines []string
	for i := 0; many.Len() < 2*loadBlockSize+12345; i++ {
		l := strings.Repeat("ab,", i%50) + "end"
		manyLines = append(manyLines, l)
		many.WriteString(l + "\n")
	}
	cases := []struct {
		name  string
		delim string
		skip  int
		body  string
		want  []string
	}{
		{"empty", "\n", 0, "", nil},
		{"no final delimiter", "\n", 0, "a,1\nb,2", []string{"a,1", "b,2"}},
		{"empty lines", "\n", 0, "\n\na\n\nb\n\n", []string{"a", "b"}},
		{"skip header", "\n", 2, "h1\nh2\na\nb\n", []string{"a", "b"}},
		{"skip more than there is", "\n", 5, "h1\nh2\n", nil},
		{"multi-byte delimiter", "||", 1, "h||a,1||b,2||c", []string{"a,1", "b,2", "c"}},
		{"line longer than a block", "\n", 0, "a\n" + long + "\nb", []string{"a", long, "b"}},
		{"lines across blocks", "\n", 0, many.String(), manyLines},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := loadOptions{sep: []byte(","), delim: []byte(tc.delim), skipHeader: tc.skip}
			for _, r := range []io.Reader{strings.NewReader(tc.body), iotest.OneByteReader(strings.NewReader(tc.body))} {
				if len(tc.body) > 1<<20 {
					if _, ok := r.(*strings.Reader); !ok {
						continue // one byte at a time is too slow for megabytes
					}
				}
				lines, n := splitAll(t, opts, r)
				require.Equal(t, tc.want, lines)
				require.Equal(t, int64(len(tc.body)), n, "LoadBytes")
			}
		})
	}
}

func TestLoaderSplitReadError(t *testing.T) {
	ld := &loader{ctx: context.Background(), opts: loadOptions{sep: []byte(","), delim: []byte("\n")}}
	out := make(chan string, 16)
	err := ld.split(context.Background(), iotest.TimeoutReader(strings.NewReader("a\nb\n")), out)
	require.ErrorContains(t, err, "read the load data")
}

func TestChunkReader(t *testing.T) {
	data := []byte("0123456789abcdefghij")
	var buf chunkBuffer
	for i := 0; i < len(data); i += 3 {
		buf.Write(data[i:min(i+3, len(data))])
	}
	c := buf.take()
	require.Equal(t, len(data), c.len())
	r := c.reader()
	require.Equal(t, int64(len(data)), r.Size())
	all, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, data, all)
	// Seek back and read again, as a retried request does.
	pos, err := r.Seek(5, io.SeekStart)
	require.NoError(t, err)
	require.Equal(t, int64(5), pos)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, data[5:], rest)
	pos, err = r.Seek(-3, io.SeekEnd)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)-3), pos)
	// ReadAt at every offset and length.
	for off := 0; off <= len(data); off++ {
		for n := 0; off+n <= len(data)+2; n++ {
			p := make([]byte, n)
			k, err := r.ReadAt(p, int64(off))
			want := data[off:min(off+n, len(data))]
			require.Equal(t, len(want), k, "off %d n %d", off, n)
			require.Equal(t, want, p[:k])
			if off+n > len(data) {
				require.ErrorIs(t, err, io.EOF)
			} else {
				require.NoError(t, err)
			}
		}
	}
	_, err = r.Seek(-1, io.SeekStart)
	require.Error(t, err)
}

func TestLoadOptions(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	o, err := loadOptionsOf(hdr())
	require.NoError(t, err)
	require.Equal(t, []byte("\t"), o.sep)
	require.Equal(t, []byte("\n"), o.delim)
	require.Equal(t, 600*time.Second, o.timeout)

	o, err = loadOptionsOf(hdr("column_separator", `\x01\x02`, "row_delimiter", `\r\n`, "columns", "a, `b`,c",
		"max_filter_ratio", "0.5", "skip_header", "1", "timeout", "30", "format", "CSV"))
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2}, o.sep)
	require.Equal(t, []byte("\r\n"), o.delim)
	require.Equal(t, []string{"a", "b", "c"}, o.columns)
	require.Equal(t, 0.5, o.maxFilterRatio)
	require.Equal(t, 1, o.skipHeader)
	require.Equal(t, 30*time.Second, o.timeout)

	for _, tc := range []struct {
		h    http.Header
		want string
	}{
		{hdr("column_separator", `\xZZ`), `invalid separator "\\xZZ"`},
		{hdr("max_filter_ratio", "2"), "Invalid max_filter_ratio: 2"},
		{hdr("skip_header", "x"), "Invalid csv load skip_header format"},
		{hdr("skip_header", "-1"), "skip_header must be equal or greater than 0"},
		{hdr("timeout", "0"), "Invalid timeout format"},
		{hdr("format", "json"), "format json is not supported by minirocks; use csv"},
		{hdr("format", "parquet"), "unknown data format, format=parquet"},
	} {
		_, err := loadOptionsOf(tc.h)
		require.EqualError(t, err, tc.want)
	}
}

// TestParserRejects: a row whose field count differs from the columns, a
// value out of its type's range, a string that is not UTF-8, too long or
// NULL in a NOT NULL column is filtered (counted, with StarRocks' reason in
// the error log), never loaded.
func TestParserRejects(t *testing.T) {
	schema := &lake.Schema{KeysType: lake.KeysDuplicate, Columns: []lake.Column{
		{Name: "k", Type: types.TInt, IsKey: true},
		{Name: "t", Type: types.TTinyInt, Nullable: true},
		{Name: "s", Type: types.VarcharOf(5), Nullable: true},
	}}
	cases := []struct{ name, line, want string }{
		{"too few fields", "1\t2", "Target column count: 3 doesn't match source value column count: 2. Column separator: '\\t', Row delimiter: '\\n'"},
		{"too many fields", "1\t2\tab\tx", "Target column count: 3 doesn't match source value column count: 4"},
		{"TINYINT out of range", "1\t300\tab", "The field (name = t, pos = 1) is out of range. Type: TINYINT(4), Value length: 3, Value: 300"},
		{"INT out of range", "99999999999\t1\tab", "The field (name = k, pos = 0) is out of range. Type: INT(11)"},
		{"not a number", "x\t1\tab", "The field (name = k, pos = 0) is out of range"},
		{"invalid UTF-8", "1\t1\ta\xffb", "Value of column 's' is not valid UTF-8 (3 bytes)"},
		{"truncated UTF-8 sequence", "1\t1\t\xe6\x97", "Value of column 's' is not valid UTF-8 (2 bytes)"},
		{"string too long", "1\t1\tabcdef", "String 'abcdef'(length=6) is too long. The max length of 's' is 5"},
		{"NULL in a NOT NULL column", "\\N\t1\tab", "NULL value in non-nullable column 'k'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ld := &loader{opts: loadOptions{sep: []byte("\t"), delim: []byte("\n")}, sep: "\t", schema: schema, srcCols: []int{0, 1, 2}}
			p := ld.newParser()
			require.NoError(t, p.row(tc.line))
			require.Equal(t, int64(1), p.total)
			require.Equal(t, int64(1), p.filtered)
			require.Zero(t, p.loaded)
			require.Len(t, p.errLines, 1)
			require.Contains(t, p.errLines[0], "Error: "+tc.want)
		})
	}
}
