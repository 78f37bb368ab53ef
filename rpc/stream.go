package rpc

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Row streams carry encoded lake blocks in frames: 'B' + uvarint length +
// block, then either 'Z' (the end) or 'E' + uvarint length + a JSON Error.
// A stream that stops without 'Z' or 'E' was cut: the reader reports that
// instead of returning fewer rows.
const (
	frameBlock = 'B'
	frameEnd   = 'Z'
	frameError = 'E'
)

// StreamWriter writes a row stream.
type StreamWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64 + 1]byte
}

// NewStreamWriter returns a writer over w.
func NewStreamWriter(w io.Writer) *StreamWriter {
	return &StreamWriter{w: bufio.NewWriterSize(w, 256<<10)}
}

// WriteBlock writes one encoded block.
func (s *StreamWriter) WriteBlock(block []byte) error {
	s.buf[0] = frameBlock
	n := binary.PutUvarint(s.buf[1:], uint64(len(block)))
	if _, err := s.w.Write(s.buf[:n+1]); err != nil {
		return err
	}
	_, err := s.w.Write(block)
	return err
}

// Finish ends the stream successfully.
func (s *StreamWriter) Finish() error {
	if err := s.w.WriteByte(frameEnd); err != nil {
		return err
	}
	return s.w.Flush()
}

// Fail ends the stream with an error the reader returns.
func (s *StreamWriter) Fail(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "internal", Message: err.Error()}
	}
	b, _ := json.Marshal(e)
	s.buf[0] = frameError
	n := binary.PutUvarint(s.buf[1:], uint64(len(b)))
	if _, werr := s.w.Write(s.buf[:n+1]); werr != nil {
		return werr
	}
	if _, werr := s.w.Write(b); werr != nil {
		return werr
	}
	return s.w.Flush()
}

// StreamReader reads a row stream.
type StreamReader struct {
	r    *bufio.Reader
	name string
	buf  []byte
}

// NewStreamReader reads a stream from r; name (the peer) goes into errors.
func NewStreamReader(r io.Reader, name string) *StreamReader {
	return &StreamReader{r: bufio.NewReaderSize(r, 256<<10), name: name}
}

// Next returns the next block (valid until the next call), io.EOF at the
// end, or the error the writer sent or a cut stream caused.
func (s *StreamReader) Next() ([]byte, error) {
	t, err := s.r.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("row stream from %s ended early: %w", s.name, err)
	}
	switch t {
	case frameEnd:
		return nil, io.EOF
	case frameBlock, frameError:
	default:
		return nil, fmt.Errorf("row stream from %s is corrupt (frame %q)", s.name, t)
	}
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return nil, fmt.Errorf("row stream from %s ended early: %w", s.name, err)
	}
	if n > MaxFrameBytes {
		return nil, fmt.Errorf("row stream from %s has a %d-byte frame (at most %d)", s.name, n, MaxFrameBytes)
	}
	b, err := readExactly(s.r, s.buf, n)
	if err != nil {
		return nil, fmt.Errorf("row stream from %s ended early: %w", s.name, err)
	}
	s.buf = b
	if t == frameError {
		var e Error
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("row stream from %s failed", s.name)
		}
		return nil, &e
	}
	return b, nil
}
