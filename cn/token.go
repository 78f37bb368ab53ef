package cn

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/minirocks/minirocks/rpc"
)

// tokenFile, in storage_root_path, holds the cluster token of the cluster
// that adopted this node. Until the directory is cleaned (as a restore's
// runbook does) the node serves that cluster only.
const tokenFile = "cluster_token"

// readToken reads the kept cluster token ("" when the node was never
// adopted or its storage_root_path was cleaned).
func readToken(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, tokenFile))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the cluster token in storage_root_path: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// writeToken keeps the cluster token, readable by the node's user only.
func writeToken(root, token string) error {
	p := filepath.Join(root, tokenFile)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep the cluster token in storage_root_path: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep the cluster token in storage_root_path: %w", err)
	}
	return nil
}

// clusterToken is the token internal requests to and from this node carry.
func (n *Node) clusterToken() string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.token
}

// adoptToken lets a heartbeat through only with this node's cluster token.
// A node without one (new, or its storage_root_path cleaned) adopts the
// token of the first heartbeat that carries one, so that heartbeats without
// it can never re-point the node at another leader or other credentials.
func (n *Node) adoptToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(rpc.TokenHeader)
		n.mu.Lock()
		have := n.token
		if have == "" && got != "" {
			if err := writeToken(n.root, got); err != nil {
				n.mu.Unlock()
				rpc.WriteError(w, err)
				return
			}
			n.token, have = got, got
			n.log.Info("adopted the cluster token of the leader's heartbeat; this node serves that cluster only until storage_root_path is cleaned")
		}
		n.mu.Unlock()
		if !rpc.TokenMatches(r, have) {
			n.log.Warn("heartbeat refused: it does not carry the cluster token of the cluster that adopted this node", "from", r.RemoteAddr)
			rpc.RefuseToken(w, "compute node belongs to another cluster (missing or wrong cluster token); clean its storage_root_path to let another cluster adopt it")
			return
		}
		h.ServeHTTP(w, r)
	})
}
