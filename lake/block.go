package lake

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/minirocks/minirocks/types"
)

// BlockFormatV1 is the first byte of every block (see docs/lake-format.md, "Blocks").
const BlockFormatV1 byte = 0xB1

// MaxBlockRows is the most rows a segment or stream block holds; writers cut
// a block at this many rows or at TargetBlockBytes, whichever comes first.
const MaxBlockRows = 64 * 1024

// TargetBlockBytes is the encoded size at which writers cut a block (256
// KiB: big enough to amortise per-block costs, small enough that the many
// open segments of a load, each encoding one block, stay small in memory,
// and that a block is decoded and verified on its own).
const TargetBlockBytes = 256 << 10

// castagnoli is the CRC32-C table; every checksum in the lake uses it.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// colBuf is one column of a block being built.
type colBuf struct {
	nulls   []byte // bitmap, bit i%8 of byte i/8 set when row i is NULL
	hasNull bool
	vals    []byte // encoded non-NULL values in row order
}

// BlockEncoder builds blocks (docs/lake-format.md, "Blocks") column by column. It
// keeps its buffers between blocks, so a writer that reuses one encoder and
// one destination buffer encodes without allocating per value or per block.
// An encoder is not safe for concurrent use.
type BlockEncoder struct {
	hdr    [2 + 2*binary.MaxVarintLen64]byte // FinishTo's scratch
	schema *Schema
	cls    []uint8
	cols   []colBuf
	rows   int
	size   int
}

// NewBlockEncoder returns an empty encoder for blocks of schema s.
func NewBlockEncoder(s *Schema) *BlockEncoder {
	e := &BlockEncoder{schema: s, cls: make([]uint8, len(s.Columns)), cols: make([]colBuf, len(s.Columns))}
	for i, c := range s.Columns {
		e.cls[i] = kindClass[c.Type.Kind]
	}
	return e
}

// Rows is the number of rows added since the last Finish or Reset.
func (e *BlockEncoder) Rows() int { return e.rows }

// Size is (a close upper bound of) the encoded size of the pending block;
// writers compare it with TargetBlockBytes to decide when to cut.
func (e *BlockEncoder) Size() int { return e.size + 32 + len(e.cols)*16 }

// Reset drops the pending rows, keeping the buffers.
func (e *BlockEncoder) Reset() {
	for i := range e.cols {
		c := &e.cols[i]
		c.nulls, c.vals, c.hasNull = c.nulls[:0], c.vals[:0], false
	}
	e.rows, e.size = 0, 0
}

// Add appends rows to the pending block. Every row must have one value per
// column, and every non-NULL value must be held the way its column's type
// is (integers in Int, floats in Float, the rest in Str; see
// types.ParseValue); otherwise Add returns an error and adds nothing.
//
// Rows are walked once, each value appended to its column's buffer, so a
// row's values and text are read while they are in the CPU cache.
func (e *BlockEncoder) Add(rows []Row) error {
	n := len(e.cols)
	for i, r := range rows {
		if len(r) != n {
			return fmt.Errorf("row %d has %d values, schema has %d columns", i, len(r), n)
		}
	}
	base := e.rows
	nb := (base + len(rows) + 7) / 8
	before := 0
	for c := range e.cols {
		cb := &e.cols[c]
		for len(cb.nulls) < nb {
			cb.nulls = append(cb.nulls, 0)
		}
		before += len(cb.vals)
	}
	cols := e.cols[:n]
	cls := e.cls[:n]
	for i, r := range rows {
		r = r[:n]
		for c := range r {
			v := &r[c]
			cb := &cols[c]
			switch vc := kindClass[v.Kind]; {
			case vc == clsNull:
				cb.nulls[(base+i)>>3] |= 1 << ((base + i) & 7)
				cb.hasNull = true
			case vc != cls[c]:
				e.undo(base, rows[:i+1], c)
				col := e.schema.Columns[c]
				return fmt.Errorf("row %d: %s value cannot be stored in %s column %s",
					i, v.Kind, col.Type.Kind, col.Name)
			case vc == clsInt:
				cb.vals = binary.AppendVarint(cb.vals, v.Int)
			case vc == clsFloat:
				cb.vals = binary.LittleEndian.AppendUint64(cb.vals, math.Float64bits(v.Float))
			default:
				cb.vals = binary.AppendUvarint(cb.vals, uint64(len(v.Str)))
				cb.vals = append(cb.vals, v.Str...)
			}
		}
	}
	after := 0
	for c := range cols {
		after += len(cols[c].vals)
	}
	e.rows += len(rows)
	e.size += after - before + n*len(rows)/8
	return nil
}

