package cn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume"
)

const (
	// loadBlockSize is how much of the body is parsed as one piece: the
	// complete lines of a block become one string whose substrings are the
	// fields, so text costs one allocation per block, not one per value.
	loadBlockSize = 2 << 20
	// maxLoadWorkers bounds the goroutines parsing one load's blocks.
	maxLoadWorkers = 4
	// batchRows is how many rows a parser collects for a tablet before
	// they are encoded: few enough that their text is still in the CPU
	// cache, enough to amortise the call.
	batchRows = 64
	// loadOpenBytes bounds the open (not yet uploaded) segments of one
	// load; past it the largest is closed and uploaded.
	loadOpenBytes = 48 << 20
	// loadUploadBytes bounds the segment bytes of one load travelling to
	// the object store at once.
	loadUploadBytes = 48 << 20
)

// loader parses a CSV stream and routes its rows into tablet writers. The
// calling goroutine reads the body in blocks; parse workers (one per CPU,
// at most maxLoadWorkers) parse whole blocks in parallel, each collecting
// rows in small per-tablet batches that it adds to the load's shared
// tablet writers while the rows' text is still in the CPU cache. Row
// order is not kept, and need not be: a rowset is unordered.
type loader struct {
	n       *Node
	ctx     context.Context
	opts    loadOptions
	begin   *rpc.LoadBeginResponse
	schema  *lake.Schema
	router  *lake.Router
	st      *volume.Store
	svc     string
	up      *uploader
	srcCols []int // for each source field, its table column
	sep     string
	fill    lake.Row // values of the columns the source does not name
	partial bool     // some column is not named by the source: rows start from fill
	cancel  context.CancelFunc

	tablets [][]rpc.Tablet // by partition index, bucket index

	mu      sync.Mutex        // guards grid, writers and writes; one flush choice at a time
	grid    [][]*tabletWriter // by partition index, bucket index
	writers []*tabletWriter   // in the order of writes
	writes  []rpc.TabletWrite
	open    atomic.Int64 // bytes in the open segments of all writers

	// Totals, merged from the parsers when read returns.
	total, loaded, filtered, bytes int64
	errLines                       []string
}

func (n *Node) newLoader(ctx context.Context, b *rpc.LoadBeginResponse, opts loadOptions) (_ *loader, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	ld := &loader{n: n, ctx: ctx, cancel: cancel, opts: opts, sep: string(opts.sep), begin: b, schema: b.Schema}
	if len(b.Partitions) == 0 || len(b.Partitions[0].Tablets) == 0 {
		return nil, errors.New("the table has no tablets")
	}
	routes := make([]lake.PartitionRoute, len(b.Partitions))
	for i, p := range b.Partitions {
		routes[i] = p.Route
		ld.tablets = append(ld.tablets, p.Tablets)
		ld.grid = append(ld.grid, make([]*tabletWriter, len(p.Tablets)))
	}
	router, err := lake.NewRouter(b.Schema, b.PartitionColumn, routes, b.DistColumns)
	if err != nil {
		return nil, err
	}
	ld.router = router
	if ld.st, ld.svc, err = n.store(ctx, b.Partitions[0].Tablets[0].VolumeID); err != nil {
		return nil, err
	}
	ld.up = newUploader(ctx, loadUploadBytes)
	// Map source fields to table columns; unnamed columns get defaults.
	cols := b.Schema.Columns
	ld.fill = make(lake.Row, len(cols))
	named := make([]bool, len(cols))
	if len(opts.columns) == 0 {
		for i := range cols {
			ld.srcCols = append(ld.srcCols, i)
			named[i] = true
		}
	} else {
		for _, name := range opts.columns {
			idx := -1
			for i, c := range cols {
				if strings.EqualFold(c.Name, name) {
					idx = i
				}
			}
			if idx < 0 {
				return nil, fmt.Errorf("Unknown column '%s' in 'columns' header", name)
			}
			if named[idx] {
				return nil, fmt.Errorf("Duplicate column: %s", name)
			}
			ld.srcCols = append(ld.srcCols, idx)
			named[idx] = true
		}
	}
	for i, c := range cols {
		if named[i] {
			continue
		}
		ld.partial = true
		switch {
		case c.Default != nil:
			v, err := types.ParseValue(c.Type, *c.Default)
			if err != nil {
				return nil, fmt.Errorf("default of column %s: %v", c.Name, err)
			}
			ld.fill[i] = v
		case c.Nullable:
			ld.fill[i] = types.NullValue
		default:
			return nil, fmt.Errorf("Column '%s' has no default value and is not in the columns header", c.Name)
		}
	}
	return ld, nil
}

