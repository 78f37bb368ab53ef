package frontends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/rpc"
)

// helperRetryInterval is how long a starting FE waits before asking its
// helper again (StarRocks sleeps 5 seconds).
const helperRetryInterval = 5 * time.Second

// Files that say who this FE is, kept as StarRocks keeps them in
// meta_dir/image/ (beside the images): ROLE (role=FOLLOWER|OBSERVER,
// name=...) and VERSION (clusterId=..., token=...). Older minirocks kept
// them in meta_dir itself; they are read from there when image/ has none,
// and moved into image/ on start.
const (
	RoleFile    = "ROLE"
	VersionFile = "VERSION"
	// imageDir is meta_dir's image directory (the journal's images go there too).
	imageDir = "image"
)

// JoinPlan is what start-up learnt from the helper: the cluster to join
// and this node's registered name and role.
type JoinPlan struct {
	Helper    string
	ClusterID string
	Name      string
	Role      string
	// Token is the cluster token the helper handed over.
	Token string
}

// JoinConfig is what PrepareJoin needs.
type JoinConfig struct {
	// Helper is --helper (HOST:EDIT_LOG_PORT); empty means no join.
	Helper string
	// Host and EditLogPort are this node's.
	Host        string
	EditLogPort int
	MetaDir     string
	// HasState: the meta dir already holds a journal.
	HasState bool
	Client   *Client
	Logger   *slog.Logger
	// Stop ends the waits for the helper (the node is stopping).
	Stop <-chan struct{}
}

// PrepareJoin runs before the journal opens. With --helper and an empty
// meta dir, it asks the helper what this node was registered as (ALTER
// SYSTEM ADD FOLLOWER|OBSERVER), retrying while the node is not added or
// the helper cannot be reached, and writes ROLE and VERSION. With state in
// the meta dir the helper is only asked to confirm the cluster, as in
// StarRocks (which then ignores the helper). It returns nil when there is
// nothing to join.
func PrepareJoin(ctx context.Context, c JoinConfig) (*JoinPlan, error) {
	helper, metaDir, hasState := c.Helper, c.MetaDir, c.HasState
	self := net.JoinHostPort(c.Host, strconv.Itoa(c.EditLogPort))
	if helper == "" || helper == self {
		return nil, nil
	}
	if _, _, err := net.SplitHostPort(helper); err != nil {
		return nil, fmt.Errorf("--helper %q: must be HOST:EDIT_LOG_PORT of a frontend of the cluster", helper)
	}
	if hasState {
		props := readMetaProps(metaDir, VersionFile)
		local := props["clusterId"]
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var st feStatus
		err := c.Client.Call(sctx, helper, pathFEStatus, &statusRequest{}, &st)
		switch {
		case err == nil && props["token"] != "" && st.Name == "":
			// The helper answered as to a stranger (no name: a token holder
			// always gets one): it does not know this meta dir's cluster
			// token, so it serves another cluster.
			return nil, fmt.Errorf("cluster id is not equal with helper node %s. will exit. (the helper does not hold this meta dir's cluster token; this meta dir: %s)", helper, local)
		case err == nil && local != "" && st.ClusterID != "" && st.ClusterID != local:
			return nil, fmt.Errorf("cluster id is not equal with helper node %s. will exit. (helper: %s, this meta dir: %s)", helper, st.ClusterID, local)
		case err != nil:
			c.Logger.Info("find ROLE and VERSION file in local, ignore helper nodes", "helper", helper, "helper_error", err)
		default:
			c.Logger.Info("find ROLE and VERSION file in local, ignore helper nodes", "helper", helper)
		}
		return nil, nil
	}
	port := c.EditLogPort
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var resp roleResponse
		err := c.Client.Call(rctx, helper, pathFERole, &roleRequest{Host: c.Host, Port: port}, &resp)
		cancel()
		if err == nil {
			if resp.Name == "" || resp.ClusterID == "" || resp.Token == "" {
				return nil, fmt.Errorf("helper node %s gave no name, cluster id or cluster token for this node", helper)
			}
			c.Logger.Info("got role from helper node", "helper", helper, "role", resp.Role, "name", resp.Name, "cluster_id", resp.ClusterID)
			role := resp.Role
			if role != catalog.RoleObserver {
				role = catalog.RoleFollower
			}
			if err := WriteRole(metaDir, role, resp.Name); err != nil {
				return nil, err
			}
			if err := WriteVersion(metaDir, resp.ClusterID, resp.Token); err != nil {
				return nil, err
			}
			return &JoinPlan{Helper: helper, ClusterID: resp.ClusterID, Name: resp.Name, Role: role, Token: resp.Token}, nil
		}
		var re *rpc.Error
		switch {
		case errors.As(err, &re) && re.Code == codeNotAdded:
			c.Logger.Warn(fmt.Sprintf("current node is not added to the group. please add it first. sleep 5 seconds and retry, current helper nodes: [%s]", helper))
		case retryable(err):
			c.Logger.Warn(fmt.Sprintf("failed to get fe node type from helper node: %s: %v. sleep 5 seconds and retry", helper, err))
		default:
			return nil, fmt.Errorf("helper node %s did not answer as a frontend's edit_log_port: %v", helper, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.Stop:
			return nil, errors.New("stopped while waiting for the helper node")
		case <-time.After(helperRetryInterval):
		}
	}
}

