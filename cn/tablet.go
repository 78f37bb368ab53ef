package cn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/rpc"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// segmentTarget is the size at which a tablet writer closes a segment and
// uploads it.
const segmentTarget = 64 << 20

// objKey is the object key of a lake file of a tablet:
// {service_id}/{partition dir}/{relative key}.
func objKey(svc string, t rpc.Tablet, rel string) string { return layout.Key(svc, t.Dir, rel) }

// storageErr turns a storage failure into the RPC error users see; it
// names the object (volume errors carry its s3:// URL).
func storageErr(err error) error {
	var ce *lake.CorruptError
	if errors.As(err, &ce) || errors.Is(err, lake.ErrCorrupt) {
		return rpc.Errorf("corrupt", "%v", err)
	}
	return rpc.Errorf("storage", "%v", err)
}

// readMeta returns a tablet's metadata at version; version 1 of every
// tablet is empty and needs no object.
func (n *Node) readMeta(ctx context.Context, st *volume.Store, svc string, t rpc.Tablet, version int64) (*lake.TabletMeta, error) {
	key := objKey(svc, t, layout.MetaKey(t.ID, version))
	data, err := st.Get(ctx, key)
	if errors.Is(err, volume.ErrNotFound) {
		if version == 1 {
			return lake.EmptyMeta(t.ID), nil
		}
		return nil, rpc.Errorf("not_found", "tablet %d has no version %d (%s)", t.ID, version, st.URL(key))
	}
	if err != nil {
		return nil, storageErr(err)
	}
	m, err := lake.DecodeMeta(st.URL(key), data)
	if err != nil {
		return nil, storageErr(err)
	}
	return m, nil
}

// chunks is a byte sequence held in pieces, so a segment of tens of MB is
// never copied to grow or to hand over.
type chunks [][]byte

func (c chunks) len() int {
	n := 0
	for _, b := range c {
		n += len(b)
	}
	return n
}

// reader reads the chunks in order; it also seeks and reads at offsets, so
// the object store can retry a request or upload parts in parallel without
// copying the data.
func (c chunks) reader() *chunkReader { return &chunkReader{c: c, size: int64(c.len())} }

// chunkReader is an io.Reader, io.ReaderAt and io.Seeker over chunks.
type chunkReader struct {
	c    chunks
	size int64
	off  int64
}

// ReadAt copies from the chunks starting at off.
func (r *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("chunkReader: negative offset")
	}
	n := 0
	pos := int64(0)
	for _, b := range r.c {
		end := pos + int64(len(b))
		if off < end && n < len(p) {
			k := copy(p[n:], b[off-pos:])
			n += k
			off += int64(k)
		}
		pos = end
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

// Read reads from the current offset.
func (r *chunkReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek moves the offset (io.Seeker).
func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("chunkReader: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("chunkReader: negative position")
	}
	r.off = offset
	return offset, nil
}

// Size is the number of bytes in all chunks.
func (r *chunkReader) Size() int64 { return r.size }

// chunkSize is the size of the chunks a chunkBuffer allocates.
const chunkSize = 256 << 10

// chunkBuffer is an io.Writer collecting chunks of chunkSize bytes.
type chunkBuffer struct {
	c chunks
	n int
}

func (b *chunkBuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(b.c) == 0 || len(b.c[len(b.c)-1]) == cap(b.c[len(b.c)-1]) {
			b.c = append(b.c, make([]byte, 0, chunkSize))
		}
		last := &b.c[len(b.c)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	b.n += n
	return n, nil
}

// Len is the number of bytes written.
func (b *chunkBuffer) Len() int { return b.n }

// take returns the bytes written and empties the buffer.
func (b *chunkBuffer) take() chunks {
	c := b.c
	b.c, b.n = nil, 0
	return c
}

// segmentUnique draws the random part of a new segment's key
// (layout.SegmentKey): 64 bits from crypto/rand, so no two writers, in this
// cluster or in another incarnation of it restored from a snapshot into
// the same bucket, ever pick the same key.
func segmentUnique() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return binary.LittleEndian.Uint64(b[:])
}

// tabletWriter writes one transaction's rows into one tablet: segments of
// up to segmentTarget bytes, then a txn log listing them. The parse workers
// of one load share a writer; its lock makes each call whole.
type tabletWriter struct {
	n      *Node
	st     *volume.Store
	svc    string
	tablet rpc.Tablet
	txnID  int64
	gtid   int64
	schema *lake.Schema
	up     *uploader

	mu     sync.Mutex // guards everything below
	buf    chunkBuffer
	sw     *lake.SegmentWriter
	rows   int64 // rows in the open segment
	seq    int
	rowset lake.Rowset
}

func (n *Node) newTabletWriter(st *volume.Store, svc string, t rpc.Tablet, txnID, gtid int64, s *lake.Schema, up *uploader) *tabletWriter {
	return &tabletWriter{n: n, st: st, svc: svc, tablet: t, txnID: txnID, gtid: gtid, schema: s, up: up}
}

// add appends rows, closing and uploading a segment when it is large
// enough; it returns how much the open segment grew (negative when it was
// closed).
func (w *tabletWriter) add(rows []lake.Row) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := w.openLocked()
	if len(rows) == 0 {
		return 0, nil
	}
	if w.sw == nil {
		w.sw = lake.NewSegmentWriter(&w.buf, w.schema)
	}
	if err := w.sw.Append(rows); err != nil {
		return 0, rpc.Errorf("invalid", "tablet %d: %v", w.tablet.ID, err)
	}
	w.rows += int64(len(rows))
	if w.buf.Len() >= segmentTarget {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
	}
	return w.openLocked() - before, nil
}

