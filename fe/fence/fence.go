// Package fence keeps two incarnations of one cluster from writing to the
// same {location}/{service_id} unnoticed. A cluster restored from a
// snapshot uses the very prefix its original used, and if the original is
// still running (a partition healed, a forgotten machine), each would
// vacuum the other's files. The leader FE of every incarnation holds a
// lease object there (layout.LeaseKey) naming its incarnation: the
// cluster's generation (restores it went through), the time of its
// restore and a digest of its cluster token (which a restore renews). A
// newer incarnation takes the lease over at once; an older one that finds
// a newer one's lease fenced: it stops loading, compacting, vacuuming,
// purging and taking snapshots there, and says so in its log and its load
// errors. The older cluster's FEs are already cut off from the newer's
// raft group by the renewed token (journal.Mux.FencedStream).
package fence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// Lease is the content of the lease object.
type Lease struct {
	ClusterID string `json:"cluster_id"`
	// Incarnation is a digest of the cluster token (never the token).
	Incarnation string `json:"incarnation"`
	Generation  int64  `json:"generation"`
	RestoredAt  int64  `json:"restored_at,omitempty"`
	Leader      string `json:"leader"`
	RenewedAt   int64  `json:"renewed_at"`
}

// newer reports whether l's incarnation supersedes o's.
func (l Lease) newer(o Lease) bool {
	if l.Generation != o.Generation {
		return l.Generation > o.Generation
	}
	if l.RestoredAt != o.RestoredAt {
		return l.RestoredAt > o.RestoredAt
	}
	return l.Incarnation > o.Incarnation
}

// Store is what the fence needs of a volume's object store (volume.Store).
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	PutBytes(ctx context.Context, key string, b []byte) error
	Close()
}

// Leadership tells whether this FE leads.
type Leadership interface {
	Leading() bool
}

// Config is what a Fence needs.
type Config struct {
	Catalog   *catalog.Catalog
	ServiceID func() string
	Leader    Leadership
	// Host is this FE's address, written into the lease.
	Host string
	// OpenStore opens a volume's object store (volume.Open by default).
	OpenStore func(ctx context.Context, v *catalog.StorageVolume) (Store, error)
	// Renew is how often the leader renews the lease (5 s when zero).
	Renew  time.Duration
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Fence holds this incarnation's lease while the FE leads.
type Fence struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	fenced string // why this incarnation is fenced; "" when it is not
}

// New returns a Fence; Run renews the lease.
func New(cfg Config) *Fence {
	if cfg.Renew == 0 {
		cfg.Renew = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenStore == nil {
		cfg.OpenStore = func(ctx context.Context, v *catalog.StorageVolume) (Store, error) {
			if len(v.Locations) == 0 {
				return nil, fmt.Errorf("storage volume %s has no location", v.Name)
			}
			return volume.Open(ctx, v.Locations[0], v.Properties)
		}
	}
	return &Fence{cfg: cfg, log: cfg.Logger}
}

// Incarnation is the digest of a cluster token that a lease names.
func Incarnation(token string) string {
	sum := sha256.Sum256([]byte("minirocks incarnation\x00" + token))
	return hex.EncodeToString(sum[:8])
}

// Err is nil while this incarnation may write to its object storage, and
// says why not when a newer incarnation of the cluster holds it. Loads,
// lake maintenance and snapshots ask it before they write or delete.
func (f *Fence) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fenced == "" {
		return nil
	}
	return errors.New(f.fenced)
}

// Run renews the lease every Renew while this FE leads, until ctx ends.
func (f *Fence) Run(ctx context.Context) {
	t := time.NewTicker(f.cfg.Renew)
	defer t.Stop()
	for {
		if f.cfg.Leader.Leading() {
			if err := f.Renew(ctx); err != nil {
				f.log.Warn("cannot renew the storage lease", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Renew reads the lease of every storage volume location and writes this
// incarnation's, unless a newer incarnation holds one: then this one is
// fenced from then on.
func (f *Fence) Renew(ctx context.Context) error {
	cat := f.cfg.Catalog
	gen, restoredAt := cat.Generation()
	mine := Lease{ClusterID: cat.ClusterID(), Incarnation: Incarnation(cat.ClusterToken()), Generation: gen,
		RestoredAt: restoredAt, Leader: f.cfg.Host, RenewedAt: f.cfg.Now().UnixMilli()}
	key := layout.LeaseKey(f.cfg.ServiceID())
	seen := map[string]bool{}
	var firstErr error
	for _, v := range cat.StorageVolumes() {
		if len(v.Locations) == 0 || seen[v.Locations[0]] {
			continue
		}
		seen[v.Locations[0]] = true
		if err := f.renewOne(ctx, v, key, mine); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (f *Fence) renewOne(ctx context.Context, v *catalog.StorageVolume, key string, mine Lease) error {
	st, err := f.cfg.OpenStore(ctx, v)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := st.Get(ctx, key)
	switch {
	case errors.Is(err, volume.ErrNotFound):
	case err != nil:
		return err
	default:
		var theirs Lease
		if json.Unmarshal(b, &theirs) == nil && theirs.Incarnation != mine.Incarnation && theirs.newer(mine) {
			msg := fmt.Sprintf("a newer incarnation of this cluster (restored from a cluster snapshot: generation %d, leader %s) writes to %s; "+
				"this cluster no longer loads, compacts, vacuums or takes snapshots there. Stop it: its data belongs to the restored cluster",
				theirs.Generation, theirs.Leader, strings.TrimRight(v.Locations[0], "/"))
			f.mu.Lock()
			first := f.fenced == ""
			f.fenced = msg
			f.mu.Unlock()
			if first {
				f.log.Error("fenced: " + msg)
			}
			return nil
		}
	}
	f.mu.Lock()
	fenced := f.fenced != ""
	f.mu.Unlock()
	if fenced {
		return nil // fenced for good: never take the lease back
	}
	nb, _ := json.Marshal(mine)
	return st.PutBytes(ctx, key, nb)
}
