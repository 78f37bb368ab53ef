package lake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxStreamBlockBytes bounds one framed block of a block stream, so a
// damaged length prefix cannot make a reader allocate gigabytes.
const MaxStreamBlockBytes = 256 << 20

// fillChunk is how many rows fill adds between size checks.
const fillChunk = 1024

// fill adds rows to enc a chunk at a time and calls flush whenever the
// pending block reached maxRows (MaxBlockRows; smaller in tests) or
// TargetBlockBytes.
func fill(enc *BlockEncoder, rows []Row, maxRows int, flush func() error) error {
	if maxRows <= 0 {
		maxRows = MaxBlockRows
	}
	for len(rows) > 0 {
		n := min(len(rows), fillChunk, maxRows-enc.Rows())
		// Size the chunk from the rows' measured width so a block of wide
		// rows overshoots TargetBlockBytes by a few rows at most.
		if have := enc.Rows(); have == 0 {
			n = min(n, 64)
		} else if room := TargetBlockBytes - enc.Size(); room > 0 {
			n = min(n, max(room/max(enc.Size()/have, 1), 1))
		}
		if err := enc.Add(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
		if enc.Rows() >= maxRows || enc.Size() >= TargetBlockBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// BlockWriter writes rows as a block stream (docs/lake-format.md, "Block streams"):
// length-prefixed blocks ended by a zero length, the body of row-carrying
// RPCs. Rows are buffered into blocks of up to MaxBlockRows rows or about
// TargetBlockBytes; Close writes the last block and the end marker, so a
// reader can tell a complete stream from a cut one.
type BlockWriter struct {
	w      io.Writer
	enc    *BlockEncoder
	buf    []byte
	rows   int64
	err    error
	closed bool
	// maxRows overrides MaxBlockRows (tests).
	maxRows int
}

// NewBlockWriter returns a writer of blocks of schema s onto w.
func NewBlockWriter(w io.Writer, s *Schema) *BlockWriter {
	return &BlockWriter{w: w, enc: NewBlockEncoder(s)}
}

// Write buffers rows, writing every block that fills up. The rows are
// encoded before Write returns, so the caller may reuse them.
func (w *BlockWriter) Write(rows []Row) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("lake: write to a closed BlockWriter")
	}
	if err := fill(w.enc, rows, w.maxRows, w.Flush); err != nil {
		w.err = err
		return err
	}
	w.rows += int64(len(rows))
	return nil
}

// Flush writes the pending rows as a block now (nothing when none are pending).
func (w *BlockWriter) Flush() error {
	if w.err != nil || w.enc.Rows() == 0 {
		return w.err
	}
	w.buf = append(w.buf[:0], 0, 0, 0, 0)
	w.buf = w.enc.Finish(w.buf)
	binary.LittleEndian.PutUint32(w.buf, uint32(len(w.buf)-4))
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = err
	}
	return w.err
}

// Rows is the number of rows written so far.
func (w *BlockWriter) Rows() int64 { return w.rows }

// Close flushes and writes the end marker. It does not close the
// underlying writer.
func (w *BlockWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := w.w.Write([]byte{0, 0, 0, 0}); err != nil {
		w.err = err
	}
	return w.err
}

// BlockReader reads a block stream written by BlockWriter, one block per
// Next call. It reuses one buffer for the framed bytes; decoded rows do not
// alias it.
type BlockReader struct {
	r      io.Reader
	s      *Schema
	buf    []byte
	blocks int
	done   bool
}

// NewBlockReader returns a reader of blocks of schema s from r.
func NewBlockReader(r io.Reader, s *Schema) *BlockReader {
	return &BlockReader{r: r, s: s}
}

// Next returns the rows of the next block, io.EOF after the end marker, an
// error wrapping io.ErrUnexpectedEOF when the stream stops before it, and a
// *CorruptError (naming the block's position) for a damaged block.
func (r *BlockReader) Next() ([]Row, error) {
	if r.done {
		return nil, io.EOF
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("block stream: reading block %d: %w", r.blocks, err)
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n == 0 {
		r.done = true
		return nil, io.EOF
	}
	if n > MaxStreamBlockBytes {
		return nil, corrupt("block stream", "", "block %d length %d exceeds %d", r.blocks, n, MaxStreamBlockBytes)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("block stream: reading block %d: %w", r.blocks, err)
	}
	rows, err := decodeBlock(r.s, r.buf)
	if err != nil {
		if ce, ok := err.(*CorruptError); ok {
			return nil, corrupt("block stream", "", "block %d %s", r.blocks, ce.Detail)
		}
		return nil, fmt.Errorf("block stream: block %d: %w", r.blocks, err)
	}
	r.blocks++
	return rows, nil
}
