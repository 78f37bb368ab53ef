package lake

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Segment file framing (docs/lake-format.md, "Segment files").
const (
	// SegmentMagic starts every segment file.
	SegmentMagic = "MRSEG1\n"
	// SegmentEndMagic ends every segment file.
	SegmentEndMagic = "MRSEGEND"
	// segTrailerLen is footer length (4) + footer CRC (4) + end magic (8).
	segTrailerLen = 16
	// segBlockEntryLen is one footer block entry: offset, length, rows (uint64 each).
	segBlockEntryLen = 24
	// segFooterFixed is header length + header CRC + block count + total rows.
	segFooterFixed = 4 + 4 + 4 + 8
)

// SegmentInfo describes a finished segment file.
type SegmentInfo struct {
	// Rows is the number of rows in the segment.
	Rows int64
	// Size is the file's length in bytes.
	Size int64
}

type segBlock struct {
	off, length, rows uint64
}

// SegmentWriter writes one segment file: header, blocks, footer, trailer.
// It buffers rows into blocks of at most MaxBlockRows rows or about
// TargetBlockBytes, writes each block as soon as it is full and the footer
// on Close. Errors are sticky. It is not safe for concurrent use.
type SegmentWriter struct {
	w       io.Writer
	s       *Schema
	enc     *BlockEncoder
	off     int64
	hdrLen  uint32
	hdrCRC  uint32
	started bool
	closed  bool
	blocks  []segBlock
	rows    int64
	err     error
	// maxRows overrides MaxBlockRows (tests).
	maxRows int
}

// NewSegmentWriter returns a writer of a segment of schema s onto w. The
// header is written with the first Append or Close.
func NewSegmentWriter(w io.Writer, s *Schema) *SegmentWriter {
	return &SegmentWriter{w: w, s: s, enc: NewBlockEncoder(s)}
}

func (w *SegmentWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.off += int64(n)
	if err != nil {
		w.err = err
	}
}

func (w *SegmentWriter) start() {
	if w.started {
		return
	}
	w.started = true
	js, err := json.Marshal(w.s)
	if err != nil {
		w.err = fmt.Errorf("segment schema: %w", err)
		return
	}
	h := make([]byte, 0, len(SegmentMagic)+4+len(js))
	h = append(h, SegmentMagic...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(js)))
	h = append(h, js...)
	w.hdrLen, w.hdrCRC = uint32(len(h)), crc32c(h)
	w.write(h)
}

// Pending is the encoded size of the block not yet written out (0 when
// there is none): what the writer holds beyond what it has written.
func (w *SegmentWriter) Pending() int {
	if w.enc.Rows() == 0 {
		return 0
	}
	return w.enc.Size()
}

// Append adds rows to the segment. The rows are encoded (or copied into
// the pending block) before Append returns, so the caller may reuse them.
// A row of the wrong width or a value of the wrong storage class is an
// error and poisons the writer.
func (w *SegmentWriter) Append(rows []Row) error {
	if w.closed {
		return errors.New("lake: append to a closed SegmentWriter")
	}
	w.start()
	if w.err != nil {
		return w.err
	}
	if err := fill(w.enc, rows, w.maxRows, w.flush); err != nil {
		w.err = err
		return err
	}
	w.rows += int64(len(rows))
	return nil
}

// flush writes the pending block.
func (w *SegmentWriter) flush() error {
	if w.err != nil || w.enc.Rows() == 0 {
		return w.err
	}
	rows := w.enc.Rows()
	off := w.off
	n, _ := w.enc.FinishTo(segmentOut{w})
	w.blocks = append(w.blocks, segBlock{off: uint64(off), length: uint64(n), rows: uint64(rows)})
	return w.err
}

// segmentOut lets the block encoder write straight into the segment.
type segmentOut struct{ w *SegmentWriter }

func (o segmentOut) Write(b []byte) (int, error) {
	o.w.write(b)
	return len(b), o.w.err
}