// FinishJoin runs once the journal is open: it asks the leader, through the
// helper, to add this node to the journal's membership, retrying through
// elections, and waits until the node has replayed what the leader had.
func FinishJoin(ctx context.Context, c JoinConfig, jr Journal, p *JoinPlan) error {
	for {
		jctx, cancel := context.WithTimeout(ctx, 40*time.Second)
		var resp joinResponse
		err := c.Client.Call(jctx, p.Helper, pathFEJoin, &joinRequest{ClusterID: p.ClusterID, Name: p.Name}, &resp)
		cancel()
		if err == nil {
			// Serve only once caught up with what the leader had.
			if err := jr.WaitApplied(ctx, resp.JournalID); err != nil {
				return fmt.Errorf("catch up with the leader's journal id %d: %w", resp.JournalID, err)
			}
			return nil
		}
		var re *rpc.Error
		if errors.As(err, &re) && (re.Code == codeClusterMismatch || re.Code == codeNotAdded) {
			return fmt.Errorf("join the cluster through helper node %s: %v", p.Helper, err)
		}
		c.Logger.Warn("join through helper node failed; retrying", "helper", p.Helper, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.Stop:
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

// metaFilePath is where name (ROLE or VERSION) lives: meta_dir/image/name.
func metaFilePath(metaDir, name string) string { return filepath.Join(metaDir, imageDir, name) }

// moveLegacyMetaFile moves meta_dir/name, where older minirocks kept it,
// to meta_dir/image/name. When both exist, the one in image/ is the one
// written last and the old copy is removed.
func moveLegacyMetaFile(metaDir, name string) error {
	old := filepath.Join(metaDir, name)
	if _, err := os.Stat(old); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("move %s into %s: %w", old, imageDir, err)
	}
	dst := metaFilePath(metaDir, name)
	if _, err := os.Stat(dst); err == nil {
		if err := os.Remove(old); err != nil {
			return fmt.Errorf("remove stale %s: %w", old, err)
		}
		return syncDir(metaDir)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("move %s into %s: %w", old, imageDir, err)
	}
	if err := os.Rename(old, dst); err != nil {
		return fmt.Errorf("move %s into %s: %w", old, imageDir, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return syncDir(metaDir)
}

// readMetaFile returns the contents of ROLE or VERSION: meta_dir/image/name,
// after moving a file left at meta_dir/name there; should the move fail,
// the old location is read.
func readMetaFile(metaDir, name string) ([]byte, error) {
	moveErr := moveLegacyMetaFile(metaDir, name)
	b, err := os.ReadFile(metaFilePath(metaDir, name))
	if err == nil || !errors.Is(err, os.ErrNotExist) || moveErr == nil {
		return b, err
	}
	return os.ReadFile(filepath.Join(metaDir, name))
}

// readMetaProps reads ROLE or VERSION as key=value pairs; a missing file
// reads as empty.
func readMetaProps(metaDir, name string) map[string]string {
	b, err := readMetaFile(metaDir, name)
	if err != nil {
		return map[string]string{}
	}
	return parseProps(string(b))
}

// writeMetaFile writes ROLE or VERSION into meta_dir/image/ and removes a
// copy an older minirocks left in meta_dir.
func writeMetaFile(metaDir, name string, body []byte) error {
	path := metaFilePath(metaDir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := writeFileSync(path, body); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Remove(filepath.Join(metaDir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove old %s: %w", filepath.Join(metaDir, name), err)
	}
	return nil
}

// ReadMetaImageFiles returns the contents of meta_dir/image/VERSION and
// meta_dir/image/ROLE by file name (VersionFile, RoleFile), moving files an older
// minirocks left in meta_dir first. A cluster snapshot uploads them beside
// its image, so that the snapshot directory is laid out like meta/image/.
// A missing file is an error: an FE that serves has both.
func ReadMetaImageFiles(metaDir string) (map[string][]byte, error) {
	out := make(map[string][]byte, 2)
	for _, name := range []string{VersionFile, RoleFile} {
		b, err := readMetaFile(metaDir, name)
		if err != nil {
			return nil, fmt.Errorf("read %s of meta dir %s: %w", name, metaDir, err)
		}
		out[name] = b
	}
	return out, nil
}

// WriteRole writes meta_dir/image/ROLE.
func WriteRole(metaDir, role, name string) error {
	body := "#" + time.Now().Format(time.RFC3339) + "\nrole=" + role + "\nname=" + name + "\n"
	return writeMetaFile(metaDir, RoleFile, []byte(body))
}

// WriteVersion writes meta_dir/image/VERSION with the cluster id and the
// cluster token (readable by its owner only: the token is a secret).
func WriteVersion(metaDir, clusterID, token string) error {
	body := "clusterId=" + clusterID + "\n"
	if token != "" {
		body += "token=" + token + "\n"
	}
	return writeMetaFile(metaDir, VersionFile, []byte(body))
}

// ReadVersionToken returns the cluster token in meta_dir/image/VERSION (""
// when there is none): what a node uses before its catalog holds the
// token. As the first thing an FE reads of its meta dir at start, it also
// moves ROLE and VERSION an older minirocks left in meta_dir into image/.
func ReadVersionToken(metaDir string) string {
	_ = moveLegacyMetaFile(metaDir, RoleFile) // readMetaProps falls back on failure
	return readMetaProps(metaDir, VersionFile)["token"]
}

// LoadOrCreateName returns this node's FE name, kept in meta_dir/ROLE so
// that it survives restarts (raft knows the node by it); a node without
// one gets StarRocks' host_editlogport_createtimems as a follower.
func LoadOrCreateName(metaDir, host string, editLogPort int) (string, error) {
	if name := readMetaProps(metaDir, RoleFile)["name"]; name != "" {
		return name, nil
	}
	name := fmt.Sprintf("%s_%d_%d", host, editLogPort, time.Now().UnixMilli())
	if err := WriteRole(metaDir, catalog.RoleFollower, name); err != nil {
		return "", err
	}
	return name, nil
}

// parseProps reads a key=value file (StarRocks' ROLE and VERSION files).
func parseProps(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// writeFileSync writes a small file atomically: temp file, fsync, rename,
// directory fsync.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory, so that renames in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
