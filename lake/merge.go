package lake

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/types"
)

// mergeSeed seeds Merge's key hash. The hash only finds candidate groups
// (keys are compared in full), and the output is sorted, so a per-process
// seed does not affect the result.
var mergeSeed = maphash.MakeSeed()

// Merge returns what a reader of a tablet sees, given its rowsets' rows in
// version order (older first; within a rowset, rows in load order). Compaction
// applies the same function physically.
//
//   - DUPLICATE (or an unknown model): all rows, concatenated in order.
//   - AGGREGATE: rows with equal key columns collapse into one; each value
//     column combines the rows' values in version order with its AggType:
//     SUM adds (integers as int64, DECIMAL and LARGEINT exactly, FLOAT and
//     DOUBLE as floating point in order), MAX/MIN keep the extreme value,
//     REPLACE the newest value (NULL included), REPLACE_IF_NOT_NULL the
//     newest non-NULL value; SUM, MAX and MIN ignore NULLs (the result is
//     NULL only when every value is). A value column without AggType is
//     REPLACE.
//   - UNIQUE and PRIMARY: the newest row of each key wins.
//
// Key models return rows sorted by the key columns (CompareValues, NULLs
// first). Keys are found by hashing their canonical encoding, so Merge is
// O(n) plus the sort of the distinct keys. Values are expected in the
// canonical form the data layer stores (types.ParseValue, DecodeBlock).
// Neither the inputs nor their rows are modified; returned rows may be the
// input rows themselves.
func Merge(s *Schema, rowsets [][]Row) []Row {
	total := 0
	for _, rs := range rowsets {
		total += len(rs)
	}
	if !s.IsKeyModel() {
		out := make([]Row, 0, total)
		for _, rs := range rowsets {
			out = append(out, rs...)
		}
		return out
	}
	m := newMerger(s, total)
	for _, rs := range rowsets {
		for _, r := range rs {
			m.add(r)
		}
	}
	return m.result()
}

// mergeEntry is one distinct key: its current row and its key's hash.
type mergeEntry struct {
	row   Row
	hash  uint64
	owned bool // row is Merge's own copy and may be updated in place
}

type merger struct {
	s       *Schema
	keys    []int
	ktypes  []types.Type
	values  []int // AGGREGATE value columns
	agg     bool
	slots   []int32 // open addressing (linear probing): entry index+1, 0 = empty
	entries []mergeEntry
	buf     []byte
	arena   []types.Value
}

func newMerger(s *Schema, total int) *merger {
	m := &merger{s: s, keys: s.KeyIndexes(), agg: s.KeysType == KeysAggregate}
	for _, k := range m.keys {
		m.ktypes = append(m.ktypes, s.Columns[k].Type)
	}
	for i, c := range s.Columns {
		if !c.IsKey {
			m.values = append(m.values, i)
		}
	}
	m.entries = make([]mergeEntry, 0, min(total, 1<<22))
	m.slots = make([]int32, tableSize(min(total, 1<<22)))
	return m
}

// tableSize is the power of two that keeps n entries at most half full.
func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return size
}

// grow doubles the table, re-placing entries by their stored hashes.
func (m *merger) grow() {
	m.slots = make([]int32, 2*len(m.slots))
	mask := uint64(len(m.slots) - 1)
	for i := range m.entries {
		j := m.entries[i].hash & mask
		for m.slots[j] != 0 {
			j = (j + 1) & mask
		}
		m.slots[j] = int32(i + 1)
	}
}

func (m *merger) add(r Row) {
	m.buf = m.buf[:0]
	for i, k := range m.keys {
		m.buf = AppendHashKey(m.buf, m.ktypes[i], r[k])
	}
	h := maphash.Bytes(mergeSeed, m.buf)
	mask := uint64(len(m.slots) - 1)
	j := h & mask
	for {
		slot := m.slots[j]
		if slot == 0 {
			break
		}
		e := &m.entries[slot-1]
		if e.hash == h && m.sameKey(e.row, r) {
			if m.agg {
				m.combine(e, r)
			} else {
				e.row, e.owned = r, false
			}
			return
		}
		j = (j + 1) & mask
	}
	m.entries = append(m.entries, mergeEntry{row: r, hash: h})
	m.slots[j] = int32(len(m.entries))
	if 2*len(m.entries) > len(m.slots) {
		m.grow()
	}
}

func (m *merger) sameKey(a, b Row) bool {
	for i, k := range m.keys {
		if !keyEqual(m.ktypes[i], &a[k], &b[k]) {
			return false
		}
	}
	return true
}

// own gives e a private copy of its row, carved from an arena so that
// groups do not cost an allocation each.
func (m *merger) own(e *mergeEntry) {
	if e.owned {
		return
	}
	n := len(e.row)
	if len(m.arena) < n {
		m.arena = make([]types.Value, max(n*1024, 4096))
	}
	c := m.arena[:n:n]
	m.arena = m.arena[n:]
	copy(c, e.row)
	e.row, e.owned = c, true
}

// combine folds the newer row r into the group e (AGGREGATE).
func (m *merger) combine(e *mergeEntry, r Row) {
	m.own(e)
	for _, c := range m.values {
		col := &m.s.Columns[c]
		cur, nv := &e.row[c], &r[c]
		switch col.AggType {
		case AggSum:
			if isNull(nv) {
				continue
			}
			if isNull(cur) {
				*cur = *nv
				continue
			}
			*cur = sumValues(col.Type, *cur, *nv)
		case AggMax, AggMin:
			if isNull(nv) {
				continue
			}
			if isNull(cur) {
				*cur = *nv
				continue
			}
			c := CompareValues(col.Type, *nv, *cur)
			if (col.AggType == AggMax && c > 0) || (col.AggType == AggMin && c < 0) {
				*cur = *nv
			}
		case AggReplaceIfNotNull:
			if !isNull(nv) {
				*cur = *nv
			}
		default: // REPLACE, and a value column without an aggregate type
			*cur = *nv
		}
	}
}

