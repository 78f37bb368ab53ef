package query

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"minirocks/conf"
	"minirocks/fe/catalog"
	"minirocks/fe/sql"
	"minirocks/fe/sqlerr"
)

// execAdminSetConfig changes mutable fe.conf keys in memory, as StarRocks'
// ADMIN SET FRONTEND CONFIG does; the change is not persisted (edit
// fe.conf to keep it across restarts).
func (s *Session) execAdminSetConfig(st *sql.AdminSetConfigStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivOperate); err != nil {
		return nil, err
	}
	cfg := s.eng.meta.Config()
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
	for _, p := range st.Configs {
		if err := cfg.Set(p.Key, p.Value); err != nil {
			return nil, sqlerr.Generic("Failed to set config '%s'. err: %v", p.Key, err)
		}
		s.eng.log.Info("frontend config changed", "key", p.Key, "user", s.ident.String())
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
	for _, e := range s.eng.meta.Config().Entries() {
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
		return nil, errNotSupported(st.Pos(), "ALTER SYSTEM "+string(st.Op)+" "+string(st.Node))
	case sql.NodeComputeNode:
		return s.execAlterSystemComputeNode(ctx, st)
	}
	return nil, errNotSupported(st.Pos(), "ALTER SYSTEM "+strings.ToUpper(string(st.Node)))
}