// openLocked is the size of the open segment: what was written of it and
// the block being encoded.
func (w *tabletWriter) openLocked() int {
	n := w.buf.Len()
	if w.sw != nil {
		n += w.sw.Pending()
	}
	return n
}

// buffered is the size of the open segment.
func (w *tabletWriter) buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.openLocked()
}

// flush closes the open segment and hands it to the uploader; it returns
// the size the open segment had.
func (w *tabletWriter) flush() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.openLocked()
	return n, w.flushLocked()
}

func (w *tabletWriter) flushLocked() error {
	if w.sw == nil || w.rows == 0 {
		return nil
	}
	info, err := w.sw.Close()
	if err != nil {
		return err
	}
	name := layout.SegmentKey(w.txnID, w.tablet.ID, w.seq, segmentUnique())
	w.seq++
	data := w.buf.take()
	w.sw, w.rows = nil, 0
	w.rowset.Segments = append(w.rowset.Segments, lake.SegmentRef{Name: name, Rows: info.Rows, Size: info.Size})
	w.rowset.Rows += info.Rows
	w.rowset.Size += info.Size
	w.up.put(w.st, objKey(w.svc, w.tablet, name), data)
	return nil
}

// finish flushes the last segment, waits for the uploads and writes the txn
// log (for a compaction, with the rowsets it replaces). A tablet that got no
// rows and is not compacted gets no txn log.
func (w *tabletWriter) finish(ctx context.Context, op string, inputs []uint32) (*lake.TxnLog, error) {
	if _, err := w.flush(); err != nil {
		return nil, err
	}
	if err := w.up.wait(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	rs := w.rowset
	w.mu.Unlock()
	return writeTxnLog(ctx, w.st, w.svc, w.tablet, w.txnID, w.gtid, op, inputs, rs)
}

// writeTxnLog writes a tablet's txn log: the rowset a transaction wrote
// (and, for a compaction, the rowsets it replaces). A write that added no
// rows gets no txn log.
func writeTxnLog(ctx context.Context, st *volume.Store, svc string, t rpc.Tablet, txnID, gtid int64, op string, inputs []uint32, rs lake.Rowset) (*lake.TxnLog, error) {
	if rs.Rows == 0 && op == "write" {
		return nil, nil
	}
	log := &lake.TxnLog{TabletID: t.ID, TxnID: txnID, GTID: gtid, Op: op, InputRowsets: inputs}
	if rs.Rows > 0 {
		rs.TxnID = txnID
		log.Rowset = &rs
	}
	key := objKey(svc, t, layout.TxnLogKey(t.ID, txnID))
	if err := st.PutBytes(ctx, key, lake.EncodeTxnLog(log)); err != nil {
		return nil, storageErr(err)
	}
	return log, nil
}

// uploader uploads segments in the background, up to a number of bytes at
// a time, so that parsing and encoding go on while earlier segments travel
// and memory stays bounded. wait may be called any number of times; the
// first failure sticks.
type uploader struct {
	ctx      context.Context
	maxBytes int64
	sem      *semaphore.Weighted
	wg       sync.WaitGroup
	mu       sync.Mutex
	err      error
}

func newUploader(ctx context.Context, maxBytes int64) *uploader {
	return &uploader{ctx: ctx, maxBytes: maxBytes, sem: semaphore.NewWeighted(maxBytes)}
}

func (u *uploader) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *uploader) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
}

