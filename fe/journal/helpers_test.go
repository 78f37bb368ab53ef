package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/minirocks/minirocks/internal/poll"
	"github.com/stretchr/testify/require"
)

const (
	opPut     OpType = 1
	opStarMgr OpType = 2
)

type appliedOp struct {
	ID   uint64 `json:"id"`
	Type OpType `json:"type"`
	Ver  uint8  `json:"ver"`
	Data string `json:"data"`
}

// testSM is a tiny state machine: the list of applied ops, a counter, and a
// StarMgr journal id (count of opStarMgr ops).
type testSM struct {
	mu         sync.Mutex
	ops        []appliedOp
	counter    int64
	starmgr    uint64
	applyCalls int
	restored   *ImageHeader
}

type testImage struct {
	Ops     []appliedOp `json:"ops"`
	Counter int64       `json:"counter"`
	StarMgr uint64      `json:"starmgr"`
}

func (s *testSM) Apply(id uint64, ops []Op) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyCalls++
	for _, op := range ops {
		s.ops = append(s.ops, appliedOp{ID: id, Type: op.Type, Ver: op.Version, Data: string(op.Data)})
		s.counter++
		if op.Type == opStarMgr {
			s.starmgr++
		}
	}
	return s.counter
}

type testSnap struct{ img testImage }

func (s *testSnap) JournalIDs() map[string]uint64 { return map[string]uint64{"starmgr": s.img.StarMgr} }
func (s *testSnap) WriteTo(w io.Writer) (int64, error) {
	b, err := json.Marshal(s.img)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}
func (s *testSnap) Release() {}

func (s *testSM) Snapshot() (StateSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &testSnap{img: testImage{Ops: s.ops[:len(s.ops):len(s.ops)], Counter: s.counter, StarMgr: s.starmgr}}, nil
}

func (s *testSM) Restore(h ImageHeader, body io.Reader) error {
	var img testImage
	if err := json.NewDecoder(body).Decode(&img); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops, s.counter, s.starmgr = img.Ops, img.Counter, img.StarMgr
	s.applyCalls = 0
	s.restored = &h
	return nil
}

func (s *testSM) digest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(testImage{Ops: s.ops, Counter: s.counter, StarMgr: s.starmgr})
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d ops/%s", len(s.ops), hex.EncodeToString(sum[:8]))
}

func (s *testSM) restoredFrom() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.restored == nil {
		return 0
	}
	return s.restored.FEJournalID
}

// restoredHeader is the header of the image the state was restored from.
func (s *testSM) restoredHeader() *ImageHeader {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restored
}

// starMgrOpsUpTo counts the StarMgr ops applied at journal ids <= id: the
// StarMgr journal id of the state as of id.
func (s *testSM) starMgrOpsUpTo(id uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n uint64
	for _, op := range s.ops {
		if op.ID <= id && op.Type == opStarMgr {
			n++
		}
	}
	return n
}

func (s *testSM) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyCalls
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// node is one FE journal over real TCP through a Mux.
type node struct {
	t    testing.TB
	id   string
	dir  string
	addr string
	mux  *Mux
	j    *Journal
	sm   *testSM
	logs *syncBuffer
	cfg  Config
}

func newNode(t testing.TB, id, dir string, mod func(*Config)) *node {
	n := &node{t: t, id: id, dir: dir, addr: "127.0.0.1:0"}
	n.cfg = Config{MetaDir: dir, NodeID: id, Bootstrap: true, CheckpointInterval: 20 * time.Millisecond, RollNum: 1 << 40}
	if mod != nil {
		mod(&n.cfg)
	}
	return n
}

// start opens (or reopens) the node's journal on its (sticky) address.
func (n *node) start() {
	t := n.t
	t.Helper()
	var ln net.Listener
	// The old socket may still be closing.
	poll.For(t, 5*time.Second, func() (err error) {
		ln, err = net.Listen("tcp", n.addr)
		return err
	})
	var err error
	n.addr = ln.Addr().String()
	n.mux = NewMux(ln)
	n.sm = &testSM{}
	n.logs = &syncBuffer{}
	logs := n.logs
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("JOURNAL_TEST_LOGS") != "" {
			t.Logf("log of %s:\n%s", n.id, logs.String())
		}
	})
	cfg := n.cfg
	cfg.Stream = n.mux.Stream(TagRaft)
	cfg.Advertise = n.addr
	cfg.Logger = slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n.j, err = Open(cfg, n.sm)
	require.NoError(t, err)
}

func (n *node) stop() {
	n.t.Helper()
	if n.j == nil {
		return
	}
	require.NoError(n.t, n.j.Close())
	require.NoError(n.t, n.mux.Close())
	n.j = nil
}

func (n *node) waitReady() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(n.t, n.j.WaitReady(ctx))
}

// proposeN proposes n single-op entries with the given concurrency and
// returns the highest journal id.
func proposeN(t testing.TB, j *Journal, n, clients int, prefix string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var maxID uint64
	var firstErr error
	var wg sync.WaitGroup
	per := (n + clients - 1) / clients
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < per && c*per+i < n; i++ {
				k := c*per + i
				typ := opPut
				if k%5 == 0 {
					typ = opStarMgr
				}
				_, id, err := j.Propose(ctx, Op{Type: typ, Version: 1, Data: []byte(fmt.Sprintf(`{"k":"%s-%d"}`, prefix, k))})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if id > maxID {
					maxID = id
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}(c)
	}
	wg.Wait()
	require.NoError(t, firstErr)
	return maxID
}

func waitApplied(t testing.TB, j *Journal, id uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, j.WaitApplied(ctx, id))
}
