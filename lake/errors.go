package lake

import (
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every error that reports damaged bytes: a block,
// segment, tablet meta or txn log whose checksum or structure is wrong.
// Callers test for it with errors.Is to tell corruption (never retry, never
// return rows) from I/O failures.
var ErrCorrupt = errors.New("corrupt data")

// ErrSchemaMismatch is wrapped when well-formed data does not fit the schema
// the caller reads it with (wrong column count or storage class), so a
// reader never reinterprets one column's bytes as another type.
var ErrSchemaMismatch = errors.New("schema mismatch")

// CorruptError is the error for damaged data. Its text names the object,
// e.g. "segment s3://b/x/data/0000.dat is corrupt: block 3 checksum
// mismatch", so an operator can find the file; it wraps ErrCorrupt.
type CorruptError struct {
	// What is the kind of object: "block", "segment", "tablet meta", "txn log", "block stream".
	What string
	// Object is the object's full name; empty for data with no name (an RPC block).
	Object string
	// Detail says what is wrong.
	Detail string
}

// Error renders "<what> <object> is corrupt: <detail>".
func (e *CorruptError) Error() string {
	if e.Object == "" {
		return fmt.Sprintf("%s is corrupt: %s", e.What, e.Detail)
	}
	return fmt.Sprintf("%s %s is corrupt: %s", e.What, e.Object, e.Detail)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(what, object, format string, args ...any) error {
	return &CorruptError{What: what, Object: object, Detail: fmt.Sprintf(format, args...)}
}
