package lake

import (
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"sync/atomic"

	"github.com/minirocks/minirocks/types"
)

// ErrNoPartition is wrapped by Route's error for a value outside every
// partition's range.
var ErrNoPartition = errors.New("no partition for value")

// NoPartitionError is Route's error for a partition-column value no range
// holds; its text, "no partition for value '<v>'", is what load errors show.
type NoPartitionError struct {
	// Column is the partition column's name.
	Column string
	// Value is the offending value.
	Value types.Value
}

// Error renders "no partition for value '<v>'".
func (e *NoPartitionError) Error() string {
	return fmt.Sprintf("no partition for value '%s'", e.Value.String())
}

// Unwrap makes errors.Is(err, ErrNoPartition) true.
func (e *NoPartitionError) Unwrap() error { return ErrNoPartition }

// PartitionRoute is one partition as routing sees it.
type PartitionRoute struct {
	// ID is the catalog's partition id.
	ID int64
	// Name is the partition's name, for error messages.
	Name string
	// Upper is the exclusive upper bound; nil means MAXVALUE (or the single
	// partition of an unpartitioned table). The lower bound is the previous
	// partition's Upper (MINVALUE for the first).
	Upper *types.Value
	// Tablets are the partition's buckets in bucket order.
	Tablets []int64
}

// Router assigns rows to a partition and a tablet (bucket) of it. The FE
// (INSERT) and compute nodes (Stream Load) build a Router from the same
// catalog data, and for HASH distribution it makes the same choice on both,
// bit for bit (docs/lake-format.md, "Routing"). It is safe for concurrent use; RANDOM
// distribution's round-robin is then shared by the callers.
type Router struct {
	schema *Schema
	pcol   int
	ptype  types.Type
	parts  []PartitionRoute
	dist   []int
	rr     []atomic.Uint64
	bufs   sync.Pool
}

// NewRouter checks and prepares a router. partitionColumn is the RANGE
// partition column's index, or -1 for an unpartitioned table (which has
// exactly one partition). parts are in ascending order of upper bound; only
// the last may be MAXVALUE (nil); bounds are converted to the column's type.
// distColumns are the HASH distribution columns' indexes; nil (or empty)
// means RANDOM.
func NewRouter(s *Schema, partitionColumn int, parts []PartitionRoute, distColumns []int) (*Router, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("router: no partitions")
	}
	r := &Router{schema: s, pcol: partitionColumn, dist: append([]int(nil), distColumns...)}
	r.bufs.New = func() any { b := make([]byte, 0, 64); return &b }
	switch {
	case partitionColumn == -1:
		if len(parts) != 1 {
			return nil, fmt.Errorf("router: an unpartitioned table has one partition, not %d", len(parts))
		}
	case partitionColumn < 0 || partitionColumn >= len(s.Columns):
		return nil, fmt.Errorf("router: partition column %d out of range", partitionColumn)
	default:
		r.ptype = s.Columns[partitionColumn].Type
	}
	for _, d := range distColumns {
		if d < 0 || d >= len(s.Columns) {
			return nil, fmt.Errorf("router: distribution column %d out of range", d)
		}
	}
	r.parts = make([]PartitionRoute, len(parts))
	for i, p := range parts {
		if len(p.Tablets) == 0 {
			return nil, fmt.Errorf("router: partition %s has no tablets", p.Name)
		}
		p.Tablets = append([]int64(nil), p.Tablets...)
		if p.Upper != nil {
			if partitionColumn == -1 {
				return nil, fmt.Errorf("router: partition %s of an unpartitioned table has an upper bound", p.Name)
			}
			u, err := coerce(r.ptype, *p.Upper)
			if err != nil || isNull(&u) {
				return nil, fmt.Errorf("router: partition %s has bad upper bound '%s'", p.Name, p.Upper.String())
			}
			p.Upper = &u
			if i > 0 && CompareValues(r.ptype, *r.parts[i-1].Upper, u) >= 0 {
				return nil, fmt.Errorf("router: partition %s's upper bound '%s' is not above the previous one", p.Name, u.String())
			}
		} else if i != len(parts)-1 {
			return nil, fmt.Errorf("router: only the last partition may be MAXVALUE, not %s", p.Name)
		}
		r.parts[i] = p
	}
	r.rr = make([]atomic.Uint64, len(parts))
	return r, nil
}