// Close writes the last block, the footer and the trailer and returns the
// segment's row count and size. It does not close the underlying writer.
func (w *SegmentWriter) Close() (SegmentInfo, error) {
	if w.closed {
		return SegmentInfo{}, errors.New("lake: SegmentWriter closed twice")
	}
	w.start()
	w.closed = true
	if err := w.flush(); err != nil {
		return SegmentInfo{}, err
	}
	f := make([]byte, 0, segFooterFixed+segBlockEntryLen*len(w.blocks)+segTrailerLen)
	f = binary.LittleEndian.AppendUint32(f, w.hdrLen)
	f = binary.LittleEndian.AppendUint32(f, w.hdrCRC)
	f = binary.LittleEndian.AppendUint32(f, uint32(len(w.blocks)))
	for _, b := range w.blocks {
		f = binary.LittleEndian.AppendUint64(f, b.off)
		f = binary.LittleEndian.AppendUint64(f, b.length)
		f = binary.LittleEndian.AppendUint64(f, b.rows)
	}
	f = binary.LittleEndian.AppendUint64(f, uint64(w.rows))
	flen := len(f)
	f = binary.LittleEndian.AppendUint32(f, uint32(flen))
	f = binary.LittleEndian.AppendUint32(f, crc32c(f[:flen]))
	f = append(f, SegmentEndMagic...)
	w.write(f)
	if w.err != nil {
		return SegmentInfo{}, w.err
	}
	return SegmentInfo{Rows: w.rows, Size: w.off}, nil
}

// SegmentReader reads a segment file held in memory, block by block.
// NewSegmentReader verifies the header, footer and trailer; each block's
// checksum is verified when Next decodes it.
type SegmentReader struct {
	name   string
	data   []byte
	schema *Schema
	dec    *Schema // schema blocks are decoded with
	blocks []segBlock
	rows   int64
	next   int
}

// NewSegmentReader opens the segment in data. name is the object's full
// name; every error names it, and damage is a *CorruptError wrapping
// ErrCorrupt.
func NewSegmentReader(name string, data []byte) (*SegmentReader, error) {
	bad := func(format string, args ...any) error { return corrupt("segment", name, format, args...) }
	n := len(data)
	if n < len(SegmentMagic)+4+segFooterFixed+segTrailerLen {
		return nil, bad("truncated (%d bytes)", n)
	}
	if string(data[n-8:]) != SegmentEndMagic {
		return nil, bad("bad trailer magic")
	}
	flen := uint64(binary.LittleEndian.Uint32(data[n-16:]))
	if flen < segFooterFixed || flen > uint64(n-segTrailerLen-len(SegmentMagic)-4) {
		return nil, bad("bad footer length %d", flen)
	}
	fstart := n - segTrailerLen - int(flen)
	footer := data[fstart : n-segTrailerLen]
	if crc32c(footer) != binary.LittleEndian.Uint32(data[n-12:]) {
		return nil, bad("footer checksum mismatch")
	}
	hdrLen := binary.LittleEndian.Uint32(footer)
	hdrCRC := binary.LittleEndian.Uint32(footer[4:])
	count := uint64(binary.LittleEndian.Uint32(footer[8:]))
	if flen != segFooterFixed+segBlockEntryLen*count {
		return nil, bad("malformed footer (%d blocks in %d bytes)", count, flen)
	}
	total := binary.LittleEndian.Uint64(footer[12+segBlockEntryLen*count:])
	if uint64(hdrLen) > uint64(fstart) || hdrLen < uint32(len(SegmentMagic)+4) {
		return nil, bad("bad header length %d", hdrLen)
	}
	hdr := data[:hdrLen]
	if string(hdr[:len(SegmentMagic)]) != SegmentMagic {
		return nil, bad("not a segment file (bad header magic)")
	}
	if crc32c(hdr) != hdrCRC {
		return nil, bad("header checksum mismatch")
	}
	jsLen := binary.LittleEndian.Uint32(hdr[len(SegmentMagic):])
	if uint64(jsLen) != uint64(hdrLen)-uint64(len(SegmentMagic)+4) {
		return nil, bad("malformed header")
	}
	var s Schema
	if err := json.Unmarshal(hdr[len(SegmentMagic)+4:], &s); err != nil {
		return nil, bad("bad schema: %v", err)
	}
	r := &SegmentReader{name: name, data: data, schema: &s, dec: &s, rows: int64(total)}
	r.blocks = make([]segBlock, count)
	next, sum := uint64(hdrLen), uint64(0)
	for i := range r.blocks {
		e := footer[12+segBlockEntryLen*i:]
		b := segBlock{
			off:    binary.LittleEndian.Uint64(e),
			length: binary.LittleEndian.Uint64(e[8:]),
			rows:   binary.LittleEndian.Uint64(e[16:]),
		}
		// Blocks tile the file between header and footer exactly, so
		// no byte of the file goes unchecked.
		if b.off != next || b.length > uint64(fstart)-b.off {
			return nil, bad("block %d has bad offset %d or length %d", i, b.off, b.length)
		}
		next += b.length
		sum += b.rows
		r.blocks[i] = b
	}
	if next != uint64(fstart) {
		return nil, bad("blocks end at %d, footer starts at %d", next, fstart)
	}
	if sum != total || total > uint64(n)*8 {
		return nil, bad("footer rows %d do not add up to %d", sum, total)
	}
	return r, nil
}

