package query

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// execAdminSetConfig changes mutable fe.conf keys in memory, as StarRocks'
// ADMIN SET FRONTEND CONFIG does; the change is not persisted (edit
// fe.conf to keep it across restarts).
func (s *Session) execAdminSetConfig(ctx context.Context, st *sql.AdminSetConfigStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivOperate); err != nil {
		return nil, err
	}
	cfg := s.eng.conf
	// Check every key first so that a bad one changes nothing.
	for _, p := range st.Configs {
		spec := cfg.Spec(p.Key)
		if spec == nil || !spec.Mutable {
			return nil, sqlerr.Generic("Config '%s' does not exist or is not mutable", p.Key)
		}
		if _, err := spec.Check(p.Value); err != nil {
			return nil, sqlerr.Generic("Failed to set config '%s'. err: %v", p.Key, err)
		}
	}
	changes := map[string]string{}
	for _, p := range st.Configs {
		if err := cfg.Set(p.Key, p.Value); err != nil {
			return nil, sqlerr.Generic("Failed to set config '%s'. err: %v", p.Key, err)
		}
		changes[p.Key] = p.Value
		s.eng.log.Info("frontend config changed", "key", p.Key, "user", s.ident.String())
	}
	// As in StarRocks, the change goes to every other FE too.
	if err := s.eng.fes.SetConfigOnOtherFEs(ctx, changes); err != nil {
		return nil, sqlerr.Generic("Set config failed: %v", err)
	}
	return OK(), nil
}

// splitHostPort parses "host:port" of ALTER SYSTEM.
func splitHostPort(hp string) (string, int, error) {
	host, ps, err := net.SplitHostPort(hp)
	if err != nil || host == "" {
		return "", 0, fmt.Errorf("Invalid host port: %s", hp)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return "", 0, fmt.Errorf("Encounter unknown exception: For input string: \"%s\"", ps)
	}
	if port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("Encounter unknown exception: Port is out of range: %d", port)
	}
	return host, port, nil
}

// fmtMillis renders epoch milliseconds in StarRocks' display format.
func fmtMillis(ms int64) string {
	if ms <= 0 {
		return "NULL"
	}
	return time.UnixMilli(ms).Format(timeLayout)
}

func javaType(k conf.Kind) string {
	switch k {
	case conf.Int:
		return "long"
	case conf.Bool:
		return "boolean"
	case conf.Float:
		return "double"
	}
	return "String"
}

func (s *Session) execAdminShowConfig(st *sql.AdminShowConfigStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivOperate); err != nil {
		return nil, err
	}
	res := &Result{Columns: StringColumns("Key", "AliasNames", "Value", "Type", "IsMutable", "Comment")}
	for _, e := range s.eng.conf.Entries() {
		if st.Like != nil && !likeMatch(e.Key, *st.Like, true) {
			continue
		}
		res.AddRow(e.Key, "[]", e.Value, javaType(e.Kind), strconv.FormatBool(e.Mutable), e.Doc)
	}
	return res, nil
}

func (s *Session) execAlterSystem(ctx context.Context, st *sql.AlterSystemStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivNode); err != nil {
		return nil, err
	}
	switch st.Node {
	case sql.NodeBackend:
		return nil, at(st.Pos(), "minirocks runs in shared-data mode and has no backends; use ALTER SYSTEM %s COMPUTE NODE", st.Op)
	case sql.NodeFollower, sql.NodeObserver:
		return s.execAlterSystemFrontend(ctx, st)
	case sql.NodeComputeNode:
		return s.execAlterSystemComputeNode(ctx, st)
	}
	return nil, errNotSupported(st.Pos(), "ALTER SYSTEM "+strings.ToUpper(string(st.Node)))
}

// execAlterSystemFrontend adds or drops a follower or an observer. Adding
// registers the FE under the name it will have (host_port_time); the node
// then starts with --helper and is added to the journal's membership when
// it asks. Dropping takes it out of the membership, then the catalog.
func (s *Session) execAlterSystemFrontend(ctx context.Context, st *sql.AlterSystemStmt) (*Result, error) {
	host, port, err := splitHostPort(st.Hosts[0])
	if err != nil {
		return nil, sqlerr.Analysis(0, 0, 0, "", err.Error())
	}
	role := catalog.RoleFollower
	if st.Node == sql.NodeObserver {
		role = catalog.RoleObserver
	}
	e := s.eng
	var existing *catalog.Frontend
	for _, f := range e.cat.Frontends() {
		if f.Host == host && (st.Op == sql.SystemAdd || f.EditLogPort == port) {
			existing = f
		}
	}
	switch st.Op {
	case sql.SystemAdd:
		if existing != nil {
			return nil, sqlerr.Generic("FE with the same host: %s already exists", host)
		}
		name := fmt.Sprintf("%s_%d_%d", host, port, e.now().UnixMilli())
		if _, err := e.writer.Propose(ctx, &catalog.AddFrontendOp{Frontend: catalog.Frontend{Name: name, Host: host, EditLogPort: port, Role: role}}); err != nil {
			return nil, err
		}
	case sql.SystemDrop:
		if existing == nil {
			return nil, sqlerr.Generic("frontend does not exist[%s:%d]", host, port)
		}
		if existing.Role != role {
			return nil, sqlerr.Generic("%s does not exist[%s:%d]", role, host, port)
		}
		for _, f := range e.fes.Frontends() {
			if f.Name == existing.Name && f.IsLeader {
				return nil, sqlerr.Generic("can not drop current master node.")
			}
		}
		if err := e.fes.RemoveJournalMember(ctx, existing.Name); err != nil {
			return nil, err
		}
		if _, err := e.writer.Propose(ctx, &catalog.DropFrontendOp{Name: existing.Name}); err != nil {
			return nil, err
		}
	default:
		return nil, errNotSupported(st.Pos(), "ALTER SYSTEM DECOMMISSION "+string(st.Node))
	}
	return OK(), nil
}