// coerce converts v to the storage form of a column of type t when it is
// held differently (a string for a DATE column, a DOUBLE for an INT
// column), so routing never depends on how a caller spelt a value.
func coerce(t types.Type, v types.Value) (types.Value, error) {
	if isNull(&v) {
		return types.Value{}, nil
	}
	cls := kindClass[t.Kind]
	switch {
	case kindClass[v.Kind] != cls:
	case cls == clsText && v.Kind != t.Kind && !(t.IsString() && (v.Kind == types.Char || v.Kind == types.Varchar)):
	default:
		return v, nil
	}
	return types.ParseValue(t, v.String())
}

// Partitions is the partitions the router was built with (bounds converted).
func (r *Router) Partitions() []PartitionRoute { return r.parts }

// Route returns the index of row's partition (into the parts given to
// NewRouter) and of its tablet within that partition.
//
// RANGE: the first partition whose upper bound is above the value; NULL
// goes to the first partition (NULL sorts below every value, as in
// StarRocks); a value at or above the last bound is a *NoPartitionError.
// HASH: HashRow mod the number of tablets. RANDOM: round-robin per
// partition.
func (r *Router) Route(row Row) (partIdx int, tabletIdx int, err error) {
	if len(row) != len(r.schema.Columns) {
		return 0, 0, fmt.Errorf("route: row has %d values, table has %d columns", len(row), len(r.schema.Columns))
	}
	if r.pcol >= 0 {
		v, err := coerce(r.ptype, row[r.pcol])
		if err != nil {
			return 0, 0, fmt.Errorf("route: column %s: %v", r.schema.Columns[r.pcol].Name, err)
		}
		partIdx = r.findPartition(v)
		if partIdx < 0 {
			return 0, 0, &NoPartitionError{Column: r.schema.Columns[r.pcol].Name, Value: v}
		}
	}
	n := uint64(len(r.parts[partIdx].Tablets))
	if len(r.dist) == 0 {
		return partIdx, int((r.rr[partIdx].Add(1) - 1) % n), nil
	}
	h, err := r.hash(row)
	if err != nil {
		return 0, 0, err
	}
	return partIdx, int(uint64(h) % n), nil
}

// findPartition binary-searches the first partition whose bound is above v.
func (r *Router) findPartition(v types.Value) int {
	if isNull(&v) {
		return 0
	}
	lo, hi := 0, len(r.parts)
	for lo < hi {
		mid := (lo + hi) / 2
		u := r.parts[mid].Upper
		if u == nil || CompareValues(r.ptype, v, *u) < 0 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(r.parts) {
		return -1
	}
	return lo
}

func (r *Router) hash(row Row) (uint32, error) {
	bp := r.bufs.Get().(*[]byte)
	b := (*bp)[:0]
	for _, d := range r.dist {
		t := r.schema.Columns[d].Type
		v, err := coerce(t, row[d])
		if err != nil {
			r.bufs.Put(bp)
			return 0, fmt.Errorf("route: column %s: %v", r.schema.Columns[d].Name, err)
		}
		b = AppendHashKey(b, t, v)
	}
	h := crc32.Checksum(b, castagnoli)
	*bp = b
	r.bufs.Put(bp)
	return h, nil
}

// HashRow is the distribution hash of row: CRC32-C (Castagnoli) over the
// AppendHashKey encodings of the distribution columns' values, in the
// order of distColumns. Values must already be in their columns' storage
// form (Router.Route converts them first). The bucket is HashRow mod the
// partition's tablet count.
func HashRow(s *Schema, distColumns []int, row Row) uint32 {
	var b []byte
	for _, d := range distColumns {
		b = AppendHashKey(b, s.Columns[d].Type, row[d])
	}
	return crc32.Checksum(b, castagnoli)
}
