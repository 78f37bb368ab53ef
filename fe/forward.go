package fe

import (
	"context"
	"errors"
	"net"
	"time"

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
func (n *Node) handleForward(ctx context.Context, req *forwardRequest) (*forwardResponse, error) {
	if req.ClusterID != n.meta.cat.ClusterID() {
		return nil, rpc.Errorf(codeClusterMismatch, "cluster id %s is not the cluster id %s of this node", req.ClusterID, n.meta.cat.ClusterID())
	}
	if !n.leading.Load() {
		return nil, rpc.Errorf(codeNoLeader, "this FE is not the leader (or is still taking over)")
	}
	res, err := n.eng.RunForwarded(ctx, req.Session, req.SQL)
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

// Forward implements query.Meta: it sends the statement to the leader,
// waiting through an election for up to leaderWait, then waits until this
// FE has replayed the statement's journal entries.
func (m nodeMeta) Forward(ctx context.Context, st query.SessionState, text string) (*query.Result, error) {
	n := m.n
	deadline := time.Now().Add(leaderWait)
	for {
		if n.leading.Load() {
			// Leadership came here while we waited.
			return n.eng.RunForwarded(ctx, st, text)
		}
		_, addr := n.jr.Leader()
		if addr != "" && !n.jr.IsLeader() {
			var resp forwardResponse
			err := n.feCall(ctx, addr, pathFEForward, &forwardRequest{ClusterID: n.meta.cat.ClusterID(), Session: st, SQL: text}, &resp)
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

// RemoveJournalMember implements query.Meta.
func (m nodeMeta) RemoveJournalMember(ctx context.Context, name string) error {
	servers, err := m.n.jr.Servers()
	if err != nil {
		return mapJournalErr(err)
	}
	for _, s := range servers {
		if s.ID == name {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return mapJournalErr(m.n.jr.RemoveNode(rctx, name))
		}
	}
	return nil
}

// IsLeader implements query.Meta.
func (m nodeMeta) IsLeader() bool { return m.n.leading.Load() }
