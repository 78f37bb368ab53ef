package frontends

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/rpc"
)

// leaderWait bounds how long a statement forwarded during an election waits
// for a leader before it fails.
const leaderWait = 10 * time.Second

// forwardRequest carries one statement from a non-leader FE to the leader.
type forwardRequest struct {
	ClusterID string             `json:"cluster_id"`
	Session   query.SessionState `json:"session"`
	SQL       string             `json:"sql"`
}

// forwardResponse is the statement's outcome on the leader and the journal
// id the forwarding FE must replay before it answers its client.
type forwardResponse struct {
	Result    *query.Result `json:"result,omitempty"`
	Err       *sqlerr.Error `json:"err,omitempty"`
	JournalID uint64        `json:"journal_id"`
}

// errNoLeader is what a statement that needs the leader gets when there is
// none for leaderWait: an election that does not end, or a lost quorum.
var errNoLeader = sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral,
	"No leader FE is available to run the statement: an election is under way or the frontends have lost their quorum (more than half of the followers are down). Retry once a leader is elected")

// handleForward runs a forwarded statement on the leader.
func (n *Service) handleForward(ctx context.Context, req *forwardRequest) (*forwardResponse, error) {
	if req.ClusterID != n.cat.ClusterID() {
		return nil, rpc.Errorf(codeClusterMismatch, "cluster id %s is not the cluster id %s of this node", req.ClusterID, n.cat.ClusterID())
	}
	if !n.cfg.Leader.Leading() {
		return nil, rpc.Errorf(codeNoLeader, "this FE is not the leader (or is still taking over)")
	}
	res, err := n.cfg.Runner.RunForwarded(ctx, req.Session, req.SQL)
	if errors.Is(err, sqlerr.ErrNotLeader) {
		// Leadership left this FE before the statement journaled anything.
		return nil, rpc.Errorf(codeNoLeader, "this FE is no longer the leader")
	}
	resp := &forwardResponse{Result: res, JournalID: n.jr.AppliedID()}
	if err != nil {
		resp.Result = nil
		if se, ok := sqlerr.As(err); ok {
			resp.Err = se
		} else {
			resp.Err = sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "%s", err.Error())
		}
	}
	return resp, nil
}

// Forward runs a statement on the leader: it sends it there, waiting
// through an election for up to leaderWait, then waits until this FE has
// replayed the statement's journal entries, so the session reads its own
// writes.
func (n *Service) Forward(ctx context.Context, st query.SessionState, text string) (*query.Result, error) {
	deadline := time.Now().Add(leaderWait)
	for {
		if n.cfg.Leader.Leading() {
			// Leadership came here while we waited, or this FE has not yet
			// noticed that it lost it: a statement refused by the journal
			// as not the leader journaled nothing and waits for the next
			// leader like the others.
			res, err := n.cfg.Runner.RunForwarded(ctx, st, text)
			if err == nil || !errors.Is(err, sqlerr.ErrNotLeader) {
				return res, err
			}
		}
		_, addr := n.jr.Leader()
		if addr != "" && !n.jr.IsLeader() {
			var resp forwardResponse
			err := n.cfg.Client.Call(ctx, addr, pathFEForward, &forwardRequest{ClusterID: n.cat.ClusterID(), Session: st, SQL: text}, &resp)
			if err == nil {
				wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				werr := n.jr.WaitApplied(wctx, resp.JournalID)
				cancel()
				if resp.Err != nil {
					return nil, resp.Err
				}
				if werr != nil {
					return nil, sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral,
						"The statement ran on the leader FE %s, but this FE has not replayed it yet: %v", addr, werr)
				}
				return resp.Result, nil
			}
			var re *rpc.Error
			var oe *net.OpError
			switch {
			case errors.As(err, &re) && re.Code == codeNoLeader, errors.As(err, &oe) && oe.Op == "dial":
				// Never ran: the target is no longer (or not yet) the leader.
			default:
				return nil, sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral,
					"Forwarding the statement to the leader FE %s failed: %v; the statement may or may not have been applied", addr, err)
			}
		}
		if time.Now().After(deadline) {
			return nil, errNoLeader
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RemoveJournalMember takes an FE out of the journal's membership (ALTER
// SYSTEM DROP FOLLOWER|OBSERVER); an FE that is not a member is not an
// error.
func (n *Service) RemoveJournalMember(ctx context.Context, name string) error {
	servers, err := n.jr.Servers()
	if err != nil {
		return meta.JournalError(err)
	}
	for _, s := range servers {
		if s.ID == name {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return meta.JournalError(n.jr.RemoveNode(rctx, name))
		}
	}
	return nil
}

// IsLeader reports whether this FE leads: statements that change metadata
// run here, elsewhere they are forwarded.
func (n *Service) IsLeader() bool { return n.cfg.Leader.Leading() }