// sortItem is an output row with an order-preserving prefix of its first
// key column: a < b implies prefix(a) <= prefix(b), so rows are ordered by
// prefix first and compared in full only on ties.
type sortItem struct {
	pfx uint64
	row Row
}

func (m *merger) result() []Row {
	items := make([]sortItem, len(m.entries))
	for i := range m.entries {
		items[i].row = m.entries[i].row
	}
	if len(m.keys) > 0 {
		k, t := m.keys[0], m.ktypes[0]
		if prefixable(t, items, k) {
			for i := range items {
				items[i].pfx = sortPrefix(t, &items[i].row[k])
			}
		}
	}
	keys, kt := m.keys, m.ktypes
	slices.SortFunc(items, func(a, b sortItem) int {
		if a.pfx != b.pfx {
			if a.pfx < b.pfx {
				return -1
			}
			return 1
		}
		for i, k := range keys {
			if c := CompareValues(kt[i], a.row[k], b.row[k]); c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]Row, len(items))
	for i := range items {
		out[i] = items[i].row
	}
	return out
}

// prefixable reports whether sortPrefix is order-preserving for column k of
// these rows: integer and string columns always; DATE/DATETIME when every
// value is canonical text (byte order is time order); other types never
// (their prefixes stay 0 and the full comparison decides).
func prefixable(t types.Type, items []sortItem, k int) bool {
	switch t.Kind {
	case types.Boolean, types.TinyInt, types.SmallInt, types.Int, types.BigInt:
		for i := range items {
			v := &items[i].row[k]
			if !isNull(v) && kindClass[v.Kind] != clsInt {
				return false
			}
		}
		return true
	case types.Char, types.Varchar:
		for i := range items {
			v := &items[i].row[k]
			if !isNull(v) && v.Kind != types.Char && v.Kind != types.Varchar {
				return false
			}
		}
		return true
	case types.Date, types.DateTime:
		for i := range items {
			v := &items[i].row[k]
			if !isNull(v) && (v.Kind != t.Kind || !canonicalTemporal(v.Str)) {
				return false
			}
		}
		return true
	}
	return false
}

// sortPrefix maps a value to a uint64 whose order agrees with CompareValues
// (NULL lowest): integers with the sign bit flipped, text as its first 8
// bytes big-endian.
func sortPrefix(t types.Type, v *types.Value) uint64 {
	if isNull(v) {
		return 0
	}
	if kindClass[t.Kind] == clsInt {
		return uint64(v.Int) ^ 1<<63
	}
	var b [8]byte
	copy(b[:], v.Str)
	return binary.BigEndian.Uint64(b[:])
}

// sumValues adds two non-NULL values of a column of type t.
func sumValues(t types.Type, a, b types.Value) types.Value {
	switch kindClass[t.Kind] {
	case clsInt:
		return types.Value{Kind: t.Kind, Int: a.Int + b.Int}
	case clsFloat:
		f := a.Float + b.Float
		if t.Kind == types.Float {
			f = float64(float32(f))
		}
		return types.Value{Kind: t.Kind, Float: f}
	}
	switch t.Kind {
	case types.Decimal:
		return types.Value{Kind: t.Kind, Str: addDecimal(a.Str, b.Str, t.Scale)}
	case types.LargeInt:
		return types.Value{Kind: t.Kind, Str: addDecimal(a.Str, b.Str, 0)}
	}
	return b // not summable: the schema validator refuses SUM here; keep the newest
}

// addDecimal adds two decimal texts exactly and renders the sum with scale
// fractional digits (the canonical DECIMAL(p, scale) / LARGEINT text). Values
// that fit int64 when scaled take a fast path; the rest use big.Rat.
func addDecimal(a, b string, scale int) string {
	x, ok1 := parseScaled(a, scale)
	y, ok2 := parseScaled(b, scale)
	if ok1 && ok2 {
		if s := x + y; (s > x) == (y > 0) || y == 0 {
			return formatScaled(s, scale)
		}
	}
	ra, ok1 := new(big.Rat).SetString(a)
	rb, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return b
	}
	return ra.Add(ra, rb).FloatString(scale)
}

// parseScaled reads canonical decimal text with exactly scale fractional
// digits as an int64 count of 10^-scale units.
func parseScaled(s string, scale int) (int64, bool) {
	neg, ip, fp, ok := splitNumber(s)
	if !ok || len(fp) != scale || len(ip)+len(fp) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(ip); i++ {
		n = n*10 + int64(ip[i]-'0')
	}
	for i := 0; i < len(fp); i++ {
		n = n*10 + int64(fp[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// formatScaled renders n units of 10^-scale as canonical decimal text.
func formatScaled(n int64, scale int) string {
	if scale == 0 {
		return strconv.FormatInt(n, 10)
	}
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
		if n == math.MinInt64 {
			u = 1 << 63
		}
	}
	d := strconv.FormatUint(u, 10)
	if len(d) <= scale {
		d = strings.Repeat("0", scale-len(d)+1) + d
	}
	s := d[:len(d)-scale] + "." + d[len(d)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}
