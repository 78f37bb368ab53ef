package rpc

import (
	"errors"
	"fmt"
	"io"

	"github.com/minirocks/minirocks/lake"
)

// Limits of what a peer may send. A length prefix is checked against them
// before anything is allocated, and the bytes it announces are read into a
// buffer that grows only as they arrive: a peer that announces more than it
// sends costs the receiver what it sent, never what it announced.
const (
	// MaxHeaderBytes bounds the JSON header of a request (the statement of
	// a forwarded query, the tablets of a publish or scan).
	MaxHeaderBytes = 64 << 20
	// MaxResponseBytes bounds a JSON response of Call and CallWithBody.
	MaxResponseBytes = 64 << 20
	// MaxFrameBytes bounds one frame of a row stream (one encoded block,
	// or an error).
	MaxFrameBytes = lake.MaxStreamBlockBytes
)

// readChunk is the most a buffer grows ahead of the bytes that arrived.
const readChunk = 1 << 20

// errTruncated marks a message that ended before its announced length.
var errTruncated = errors.New("message ends before its announced length")

// readExactly reads n bytes from r into buf (reused when large enough),
// growing a new buffer at most readChunk bytes ahead of what arrived.
func readExactly(r io.Reader, buf []byte, n uint64) ([]byte, error) {
	if uint64(cap(buf)) >= n {
		b := buf[:n]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, truncated(err)
		}
		return b, nil
	}
	b := make([]byte, 0, min(n, readChunk))
	for uint64(len(b)) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, uint64(2*cap(b))))
			copy(nb, b)
			b = nb
		}
		k, err := io.ReadFull(r, b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err != nil {
			return nil, truncated(err)
		}
	}
	return b, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", errTruncated, io.ErrUnexpectedEOF)
	}
	return err
}

// cappedReader reads at most max bytes of r and fails past them.
type cappedReader struct {
	r    io.Reader
	left int64
	what string
	max  int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a message of exactly max bytes from a longer one.
		var one [1]byte
		n, err := io.ReadFull(c.r, one[:])
		if n > 0 {
			return 0, fmt.Errorf("%s exceeds %d bytes", c.what, c.max)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
