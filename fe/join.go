package fe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/rpc"
)

// helperRetryInterval is how long a starting FE waits before asking its
// helper again (StarRocks sleeps 5 seconds).
const helperRetryInterval = 5 * time.Second

// Files in meta_dir that say who this FE is, as StarRocks keeps them: ROLE
// (role=FOLLOWER|OBSERVER, name=...) and VERSION (clusterId=...).
const (
	roleFile    = "ROLE"
	versionFile = "VERSION"
)

// joinPlan is what start-up learnt from the helper.
type joinPlan struct {
	helper    string
	clusterID string
	name      string
	role      string
}

// prepareJoin runs before the journal opens. With --helper and an empty
// meta dir, it asks the helper what this node was registered as (ALTER
// SYSTEM ADD FOLLOWER|OBSERVER), retrying while the node is not added or
// the helper cannot be reached, and writes ROLE and VERSION. With state in
// the meta dir the helper is only asked to confirm the cluster, as in
// StarRocks (which then ignores the helper). It returns nil when there is
// nothing to join.
func (n *Node) prepareJoin(ctx context.Context, metaDir string, hasState bool) (*joinPlan, error) {
	helper := n.opts.Helper
	self := net.JoinHostPort(n.host, strconv.Itoa(int(n.cfg.Int(KeyEditLogPort))))
	if helper == "" || helper == self {
		return nil, nil
	}
	if _, _, err := net.SplitHostPort(helper); err != nil {
		return nil, fmt.Errorf("--helper %q: must be HOST:EDIT_LOG_PORT of a frontend of the cluster", helper)
	}
	if hasState {
		local := readProps(filepath.Join(metaDir, versionFile))["clusterId"]
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var st feStatus
		err := n.feCall(sctx, helper, pathFEStatus, &statusRequest{}, &st)
		switch {
		case err == nil && local != "" && st.ClusterID != "" && st.ClusterID != local:
			return nil, fmt.Errorf("cluster id is not equal with helper node %s. will exit. (helper: %s, this meta dir: %s)", helper, st.ClusterID, local)
		case err != nil:
			n.log.Info("find ROLE and VERSION file in local, ignore helper nodes", "helper", helper, "helper_error", err)
		default:
			n.log.Info("find ROLE and VERSION file in local, ignore helper nodes", "helper", helper)
		}
		return nil, nil
	}
	port := int(n.cfg.Int(KeyEditLogPort))
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var resp roleResponse
		err := n.feCall(rctx, helper, pathFERole, &roleRequest{Host: n.host, Port: port}, &resp)
		cancel()
		if err == nil {
			if resp.Name == "" || resp.ClusterID == "" {
				return nil, fmt.Errorf("helper node %s gave no name or cluster id for this node", helper)
			}
			n.log.Info("got role from helper node", "helper", helper, "role", resp.Role, "name", resp.Name, "cluster_id", resp.ClusterID)
			role := resp.Role
			if role != catalog.RoleObserver {
				role = catalog.RoleFollower
			}
			if err := writeRole(metaDir, role, resp.Name); err != nil {
				return nil, err
			}
			if err := writeVersion(metaDir, resp.ClusterID); err != nil {
				return nil, err
			}
			return &joinPlan{helper: helper, clusterID: resp.ClusterID, name: resp.Name, role: role}, nil
		}
		var re *rpc.Error
		switch {
		case errors.As(err, &re) && re.Code == codeNotAdded:
			n.log.Warn(fmt.Sprintf("current node is not added to the group. please add it first. sleep 5 seconds and retry, current helper nodes: [%s]", helper))
		case retryable(err):
			n.log.Warn(fmt.Sprintf("failed to get fe node type from helper node: %s: %v. sleep 5 seconds and retry", helper, err))
		default:
			return nil, fmt.Errorf("helper node %s did not answer as a frontend's edit_log_port: %v", helper, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-n.ctx.Done():
			return nil, errors.New("stopped while waiting for the helper node")
		case <-time.After(helperRetryInterval):
		}
	}
}

// finishJoin runs once the journal is open: it asks the leader, through the
// helper, to add this node to the journal's membership, retrying through
// elections, and waits until the node has replayed what the leader had.
func (n *Node) finishJoin(ctx context.Context, p *joinPlan) error {
	for {
		jctx, cancel := context.WithTimeout(ctx, 40*time.Second)
		var resp joinResponse
		err := n.feCall(jctx, p.helper, pathFEJoin, &joinRequest{ClusterID: p.clusterID, Name: p.name}, &resp)
		cancel()
		if err == nil {
			// Serve only once caught up with what the leader had.
			if err := n.jr.WaitApplied(ctx, resp.JournalID); err != nil {
				return fmt.Errorf("catch up with the leader's journal id %d: %w", resp.JournalID, err)
			}
			return nil
		}
		var re *rpc.Error
		if errors.As(err, &re) && (re.Code == codeClusterMismatch || re.Code == codeNotAdded) {
			return fmt.Errorf("join the cluster through helper node %s: %v", p.helper, err)
		}
		n.log.Warn("join through helper node failed; retrying", "helper", p.helper, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.ctx.Done():
			return errors.New("stopped while joining")
		case <-time.After(time.Second):
		}
	}
}

// retryable reports whether an FE RPC failed for want of the peer (not
// listening, unreachable, too slow, or without a leader just now) rather
// than because the peer is not a frontend.
func retryable(err error) bool {
	var re *rpc.Error
	if errors.As(err, &re) {
		return re.Code == codeNoLeader
	}
	// Refused, reset or closed before an answer (a helper starting or
	// restarting), or too slow.
	var oe *net.OpError
	if errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readProps reads a key=value file; a missing file reads as empty.
func readProps(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return map[string]string{}
	}
	return parseProps(string(b))
}

// writeRole writes meta_dir/ROLE.
func writeRole(metaDir, role, name string) error {
	body := "#" + time.Now().Format(time.RFC3339) + "\nrole=" + role + "\nname=" + name + "\n"
	if err := writeFileSync(filepath.Join(metaDir, roleFile), []byte(body)); err != nil {
		return fmt.Errorf("write %s: %w", roleFile, err)
	}
	return nil
}

// writeVersion writes meta_dir/VERSION.
func writeVersion(metaDir, clusterID string) error {
	if err := writeFileSync(filepath.Join(metaDir, versionFile), []byte("clusterId="+clusterID+"\n")); err != nil {
		return fmt.Errorf("write %s: %w", versionFile, err)
	}
	return nil
}