// read parses the body until it ends, then merges the parsers' counts.
func (ld *loader) read(body io.Reader) error {
	workers := min(runtime.GOMAXPROCS(0), maxLoadWorkers)
	g, gctx := errgroup.WithContext(ld.ctx)
	blocks := make(chan string, workers)
	parsers := make([]*parser, workers)
	for i := range parsers {
		p := ld.newParser()
		parsers[i] = p
		g.Go(func() error {
			for text := range blocks {
				if err := p.block(text); err != nil {
					return err
				}
			}
			return nil
		})
	}
	readErr := ld.split(gctx, body, blocks)
	err := g.Wait()
	for _, p := range parsers {
		ld.total += p.total
		ld.loaded += p.loaded
		ld.filtered += p.filtered
		ld.errLines = append(ld.errLines, p.errLines...)
	}
	ld.errLines = ld.errLines[:min(len(ld.errLines), maxErrorLines)]
	if err != nil {
		return err
	}
	return readErr
}

// split reads the body into blocks of whole lines (the last one may lack
// its delimiter), drops the skip_header lines and hands the blocks out. It
// closes out when it returns.
func (ld *loader) split(ctx context.Context, body io.Reader, out chan<- string) error {
	defer close(out)
	delim := ld.opts.delim
	skip := ld.opts.skipHeader
	buf := make([]byte, 0, loadBlockSize)
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return err // a parse worker failed: stop reading
		}
		if len(buf) == cap(buf) {
			// A line longer than the block: grow (a new array; nothing
			// refers to this one yet).
			buf = append(buf[:cap(buf)], 0)[:len(buf)]
		}
		n, err := io.ReadFull(body, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		ld.bytes += int64(n)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			return fmt.Errorf("read the load data: %w", err)
		}
		end := len(buf)
		if !eof {
			i := bytes.LastIndex(buf, delim)
			if i < 0 {
				continue
			}
			end = i + len(delim)
		}
		// The block becomes a string without a copy: buf is never written
		// again; the partial line after it moves to a fresh buffer.
		text := unsafe.String(unsafe.SliceData(buf), end)
		// A grown buffer (a very long line) is not kept for later blocks.
		next := make([]byte, len(buf)-end, max(loadBlockSize, 2*(len(buf)-end)))
		copy(next, buf[end:])
		buf = next
		for ; skip > 0 && text != ""; skip-- {
			if i := strings.Index(text, string(delim)); i >= 0 {
				text = text[i+len(delim):]
			} else {
				text = ""
			}
		}
		if text == "" {
			continue
		}
		select {
		case out <- text:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// writer returns the load's writer for a tablet, creating it on first use.
func (ld *loader) writer(pi, ti int) *tabletWriter {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if w := ld.grid[pi][ti]; w != nil {
		return w
	}
	tablet := ld.tablets[pi][ti]
	w := ld.n.newTabletWriter(ld.st, ld.svc, tablet, ld.begin.TxnID, ld.begin.GTID, ld.schema, ld.up)
	ld.grid[pi][ti] = w
	ld.writers = append(ld.writers, w)
	ld.writes = append(ld.writes, rpc.TabletWrite{PartitionID: ld.begin.Partitions[pi].Route.ID, TabletID: tablet.ID})
	return w
}

// grew accounts for open segments growing (or shrinking) by delta bytes;
// past loadOpenBytes it closes and uploads the largest until the load is
// within bounds again, so a load's memory stays bounded however many
// tablets it writes.
func (ld *loader) grew(delta int) error {
	if ld.open.Add(int64(delta)) <= loadOpenBytes {
		return nil
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	for ld.open.Load() > loadOpenBytes {
		var big *tabletWriter
		bigSize := 0
		for _, w := range ld.writers {
			if n := w.buffered(); n > bigSize {
				big, bigSize = w, n
			}
		}
		if big == nil {
			return nil
		}
		n, err := big.flush()
		if err != nil {
			return err
		}
		ld.open.Add(-int64(n))
	}
	return nil
}

// stop ends a failed load's work: parsing and uploads are cancelled, and
// stop returns once no upload is in flight (the transaction may then be
// aborted; vacuum deletes what was written).
func (ld *loader) stop() {
	ld.cancel()
	_ = ld.up.wait()
}

// finish writes every tablet's last segment and txn log and records how
// many rows each got.
func (ld *loader) finish(ctx context.Context) error {
	for i, w := range ld.writers {
		log, err := w.finish(ctx, "write", nil)
		if err != nil {
			return err
		}
		if log != nil && log.Rowset != nil {
			ld.writes[i].Rows = log.Rowset.Rows
		}
	}
	return nil
}

// parser is one parse worker's state: its row being parsed, its batches
// and its counts.
type parser struct {
	ld      *loader
	scratch lake.Row         // the row being parsed
	batches [][]*tabletBatch // by partition index, bucket index
	open    []*tabletBatch   // batches holding rows

	total, loaded, filtered int64
	errLines                []string
}

// tabletBatch collects one tablet's rows; the segment writer copies them
// when they are added.
type tabletBatch struct {
	w      *tabletWriter
	rows   []lake.Row
	vals   []types.Value // the rows' values, batchRows rows' worth
	listed bool          // in parser.open
}

func (ld *loader) newParser() *parser {
	p := &parser{ld: ld, scratch: make(lake.Row, len(ld.schema.Columns))}
	for _, ts := range ld.tablets {
		p.batches = append(p.batches, make([]*tabletBatch, len(ts)))
	}
	return p
}

// block parses the lines of one block; empty lines are skipped. Then it
// encodes what its batches hold, so the block's text can be freed.
func (p *parser) block(text string) error {
	delim := string(p.ld.opts.delim)
	for len(text) > 0 {
		line := text
		if i := strings.Index(text, delim); i >= 0 {
			line, text = text[:i], text[i+len(delim):]
		} else {
			text = ""
		}
		if len(line) > 0 {
			if err := p.row(line); err != nil {
				return err
			}
		}
	}
	for _, tb := range p.open {
		tb.listed = false
		if err := p.add(tb); err != nil {
			return err
		}
	}
	p.open = p.open[:0]
	return nil
}

// add encodes a batch's rows into its tablet writer and empties it.
func (p *parser) add(tb *tabletBatch) error {
	if len(tb.rows) == 0 {
		return nil
	}
	delta, err := tb.w.add(tb.rows)
	if err != nil {
		return err
	}
	clear(tb.rows)
	clear(tb.vals)
	tb.rows, tb.vals = tb.rows[:0], tb.vals[:0]
	return p.ld.grew(delta)
}

// reject records a filtered row.
func (p *parser) reject(line string, format string, args ...any) {
	p.filtered++
	if len(p.errLines) < maxErrorLines {
		p.errLines = append(p.errLines, fmt.Sprintf("Error: "+format+". Row: %s", append(args, line)...))
	}
}

// row parses, converts and routes one line.
func (p *parser) row(line string) error {
	p.total++
	ld := p.ld
	cols := ld.schema.Columns
	row := p.scratch
	if ld.partial {
		copy(row, ld.fill)
	}
	sep := ld.sep
	rest := line
	n := 0
	for {
		field, more := rest, false
		if i := strings.Index(rest, sep); i >= 0 {
			field, rest, more = rest[:i], rest[i+len(sep):], true
		}
		if n < len(ld.srcCols) {
			idx := ld.srcCols[n]
			c := &cols[idx]
			if field == `\N` {
				if !c.Nullable {
					p.reject(line, "NULL value in non-nullable column '%s'", c.Name)
					return nil
				}
				row[idx] = types.NullValue
			} else if c.Type.IsString() && !utf8.ValidString(field) {
				p.reject(line, "Value of column '%s' is not valid UTF-8 (%d bytes)", c.Name, len(field))
				return nil
			} else {
				v, err := types.ParseValue(c.Type, field)
				if err != nil {
					if c.Type.IsString() {
						p.reject(line, "String '%s'(length=%d) is too long. The max length of '%s' is %d", field, len(field), c.Name, c.Type.Len)
					} else {
						p.reject(line, "The field (name = %s, pos = %d) is out of range. Type: %s, Value length: %d, Value: %s",
							c.Name, n, strings.ToUpper(c.Type.SQL()), len(field), field)
					}
					return nil
				}
				row[idx] = v
			}
		}
		n++
		if !more {
			break
		}
	}
	if n != len(ld.srcCols) {
		p.reject(line, "Target column count: %d doesn't match source value column count: %d. Column separator: '%s', Row delimiter: '%s'",
			len(ld.srcCols), n, displaySep(ld.opts.sep), displaySep(ld.opts.delim))
		return nil
	}
	pi, ti, err := ld.router.Route(row)
	if err != nil {
		if errors.Is(err, lake.ErrNoPartition) {
			p.reject(line, "The row is out of partition ranges. Please add a new partition")
			return nil
		}
		return err
	}
	tb := p.batches[pi][ti]
	if tb == nil {
		tb = &tabletBatch{w: ld.writer(pi, ti), rows: make([]lake.Row, 0, batchRows), vals: make([]types.Value, 0, batchRows*len(cols))}
		p.batches[pi][ti] = tb
	}
	p.loaded++
	if !tb.listed {
		tb.listed = true
		p.open = append(p.open, tb)
	}
	// Into the batch's slab: small enough to stay in the CPU cache.
	at := len(tb.vals)
	tb.vals = append(tb.vals, row...)
	tb.rows = append(tb.rows, tb.vals[at:len(tb.vals):len(tb.vals)])
	if len(tb.rows) == batchRows {
		// Full: encode now; the batch stays listed, empty.
		return p.add(tb)
	}
	return nil
}