// undo removes what a failed Add appended for added (the rows from base
// on; of the last one only the columns before failCol): it measures their
// encoded values from the rows themselves and clears their NULL bits.
func (e *BlockEncoder) undo(base int, added []Row, failCol int) {
	for c := range e.cols {
		cb := &e.cols[c]
		cut := 0
		for i, r := range added {
			v := &r[c]
			vc := kindClass[v.Kind]
			if vc == clsNull || vc != e.cls[c] || (i == len(added)-1 && c >= failCol) {
				continue
			}
			switch vc {
			case clsInt:
				cut += varintLen(v.Int)
			case clsFloat:
				cut += 8
			default:
				cut += uvarintLen(uint64(len(v.Str))) + len(v.Str)
			}
		}
		cb.vals = cb.vals[:len(cb.vals)-cut]
		nb := (base + 7) / 8
		cb.nulls = cb.nulls[:nb]
		if base&7 != 0 {
			cb.nulls[nb-1] &= byte(1)<<(base&7) - 1
		}
		cb.hasNull = false
		for _, b := range cb.nulls {
			if b != 0 {
				cb.hasNull = true
				break
			}
		}
	}
}

// Finish appends the pending block to dst, returns the extended slice and
// resets the encoder for the next block.
func (e *BlockEncoder) Finish(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, BlockFormatV1)
	dst = binary.AppendUvarint(dst, uint64(e.rows))
	dst = binary.AppendUvarint(dst, uint64(len(e.cols)))
	nb := (e.rows + 7) / 8
	for i := range e.cols {
		cb := &e.cols[i]
		dst = append(dst, byte(e.schema.Columns[i].Type.Kind))
		if cb.hasNull {
			dst = append(dst, 1)
			dst = append(dst, cb.nulls[:nb]...)
		} else {
			dst = append(dst, 0)
		}
		dst = binary.AppendUvarint(dst, uint64(len(cb.vals)))
		dst = append(dst, cb.vals...)
	}
	dst = binary.LittleEndian.AppendUint32(dst, crc32c(dst[start:]))
	e.Reset()
	return dst
}

// FinishTo writes the pending block to w, byte for byte what Finish would
// append, without first gathering it in one buffer; it returns the block's
// length and resets the encoder for the next block.
func (e *BlockEncoder) FinishTo(w io.Writer) (int, error) {
	hdr := e.hdr[:]
	n := 0
	crc := uint32(0)
	put := func(b []byte) error {
		crc = crc32.Update(crc, castagnoli, b)
		k, err := w.Write(b)
		n += k
		return err
	}
	h := append(hdr[:0], BlockFormatV1)
	h = binary.AppendUvarint(h, uint64(e.rows))
	h = binary.AppendUvarint(h, uint64(len(e.cols)))
	if err := put(h); err != nil {
		return n, err
	}
	nb := (e.rows + 7) / 8
	for i := range e.cols {
		cb := &e.cols[i]
		h = append(hdr[:0], byte(e.schema.Columns[i].Type.Kind))
		if cb.hasNull {
			h = append(h, 1)
			if err := put(h); err != nil {
				return n, err
			}
			h = hdr[:0]
			if err := put(cb.nulls[:nb]); err != nil {
				return n, err
			}
		} else {
			h = append(h, 0)
		}
		h = binary.AppendUvarint(h, uint64(len(cb.vals)))
		if err := put(h); err != nil {
			return n, err
		}
		if err := put(cb.vals); err != nil {
			return n, err
		}
	}
	sum := binary.LittleEndian.AppendUint32(hdr[:0], crc)
	k, err := w.Write(sum)
	n += k
	e.Reset()
	return n, err
}

