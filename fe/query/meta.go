package query

import (
	"context"
	"time"

	"minirocks/conf"
	"minirocks/fe/catalog"
	"minirocks/starmgr"
)

// Meta is what the engine needs from the FE node: the replicated state to
// read, a way to change it through the journal, and facts about the
// cluster's nodes. The engine never talks to raft itself.
type Meta interface {
	// Catalog and StarMgr are the local replicas of the state machines.
	Catalog() *catalog.Catalog
	StarMgr() *starmgr.StarMgr
	// Propose journals catalog and StarManager ops as one entry and returns
	// once it is durable and applied; the error is the rejection, if any.
	Propose(ctx context.Context, ops ...any) (journalID uint64, err error)
	// AllocIDs reserves n consecutive catalog ids and returns the first.
	AllocIDs(ctx context.Context, n int) (first int64, err error)
	// Config is this FE's configuration (fe.conf plus run-time changes).
	Config() *conf.Config
	// Frontends describes every FE of the cluster as SHOW FRONTENDS shows it.
	Frontends() []FrontendStatus
	// Now is the leader's clock for timestamps stored in the catalog.
	Now() time.Time
}

// FrontendStatus is one row of SHOW FRONTENDS.
type FrontendStatus struct {
	Name              string
	Host              string
	EditLogPort       int
	HTTPPort          int
	QueryPort         int
	RPCPort           int
	Role              string
	IsLeader          bool
	ClusterID         string
	Join              bool
	Alive             bool
	ReplayedJournalID uint64
	ImageJournalID    uint64
	LastHeartbeat     time.Time
	StartTime         time.Time
	Version           string
	ErrMsg            string
}