// put starts uploading data as key once the bytes in flight allow it (a
// segment larger than the bound travels alone).
func (u *uploader) put(st *volume.Store, key string, data chunks) {
	if u.failed() != nil {
		return
	}
	size := int64(data.len())
	weight := min(size, u.maxBytes)
	if err := u.sem.Acquire(u.ctx, weight); err != nil {
		u.fail(err)
		return
	}
	u.wg.Add(1)
	go func() {
		defer func() { u.sem.Release(weight); u.wg.Done() }()
		if err := st.Put(u.ctx, key, data.reader(), size); err != nil {
			u.fail(storageErr(err))
		}
	}()
}

func (u *uploader) wait() error {
	u.wg.Wait()
	return u.failed()
}

// write handles the FE's write RPC: the rows of one transaction for one tablet.
func (n *Node) write(ctx context.Context, req *rpc.WriteRequest, body io.Reader) (*rpc.WriteResponse, error) {
	st, svc, err := n.store(ctx, req.Tablet.VolumeID)
	if err != nil {
		return nil, err
	}
	if err := req.Schema.Validate(); err != nil {
		return nil, rpc.Errorf("invalid", "%v", err)
	}
	w := n.newTabletWriter(st, svc, req.Tablet, req.TxnID, req.GTID, req.Schema, newUploader(ctx, 2*segmentTarget))
	sr := rpc.NewStreamReader(body, "FE")
	for {
		b, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rows, err := lake.DecodeBlock(req.Schema, b)
		if err != nil {
			return nil, rpc.Errorf("invalid", "rows from the FE: %v", err)
		}
		if _, err := w.add(rows); err != nil {
			return nil, err
		}
	}
	log, err := w.finish(ctx, "write", nil)
	if err != nil {
		return nil, err
	}
	resp := &rpc.WriteResponse{}
	if log != nil && log.Rowset != nil {
		resp.Rows, resp.Bytes, resp.Segments = log.Rowset.Rows, log.Rowset.Size, len(log.Rowset.Segments)
	}
	return resp, nil
}