// Encode appends one block holding exactly rows to dst (dropping any pending
// rows first): Reset, Add, Finish.
func (e *BlockEncoder) Encode(dst []byte, rows []Row) ([]byte, error) {
	e.Reset()
	if err := e.Add(rows); err != nil {
		return dst, err
	}
	return e.Finish(dst), nil
}

// EncodeBlock encodes rows as one block of schema s. It is the convenience
// form of BlockEncoder.Encode for callers that built their rows from the
// schema; rows of the wrong width or values of the wrong storage class are
// a programming error and make it panic (use BlockEncoder to get an error).
func EncodeBlock(s *Schema, rows []Row) []byte {
	b, err := NewBlockEncoder(s).Encode(nil, rows)
	if err != nil {
		panic("lake.EncodeBlock: " + err.Error())
	}
	return b
}

// DecodeBlock decodes one block (as EncodeBlock makes it) with schema s. A
// checksum or structure failure returns a *CorruptError wrapping ErrCorrupt;
// a block whose columns do not fit s (count or storage class) an error
// wrapping ErrSchemaMismatch. It never returns rows it could not verify.
//
// Decoded values carry the kind of their schema column. All text values of
// one block share one string allocation; rows share one []types.Value
// allocation, each row capped to its own columns.
func DecodeBlock(s *Schema, b []byte) ([]Row, error) {
	rows, err := decodeBlock(s, b)
	if err != nil {
		if ce, ok := err.(*CorruptError); ok {
			ce.What = "block"
		}
		return nil, err
	}
	return rows, nil
}

// decodeBlock returns a *CorruptError with an empty What and Object, which
// callers fill in (a segment names its block), or a schema mismatch error.
func decodeBlock(s *Schema, b []byte) ([]Row, error) {
	if len(b) < 3+4 {
		return nil, &CorruptError{Detail: fmt.Sprintf("truncated (%d bytes)", len(b))}
	}
	body := b[:len(b)-4]
	if crc32c(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, &CorruptError{Detail: "checksum mismatch"}
	}
	if body[0] != BlockFormatV1 {
		return nil, &CorruptError{Detail: fmt.Sprintf("unknown format byte 0x%02x", body[0])}
	}
	p := 1
	nrows, n := binary.Uvarint(body[p:])
	if n <= 0 {
		return nil, &CorruptError{Detail: "bad row count"}
	}
	p += n
	ncols, n := binary.Uvarint(body[p:])
	if n <= 0 {
		return nil, &CorruptError{Detail: "bad column count"}
	}
	p += n
	if ncols != uint64(len(s.Columns)) {
		return nil, fmt.Errorf("block has %d columns, schema has %d: %w", ncols, len(s.Columns), ErrSchemaMismatch)
	}
	// Every row costs at least one bit per column, so a count the payload
	// cannot hold is corruption, caught before allocating for it.
	if (ncols > 0 && nrows > uint64(len(body))*8) || (ncols == 0 && nrows > MaxBlockRows) {
		return nil, &CorruptError{Detail: fmt.Sprintf("row count %d does not fit the block", nrows)}
	}
	nr, nc := int(nrows), int(ncols)
	var text string
	for _, c := range s.Columns {
		if kindClass[c.Type.Kind] == clsText {
			text = string(body) // one copy; text values are substrings of it
			break
		}
	}
	// First pass: locate every column's NULL bitmap and value bytes.
	var colsBuf [16]colSpan
	spans := colsBuf[:0]
	nb := (nr + 7) / 8
	for c := 0; c < nc; c++ {
		if p+2 > len(body) {
			return nil, &CorruptError{Detail: fmt.Sprintf("column %d truncated", c)}
		}
		kind := types.Kind(body[p])
		col := s.Columns[c]
		if kindClass[kind] != kindClass[col.Type.Kind] || kindClass[kind] == clsNull {
			return nil, fmt.Errorf("block column %d is %s, schema column %s is %s: %w",
				c, kind, col.Name, col.Type.Kind, ErrSchemaMismatch)
		}
		sp := colSpan{kind: col.Type.Kind, cls: kindClass[col.Type.Kind]}
		switch body[p+1] {
		case 0:
			p += 2
		case 1:
			p += 2
			if p+nb > len(body) {
				return nil, &CorruptError{Detail: fmt.Sprintf("column %d null bitmap truncated", c)}
			}
			sp.nulls = body[p : p+nb]
			p += nb
		default:
			return nil, &CorruptError{Detail: fmt.Sprintf("column %d has bad null flag %d", c, body[p+1])}
		}
		vlen, n := binary.Uvarint(body[p:])
		if n <= 0 || vlen > uint64(len(body)-p-n) {
			return nil, &CorruptError{Detail: fmt.Sprintf("column %d values truncated", c)}
		}
		p += n
		sp.pos, sp.end = p, p+int(vlen)
		p = sp.end
		spans = append(spans, sp)
	}
	if p != len(body) {
		return nil, &CorruptError{Detail: fmt.Sprintf("%d trailing bytes", len(body)-p)}
	}
	// Second pass: fill the rows in memory order (row by row), each column
	// reading its own value bytes sequentially.
	vals := make([]types.Value, nr*nc)
	if c, ok := decodeRows(vals, spans, nr, body, text); !ok {
		return nil, &CorruptError{Detail: fmt.Sprintf("column %d values malformed", c)}
	}
	out := make([]Row, nr)
	for i := range out {
		out[i] = vals[i*nc : (i+1)*nc : (i+1)*nc]
	}
	return out, nil
}