// Schema is the schema stored in the segment's header.
func (r *SegmentReader) Schema() *Schema { return r.schema }

// Rows is the segment's row count from its (verified) footer.
func (r *SegmentReader) Rows() int64 { return r.rows }

// Blocks is the number of blocks in the segment.
func (r *SegmentReader) Blocks() int { return len(r.blocks) }

// Name is the object name errors carry.
func (r *SegmentReader) Name() string { return r.name }

// Next decodes and returns the next block's rows, io.EOF after the last.
// A damaged block is a *CorruptError naming the object and the block.
func (r *SegmentReader) Next() ([]Row, error) {
	if r.next >= len(r.blocks) {
		return nil, io.EOF
	}
	i := r.next
	b := r.blocks[i]
	rows, err := decodeBlock(r.dec, r.data[b.off:b.off+b.length])
	if err != nil {
		if ce, ok := err.(*CorruptError); ok {
			return nil, corrupt("segment", r.name, "block %d %s", i, ce.Detail)
		}
		// The header's schema passed the compatibility check, so a block
		// that disagrees with it is damaged, not merely foreign.
		return nil, corrupt("segment", r.name, "block %d: %v", i, err)
	}
	if uint64(len(rows)) != b.rows {
		return nil, corrupt("segment", r.name, "block %d has %d rows, footer says %d", i, len(rows), b.rows)
	}
	r.next++
	return rows, nil
}

// UseSchema makes Next decode with s instead of the header's schema (a
// reader's table schema: decoded values get its kinds), after checking
// that the two agree on column count and storage classes. nil keeps the
// header's schema.
func (r *SegmentReader) UseSchema(s *Schema) error {
	if s == nil {
		return nil
	}
	if err := compatible(r.schema, s); err != nil {
		return fmt.Errorf("segment %s: %w", r.name, err)
	}
	r.dec = s
	return nil
}

// compatible reports whether data written with schema w can be read with
// schema s: same number of columns, each of the same storage class.
func compatible(w, s *Schema) error {
	if len(w.Columns) != len(s.Columns) {
		return fmt.Errorf("written with %d columns, read with %d: %w", len(w.Columns), len(s.Columns), ErrSchemaMismatch)
	}
	for i, c := range s.Columns {
		if kindClass[c.Type.Kind] != kindClass[w.Columns[i].Type.Kind] {
			return fmt.Errorf("column %d written as %s, read as %s: %w", i, w.Columns[i].Type.Kind, c.Type.Kind, ErrSchemaMismatch)
		}
	}
	return nil
}

// ReadSegment verifies and decodes a whole segment. name is the object's
// full name for error messages. With s non-nil the rows are decoded with s
// (which must match the header's schema in column count and storage
// classes); with s nil, with the header's schema. It returns all rows or an
// error, never part of the rows.
func ReadSegment(name string, data []byte, s *Schema) ([]Row, error) {
	r, err := NewSegmentReader(name, data)
	if err != nil {
		return nil, err
	}
	if err := r.UseSchema(s); err != nil {
		return nil, err
	}
	out := make([]Row, 0, r.rows)
	for {
		rows, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
}

// VerifySegment checks a whole segment file without decoding its rows: the
// header, footer and trailer as NewSegmentReader does, and every block's
// checksum. A cache checks a local copy with it before serving the copy.
func VerifySegment(name string, data []byte) error {
	r, err := NewSegmentReader(name, data)
	if err != nil {
		return err
	}
	for i, b := range r.blocks {
		blk := data[b.off : b.off+b.length]
		if len(blk) < 3+4 || crc32c(blk[:len(blk)-4]) != binary.LittleEndian.Uint32(blk[len(blk)-4:]) {
			return corrupt("segment", name, "block %d checksum mismatch", i)
		}
	}
	return nil
}