// publish makes version req.Version of each tablet from version-1 and the
// transaction's txn log. It is idempotent: a version already written by the
// same transaction (same txn id and GTID, lake.TabletMeta.WrittenBy) is left
// alone; one written by another transaction with that number, or by a
// transaction with the same id and another GTID (a stale file of a lost
// timeline after a restore from a cluster snapshot), counts as absent and
// is overwritten; a txn log with another GTID is never applied
// (lake.PublishTxn).
func (n *Node) publish(ctx context.Context, req *rpc.PublishRequest) (*rpc.PublishResponse, error) {
	if err := n.fence(req.Term, "publish"); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	stats := make([]rpc.TabletStats, len(req.Tablets))
	for i, t := range req.Tablets {
		g.Go(func() error {
			m, err := n.publishTablet(gctx, t, req)
			if err != nil {
				return err
			}
			rows, size := m.Stats()
			stats[i] = rpc.TabletStats{ID: t.ID, Rows: rows, DataSize: size}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &rpc.PublishResponse{Published: len(req.Tablets), Tablets: stats}, nil
}

// testHookPublishChecked, when set (by tests), runs in publishTablet after
// it found no version written by the transaction and before it reads the
// txn log: the window in which another publisher may finish.
var testHookPublishChecked func(tabletID int64)

// publishTablet makes the tablet's metadata at the version and returns it.
func (n *Node) publishTablet(ctx context.Context, t rpc.Tablet, req *rpc.PublishRequest) (*lake.TabletMeta, error) {
	st, svc, err := n.store(ctx, t.VolumeID)
	if err != nil {
		return nil, err
	}
	target := objKey(svc, t, layout.MetaKey(t.ID, req.Version))
	if m, err := publishedBy(ctx, st, target, req); m != nil || err != nil {
		return m, err
	}
	if testHookPublishChecked != nil {
		testHookPublishChecked(t.ID)
	}
	base, err := n.readMeta(ctx, st, svc, t, req.Version-1)
	if err != nil {
		return nil, err
	}
	logKey := objKey(svc, t, layout.TxnLogKey(t.ID, req.TxnID))
	hasData := slices.Contains(req.DataTablets, t.ID)
	// The log under the txn id may be a leftover of a lost timeline (same
	// txn id, another gtid): lake.PublishTxn never applies it.
	var found *lake.TxnLog
	data, err := st.Get(ctx, logKey)
	switch {
	case errors.Is(err, volume.ErrNotFound):
	case err != nil:
		return nil, storageErr(err)
	default:
		if found, err = lake.DecodeTxnLog(st.URL(logKey), data); err != nil {
			return nil, storageErr(err)
		}
	}
	next, err := lake.PublishTxn(base, found, hasData, req.Version, req.TxnID, req.GTID)
	switch {
	case errors.Is(err, lake.ErrNoTxnLog) && found != nil:
		return missingLog(ctx, st, t, target, logKey, req, fmt.Sprintf("its txn log belongs to another timeline (gtid %d)", found.GTID))
	case errors.Is(err, lake.ErrNoTxnLog):
		return missingLog(ctx, st, t, target, logKey, req, "its txn log is missing")
	case err != nil:
		return nil, rpc.Errorf("invalid", "tablet %d: %v", t.ID, err)
	}
	if err := st.PutBytes(ctx, target, lake.EncodeMeta(next)); err != nil {
		return nil, storageErr(err)
	}
	if data != nil {
		_ = st.Delete(ctx, logKey) // published; vacuum removes it if this fails
	}
	return next, nil
}

// publishedBy returns the tablet's metadata at the target key when the
// publishing transaction (same txn id and GTID) wrote it, or nil.
func publishedBy(ctx context.Context, st *volume.Store, target string, req *rpc.PublishRequest) (*lake.TabletMeta, error) {
	data, err := st.Get(ctx, target)
	if errors.Is(err, volume.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storageErr(err)
	}
	if m, err := lake.DecodeMeta(st.URL(target), data); err == nil && m.WrittenBy(req.TxnID, req.GTID) {
		return m, nil
	}
	return nil, nil
}

// missingLog is publish's answer for a tablet that received data but has
// no txn log of the transaction. Another publisher may have published it
// meanwhile and deleted the log: then the version it wrote is the answer.
// Otherwise the log is lost, and publish fails rather than make an empty
// version over rows a load was acknowledged for.
func missingLog(ctx context.Context, st *volume.Store, t rpc.Tablet, target, logKey string, req *rpc.PublishRequest, why string) (*lake.TabletMeta, error) {
	if m, err := publishedBy(ctx, st, target, req); m != nil || err != nil {
		return m, err
	}
	return nil, rpc.Errorf(rpc.CodeMissingTxnLog, "tablet %d: cannot publish version %d of transaction %d: the tablet received data but %s (%s) and no version %d was written by the transaction; refusing to publish an empty version",
		t.ID, req.Version, req.TxnID, why, st.URL(logKey), req.Version)
}

// segmentRows reads one segment (through the cache).
func (n *Node) segmentRows(ctx context.Context, st *volume.Store, svc string, t rpc.Tablet, ref lake.SegmentRef, s *lake.Schema) (*lake.SegmentReader, error) {
	key := objKey(svc, t, ref.Name)
	data, err := n.cache.get(ctx, st, key, ref.Size, func(b []byte) error { return lake.VerifySegment(st.URL(key), b) })
	if err != nil {
		return nil, storageErr(err)
	}
	r, err := lake.NewSegmentReader(st.URL(key), data)
	if err != nil {
		return nil, storageErr(err)
	}
	if err := r.UseSchema(s); err != nil {
		return nil, rpc.Errorf("invalid", "%s: %v", st.URL(key), err)
	}
	return r, nil
}

// tabletRows calls fn with a tablet's rows at a version, merged as the
// table model says (duplicate-key tables stream block by block).
func (n *Node) tabletRows(ctx context.Context, t rpc.Tablet, version int64, s *lake.Schema, fn func([]lake.Row) error) error {
	st, svc, err := n.store(ctx, t.VolumeID)
	if err != nil {
		return err
	}
	meta, err := n.readMeta(ctx, st, svc, t, version)
	if err != nil {
		return err
	}
	var rowsets [][]lake.Row
	for _, rs := range meta.Rowsets {
		var all []lake.Row
		for _, ref := range rs.Segments {
			r, err := n.segmentRows(ctx, st, svc, t, ref, s)
			if err != nil {
				return err
			}
			for {
				rows, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return storageErr(err)
				}
				if !s.IsKeyModel() {
					if err := fn(rows); err != nil {
						return err
					}
					continue
				}
				all = append(all, rows...)
			}
		}
		if s.IsKeyModel() {
			rowsets = append(rowsets, all)
		}
	}
	if s.IsKeyModel() && len(rowsets) > 0 {
		return fn(lake.Merge(s, rowsets))
	}
	return nil
}

// compact merges a tablet's rowsets at the base version into one rowset,
// written as the compaction transaction's txn log.
func (n *Node) compact(ctx context.Context, req *rpc.CompactRequest) (*rpc.CompactResponse, error) {
	st, svc, err := n.store(ctx, req.Tablet.VolumeID)
	if err != nil {
		return nil, err
	}
	meta, err := n.readMeta(ctx, st, svc, req.Tablet, req.BaseVersion)
	if err != nil {
		return nil, err
	}
	if len(meta.Rowsets) <= 1 {
		return &rpc.CompactResponse{InputRowsets: len(meta.Rowsets)}, nil
	}
	var inputs []uint32
	for _, rs := range meta.Rowsets {
		inputs = append(inputs, rs.ID)
	}
	w := n.newTabletWriter(st, svc, req.Tablet, req.TxnID, req.GTID, req.Schema, newUploader(ctx, 2*segmentTarget))
	err = n.tabletRows(ctx, req.Tablet, req.BaseVersion, req.Schema, func(rows []lake.Row) error {
		_, err := w.add(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	log, err := w.finish(ctx, "compaction", inputs)
	if err != nil {
		return nil, err
	}
	resp := &rpc.CompactResponse{InputRowsets: len(inputs)}
	if log.Rowset != nil {
		resp.Rows = log.Rowset.Rows
	}
	return resp, nil
}

// vacuum deletes what lake.PlanVacuum says no retained version needs.
func (n *Node) vacuum(ctx context.Context, req *rpc.VacuumRequest) (*rpc.VacuumResponse, error) {
	if err := n.fence(req.Term, "vacuum"); err != nil {
		return nil, err
	}
	st, svc, err := n.store(ctx, req.VolumeID)
	if err != nil {
		return nil, err
	}
	prefix := layout.Key(svc, req.Dir, "")
	infos, err := st.List(ctx, prefix)
	if err != nil {
		return nil, storageErr(err)
	}
	objs := make([]lake.Object, 0, len(infos))
	for _, o := range infos {
		if rel, ok := strings.CutPrefix(o.Key, prefix); ok {
			objs = append(objs, lake.Object{Key: rel, Size: o.Size, Modified: o.Modified})
		}
	}
	pending := map[int64]bool{}
	for _, id := range req.PendingTxns {
		pending[id] = true
	}
	policy := lake.VacuumPolicy{MinRetainVersion: req.MinRetainVersion, PinnedVersions: req.PinnedVersions,
		PendingTxns: pending, Grace: timeFromMillis(req.GraceUnixMs)}
	retained := map[string]*lake.TabletMeta{}
	for _, rel := range lake.MetasToRead(objs, policy) {
		data, err := st.Get(ctx, prefix+rel)
		if err != nil {
			return nil, storageErr(err)
		}
		m, err := lake.DecodeMeta(st.URL(prefix+rel), data)
		if err != nil {
			return nil, storageErr(err)
		}
		retained[rel] = m
	}
	dels := lake.PlanVacuum(objs, retained, policy)
	keys := make([]string, len(dels))
	for i, d := range dels {
		keys[i] = prefix + d
		n.cache.forget(st, prefix+d)
	}
	if err := st.Delete(ctx, keys...); err != nil {
		return nil, storageErr(err)
	}
	return &rpc.VacuumResponse{Deleted: len(dels), Kept: len(objs) - len(dels)}, nil
}

// drop deletes every object of an erased partition.
func (n *Node) drop(ctx context.Context, req *rpc.DropRequest) (*rpc.DropResponse, error) {
	if err := n.fence(req.Term, "drop"); err != nil {
		return nil, err
	}
	st, svc, err := n.store(ctx, req.VolumeID)
	if err != nil {
		return nil, err
	}
	prefix := layout.Key(svc, req.Dir, "")
	if !strings.HasSuffix(prefix, "/") || strings.Count(req.Dir, "/") < 3 {
		return nil, rpc.Errorf("invalid", "refusing to drop %q: not a partition directory", req.Dir)
	}
	count, err := st.DeletePrefix(ctx, prefix)
	if err != nil {
		return nil, storageErr(err)
	}
	os.RemoveAll(filepath.Join(n.cache.dir, cachePath(st, prefix)))
	return &rpc.DropResponse{Deleted: count}, nil
}