// colSpan is one column of a block being decoded.
type colSpan struct {
	kind     types.Kind
	cls      uint8
	nulls    []byte // nil when the column has no NULLs
	pos, end int    // value bytes still to read: body[pos:end]
}

// decodeRows fills vals (row-major) from the column spans. Text values are
// substrings of text, which holds the same bytes as body. It returns the
// first malformed column, if any: values running past their column's bytes
// or not using all of them.
func decodeRows(vals []types.Value, spans []colSpan, nr int, body []byte, text string) (int, bool) {
	nc := len(spans)
	for i := 0; i < nr; i++ {
		row := vals[i*nc : i*nc+nc]
		for c := range spans {
			sp := &spans[c]
			if sp.nulls != nil && sp.nulls[i>>3]&(1<<(i&7)) != 0 {
				continue
			}
			p := sp.pos
			if p >= sp.end {
				return c, false
			}
			v := &row[c]
			v.Kind = sp.kind
			switch sp.cls {
			case clsInt:
				var u uint64
				if x := body[p]; x < 0x80 {
					u = uint64(x)
					p++
				} else {
					var n int
					u, n = binary.Uvarint(body[p:sp.end])
					if n <= 0 {
						return c, false
					}
					p += n
				}
				v.Int = int64(u>>1) ^ -int64(u&1)
			case clsFloat:
				if p+8 > sp.end {
					return c, false
				}
				v.Float = math.Float64frombits(binary.LittleEndian.Uint64(body[p:]))
				p += 8
			default:
				var l uint64
				if x := body[p]; x < 0x80 {
					l = uint64(x)
					p++
				} else {
					var n int
					l, n = binary.Uvarint(body[p:sp.end])
					if n <= 0 {
						return c, false
					}
					p += n
				}
				if l > uint64(sp.end-p) {
					return c, false
				}
				v.Str = text[p : p+int(l)]
				p += int(l)
			}
			sp.pos = p
		}
	}
	for c := range spans {
		if spans[c].pos != spans[c].end {
			return c, false
		}
	}
	return 0, true
}

// varintLen is the length of binary.AppendVarint's encoding of x.
func varintLen(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

// uvarintLen is the length of binary.AppendUvarint's encoding of x.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
