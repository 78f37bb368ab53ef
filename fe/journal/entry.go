package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// OpType identifies the kind of an edit-log operation. The values are owned
// by the state machine (the catalog); the journal never interprets them.
type OpType uint16

// Op is one typed edit-log operation. Type and Version let the state machine
// decode Data (JSON there) and evolve its payload formats; Data is opaque to
// the journal. Ops handed to StateMachine.Apply alias the raft log buffer and
// must be treated as read-only.
type Op struct {
	Type    OpType // what the op does (state machine's enum)
	Version uint8  // payload format version of Data for this Type
	Data    []byte // payload, opaque to the journal
}

// entryFormatV1 is the first byte of every encoded entry; a future format
// can be told apart from it.
const entryFormatV1 byte = 1

// ErrCorruptEntry is returned (wrapped) by DecodeEntry for malformed input.
var ErrCorruptEntry = errors.New("journal: corrupt edit-log entry")

// EncodeEntry encodes a list of ops as one edit-log entry (one raft log
// command). The format is compact binary:
//
//	format byte (1) | uvarint op count | per op: uvarint type, version byte, uvarint len, data
//
// An empty list encodes a no-op entry (used for barriers).
func EncodeEntry(ops []Op) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, op := range ops {
		n += binary.MaxVarintLen32 + 1 + binary.MaxVarintLen64 + len(op.Data)
	}
	b := make([]byte, 0, n)
	b = append(b, entryFormatV1)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		b = binary.AppendUvarint(b, uint64(op.Type))
		b = append(b, op.Version)
		b = binary.AppendUvarint(b, uint64(len(op.Data)))
		b = append(b, op.Data...)
	}
	return b
}

// DecodeEntry decodes an entry produced by EncodeEntry. The returned ops'
// Data slices alias b. Malformed input yields an error wrapping
// ErrCorruptEntry, never a panic.
func DecodeEntry(b []byte) ([]Op, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCorruptEntry)
	}
	if b[0] != entryFormatV1 {
		return nil, fmt.Errorf("%w: unknown format byte %d", ErrCorruptEntry, b[0])
	}
	p := 1
	count, n := binary.Uvarint(b[p:])
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad op count", ErrCorruptEntry)
	}
	p += n
	// Every op takes at least 3 bytes; this bounds the allocation below.
	if count > uint64(len(b)-p)/3 {
		return nil, fmt.Errorf("%w: op count %d exceeds entry size", ErrCorruptEntry, count)
	}
	if count == 0 {
		if p != len(b) {
			return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptEntry, len(b)-p)
		}
		return nil, nil
	}
	ops := make([]Op, 0, count)
	for i := uint64(0); i < count; i++ {
		typ, n := binary.Uvarint(b[p:])
		if n <= 0 || typ > 0xFFFF {
			return nil, fmt.Errorf("%w: op %d: bad type", ErrCorruptEntry, i)
		}
		p += n
		if p >= len(b) {
			return nil, fmt.Errorf("%w: op %d: truncated", ErrCorruptEntry, i)
		}
		ver := b[p]
		p++
		size, n := binary.Uvarint(b[p:])
		if n <= 0 {
			return nil, fmt.Errorf("%w: op %d: bad length", ErrCorruptEntry, i)
		}
		p += n
		if size > uint64(len(b)-p) {
			return nil, fmt.Errorf("%w: op %d: length %d exceeds entry", ErrCorruptEntry, i, size)
		}
		end := p + int(size)
		ops = append(ops, Op{Type: OpType(typ), Version: ver, Data: b[p:end:end]})
		p = end
	}
	if p != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptEntry, len(b)-p)
	}
	return ops, nil
}
