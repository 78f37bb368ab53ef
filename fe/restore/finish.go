package restore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/starmgr"
)

// Proposer journals ops as one entry (meta.Writer).
type Proposer interface {
	Propose(ctx context.Context, ops ...any) (uint64, error)
}

// IDs hands out ids from the FE's id generator (meta.IDAllocator).
type IDs interface {
	Alloc(ctx context.Context, n int) (int64, error)
}

// FinishDeps is what Finish needs of the restored leader.
type FinishDeps struct {
	Catalog  *catalog.Catalog
	StarMgr  *starmgr.StarMgr
	Proposer Proposer
	IDs      IDs
	// Self is this FE as the catalog is to list it.
	Self catalog.Frontend
	// NewToken is the restored cluster's new secret token: a new
	// incarnation, which the nodes of the lost one cannot reach or serve.
	NewToken string
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Finish completes a restore on the new leader, before it serves writes,
// through ordinary journaled operations: the frontends become this FE plus
// the yaml's (or, without a frontends section, the snapshot's others stay
// registered so that the same hosts can rejoin); compute nodes become the
// yaml's (or the snapshot's, with their liveness reset); the volumes the
// yaml lists replace the same-named ones, keeping their ids; and the job of
// the snapshot restored from is FINISHED, so that its data stays pinned
// until a newer snapshot of the restored cluster finishes. A crash part way
// leaves the restore unfinished: the next start restores again.
func Finish(ctx context.Context, p *Plan, d FinishDeps) error {
	if p == nil || p.Done {
		return nil
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	cat, cfg := d.Catalog, p.Config
	propose := func(what string, ops ...any) error {
		if len(ops) == 0 {
			return nil
		}
		if _, err := d.Proposer.Propose(ctx, ops...); err != nil {
			return fmt.Errorf("restore: %s: %w", what, err)
		}
		return nil
	}

	if err := propose("renew the cluster token", &catalog.RenewClusterTokenOp{Token: d.NewToken, Restore: true, Time: now().UnixMilli()}); err != nil {
		return err
	}

	// Frontends: this FE replaces any entry on its address; with a
	// frontends section, every other FE is dropped and the listed ones
	// added.
	var ops []any
	selfListed := false
	for _, f := range cat.Frontends() {
		if f.Name == d.Self.Name {
			selfListed = true
			continue
		}
		if f.Addr() == d.Self.Addr() || cfg.FrontendsSet {
			ops = append(ops, &catalog.DropFrontendOp{Name: f.Name})
		}
	}
	// Drops first: an entry checks against the catalog as it was before
	// it, and this FE may take the address of the entry it replaces.
	if err := propose("drop the replaced frontends", ops...); err != nil {
		return err
	}
	ops = nil
	if !selfListed {
		ops = append(ops, &catalog.AddFrontendOp{Frontend: d.Self})
	}
	if cfg.FrontendsSet {
		for _, f := range cfg.Frontends {
			name := fmt.Sprintf("%s_%d_%d", f.Host, f.EditLogPort, now().UnixMilli())
			ops = append(ops, &catalog.AddFrontendOp{Frontend: catalog.Frontend{Name: name, Host: f.Host, EditLogPort: f.EditLogPort, Role: f.Type}})
		}
	}
	if err := propose("add the frontends", ops...); err != nil {
		return err
	}

	// Compute nodes.
	ops = nil
	if cfg.ComputeNodesSet {
		for _, n := range cat.ComputeNodes() {
			ops = append(ops, &catalog.DropComputeNodeOp{ID: n.ID}, &starmgr.RemoveWorkerOp{ID: n.ID})
		}
		if err := propose("drop the compute nodes", ops...); err != nil {
			return err
		}
		ops = nil
		for _, n := range cfg.ComputeNodes {
			id, err := d.IDs.Alloc(ctx, 1)
			if err != nil {
				return fmt.Errorf("restore: compute node id: %w", err)
			}
			addr := fmt.Sprintf("%s:%d", n.Host, n.HeartbeatServicePort)
			ops = append(ops, &catalog.AddComputeNodeOp{Node: catalog.ComputeNode{ID: id, Host: n.Host, HeartbeatPort: n.HeartbeatServicePort}},
				&starmgr.AddWorkerOp{Worker: starmgr.Worker{ID: id, Addr: addr}})
		}
	} else {
		// No query may go to a host that was alive before the disaster
		// until it answers a heartbeat of this cluster.
		for _, n := range cat.ComputeNodes() {
			if n.State != nil && n.State.Alive {
				st := *n.State
				st.Alive = false
				st.ErrMsg = "restored from a cluster snapshot; no heartbeat yet"
				st.Since = now().UnixMilli()
				ops = append(ops, &catalog.ComputeNodeStateOp{ID: n.ID, State: st})
			}
		}
	}
	if err := propose("set the compute nodes", ops...); err != nil {
		return err
	}

	// Storage volumes.
	ops = nil
	for _, v := range cfg.StorageVolumes {
		old := cat.StorageVolume(v.Name)
		if old == nil {
			return fmt.Errorf("restore: %s:%d: Storage volume '%s' does not exist", cfg.Path, v.Line, v.Name)
		}
		nv := catalog.StorageVolume{ID: old.ID, Name: old.Name, Type: strings.ToUpper(v.Type), Locations: []string{v.Location},
			Comment: v.Comment, Properties: v.Properties, Enabled: old.Enabled}
		ops = append(ops, &catalog.ReplaceStorageVolumeOp{Volume: nv})
	}
	if err := propose("replace the storage volumes", ops...); err != nil {
		return err
	}

	// The snapshot restored from is FINISHED, with the restored state's pins.
	if p.Snapshot != "" {
		op := &catalog.RestoredSnapshotOp{Name: p.Snapshot, FEJournalID: p.FEJournalID, StarMgrJournalID: p.StarMgrJournalID,
			Time: now().UnixMilli(), Pins: cat.SnapshotPins()}
		if err := propose("mark snapshot "+p.Snapshot+" FINISHED", op); err != nil {
			return err
		}
	}
	if err := p.markFinished(now()); err != nil {
		return err
	}
	log.Info("FE finished to restore from a cluster snapshot", "snapshot", p.Snapshot,
		"fe_journal_id", p.FEJournalID, "starmgr_journal_id", p.StarMgrJournalID)
	return nil
}
