package query

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/types"
	"github.com/minirocks/minirocks/volume/layout"
)

const timeLayout = "2006-01-02 15:04:05"

func (s *Session) execShow(st *sql.ShowStmt) (*Result, error) {
	var res *Result
	switch st.Kind {
	case sql.ShowDatabases:
		res = &Result{Columns: StringColumns("Database")}
		p := s.privs()
		names := []string{infoSchemaDB}
		for _, db := range s.eng.cat.DBs() {
			if p.AnyOnDatabase(db.Name) {
				names = append(names, db.Name)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			res.AddRow(n)
		}
	case sql.ShowFrontends:
		if err := s.requireSystem(catalog.PrivOperate, catalog.PrivNode); err != nil {
			return nil, err
		}
		res = s.frontendsResult()
	case sql.ShowComputeNodes:
		if err := s.requireSystem(catalog.PrivOperate, catalog.PrivNode); err != nil {
			return nil, err
		}
		res = s.computeNodesResult()
	case sql.ShowBackends:
		if err := s.requireSystem(catalog.PrivOperate, catalog.PrivNode); err != nil {
			return nil, err
		}
		res = &Result{Columns: StringColumns("BackendId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort",
			"LastStartTime", "LastHeartbeat", "Alive", "SystemDecommissioned", "ClusterDecommissioned", "TabletNum",
			"DataUsedCapacity", "AvailCapacity", "TotalCapacity", "UsedPct", "MaxDiskUsedPct", "ErrMsg", "Version", "Status")}
	case sql.ShowStorageVolumes:
		res = &Result{Columns: StringColumns("Storage Volume")}
		p := s.privs()
		for _, v := range s.eng.cat.StorageVolumes() {
			if !p.IsRoot() && !p.Volume(v.Name, catalog.PrivUsage) && !p.Volume(v.Name, catalog.PrivAlter) && !p.Volume(v.Name, catalog.PrivDrop) {
				continue
			}
			res.AddRow(v.Name)
		}
	case sql.ShowRoles:
		res = &Result{Columns: StringColumns("Name", "Builtin", "Comment")}
		for _, r := range s.eng.cat.Roles() {
			res.AddRow(r.Name, strconv.FormatBool(r.Builtin), "")
		}
	case sql.ShowUsers:
		if err := s.requireSystem(catalog.PrivGrant); err != nil {
			return nil, err
		}
		res = &Result{Columns: StringColumns("User")}
		for _, u := range s.eng.cat.Users() {
			res.AddRow(u.Ident.String())
		}
	case sql.ShowProcesslist:
		res = s.processList()
	case sql.ShowStatus:
		res = &Result{Columns: StringColumns("Variable_name", "Value")}
	case sql.ShowEngines:
		res = &Result{Columns: StringColumns("Engine", "Support", "Comment", "Transactions", "XA", "Savepoints")}
		res.AddRow("OLAP", "DEFAULT", "Default storage engine of StarRocks", "NO", "NO", "NO")
	case sql.ShowCharset:
		res = &Result{Columns: StringColumns("Charset", "Description", "Default collation", "Maxlen")}
		res.AddRow("utf8", "UTF-8 Unicode", "utf8_general_ci", "3")
	case sql.ShowCollation:
		res = &Result{Columns: StringColumns("Collation", "Charset", "Id", "Default", "Compiled", "Sortlen")}
		res.AddRow("utf8_general_ci", "utf8", "33", "Yes", "Yes", "1")
	case sql.ShowCatalogs:
		res = &Result{Columns: StringColumns("Catalog", "Type", "Comment")}
		res.AddRow(catalog.InternalCatalog, "Internal", "An internal catalog contains this cluster's self-managed tables.")
	default:
		return nil, errNotSupported(st.Pos(), "SHOW "+string(st.Kind))
	}
	return s.filterShow(res, st.Like, st.Where)
}

// filterShow applies SHOW's LIKE (on the first column) and WHERE.
func (s *Session) filterShow(res *Result, like *string, where sql.Expr) (*Result, error) {
	if like == nil && where == nil {
		return res, nil
	}
	var rows [][]types.Value
	for _, row := range res.Rows {
		if like != nil && !likeMatch(row[0].String(), *like, true) {
			continue
		}
		if where != nil {
			ok, err := s.filterRow(where, res.Columns, row)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		rows = append(rows, row)
	}
	res.Rows = rows
	return res, nil
}

var frontendColumns = []string{"Name", "IP", "EditLogPort", "HttpPort", "QueryPort", "RpcPort", "Role", "ClusterId",
	"Join", "Alive", "ReplayedJournalId", "LastHeartbeat", "IsHelper", "ErrMsg", "StartTime", "Version"}

var computeNodeColumns = []string{"ComputeNodeId", "IP", "HeartbeatPort", "BePort", "HttpPort", "BrpcPort",
	"LastStartTime", "LastHeartbeat", "Alive", "SystemDecommissioned", "ClusterDecommissioned", "ErrMsg",
	"Version", "CpuCores", "MemLimit", "NumRunningQueries", "MemUsedPct", "CpuUsedPct", "DataCacheMetrics",
	"HasStoragePath", "StatusCode", "StarletPort", "WorkerId", "WarehouseName", "TabletNum"}

func (s *Session) frontendsResult() *Result {
	res := &Result{Columns: StringColumns(frontendColumns...)}
	for _, f := range s.eng.fes.Frontends() {
		start := "NULL"
		if f.Alive && !f.StartTime.IsZero() {
			start = f.StartTime.Format(timeLayout)
		}
		hb := "NULL"
		if !f.LastHeartbeat.IsZero() {
			hb = f.LastHeartbeat.Format(timeLayout)
		}
		version := f.Version
		if version == "" {
			version = "NULL"
		}
		port := func(p int) string {
			if p == 0 {
				return "0"
			}
			return strconv.Itoa(p)
		}
		res.AddRow(f.Name, f.Host, strconv.Itoa(f.EditLogPort), port(f.HTTPPort), port(f.QueryPort), port(f.RPCPort),
			f.Role, f.ClusterID, strconv.FormatBool(f.Join), strconv.FormatBool(f.Alive),
			strconv.FormatUint(f.ReplayedJournalID, 10), hb, strconv.FormatBool(f.Role != catalog.RoleObserver), f.ErrMsg, start, version)
	}
	return res
}

func (s *Session) computeNodesResult() *Result {
	res := &Result{Columns: StringColumns(computeNodeColumns...)}
	for _, n := range s.eng.lake.ComputeNodes() {
		last := "NULL"
		if !n.LastHeartbeat.IsZero() {
			last = n.LastHeartbeat.Format(timeLayout)
		}
		start := "NULL"
		if !n.LastStartTime.IsZero() {
			start = n.LastStartTime.Format(timeLayout)
		}
		mem := fixedBytes(n.MemLimitBytes)
		status := "OK"
		if !n.Alive {
			status = "DISCONNECTED"
		}
		res.AddRow(strconv.FormatInt(n.ID, 10), n.Host, strconv.Itoa(n.HeartbeatPort), strconv.Itoa(n.BePort),
			strconv.Itoa(n.HTTPPort), strconv.Itoa(n.BrpcPort), start, last, strconv.FormatBool(n.Alive), "false", "false",
			n.ErrMsg, n.Version, strconv.Itoa(n.CPUCores), mem, "0", "0.00 %", "0.0 %", "N/A", "true", status,
			"9070", strconv.FormatInt(n.ID, 10), "default_warehouse", strconv.Itoa(n.TabletNum))
	}
	return res
}

func (s *Session) processList() *Result {
	res := &Result{Columns: StringColumns("Id", "User", "Host", "Db", "Command", "ConnectionStartTime", "Time", "State", "Info", "IsPending")}
	s.eng.mu.Lock()
	var ids []int
	for id := range s.eng.sessions {
		ids = append(ids, int(id))
	}
	sessions := make([]*Session, 0, len(ids))
	sort.Ints(ids)
	for _, id := range ids {
		sessions = append(sessions, s.eng.sessions[uint32(id)])
	}
	s.eng.mu.Unlock()
	p := s.privs()
	for _, o := range sessions {
		if o.user != s.user && !p.System(catalog.PrivOperate) {
			continue
		}
		res.AddRow(strconv.Itoa(int(o.connID)), o.user, o.host, o.db, "Sleep", "", "0", "", "", "false")
	}
	return res
}

func (s *Session) execShowProc(st *sql.ShowProcStmt) (*Result, error) {
	if err := s.requireSystem(catalog.PrivOperate); err != nil {
		return nil, err
	}
	switch strings.TrimRight(st.Path, "/") {
	case "/frontends":
		return s.frontendsResult(), nil
	case "/compute_nodes":
		return s.computeNodesResult(), nil
	case "":
		res := &Result{Columns: StringColumns("name")}
		for _, n := range []string{"compute_nodes", "dbs", "frontends", "statistic"} {
			res.AddRow(n)
		}
		return res, nil
	case "/dbs":
		res := &Result{Columns: StringColumns("DbId", "DbName", "TableNum", "LastConsistencyCheckTime", "ReplicaQuota")}
		cat := s.eng.cat
		for _, db := range cat.DBs() {
			res.AddRow(strconv.FormatInt(db.ID, 10), db.Name, strconv.Itoa(len(cat.Tables(db.Name))), "NULL", "1073741824")
		}
		return res, nil
	case "/statistic":
		res := &Result{Columns: StringColumns("DbId", "DbName", "TableNum", "PartitionNum", "IndexNum", "TabletNum", "ReplicaNum")}
		cat := s.eng.cat
		for _, db := range cat.DBs() {
			tables := cat.Tables(db.Name)
			parts, tablets := 0, 0
			for _, t := range tables {
				parts += len(t.Partitions)
				tablets += t.TabletCount()
			}
			res.AddRow(strconv.FormatInt(db.ID, 10), db.Name, strconv.Itoa(len(tables)), strconv.Itoa(parts),
				strconv.Itoa(len(tables)), strconv.Itoa(tablets), strconv.Itoa(tablets))
		}
		return res, nil
	}
	if rest, ok := strings.CutPrefix(strings.TrimRight(st.Path, "/"), "/dbs/"); ok {
		if res := s.procDBTables(rest); res != nil {
			return res, nil
		}
	}
	return nil, at(st.Pos(), "Proc path '%s' doesn't exist", st.Path)
}

// procDBTables answers SHOW PROC '/dbs/<db id>': the database's tables.
func (s *Session) procDBTables(idText string) *Result {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil
	}
	cat := s.eng.cat
	db := cat.DBByID(id)
	if db == nil {
		return nil
	}
	res := &Result{Columns: StringColumns("TableId", "TableName", "IndexNum", "PartitionColumnName", "PartitionNum",
		"State", "Type", "LastConsistencyCheckTime", "ReplicaCount", "PartitionType", "StoragePath")}
	for _, t := range cat.Tables(db.Name) {
		pcol, ptype := "", "UNPARTITIONED"
		if t.Partitioning.Type == "RANGE" {
			pcol, ptype = t.Partitioning.Column, "RANGE"
		}
		path := ""
		if v := cat.StorageVolume(t.StorageVolume); v != nil {
			path = layout.TableURL(v.Locations[0], s.eng.sm.ServiceID(), db.ID, t.ID)
		}
		res.AddRow(strconv.FormatInt(t.ID, 10), t.Name, "1", pcol, strconv.Itoa(len(t.Partitions)), "NORMAL",
			"CLOUD_NATIVE", "NULL", strconv.Itoa(t.TabletCount()), ptype, path)
	}
	return res
}

func (s *Session) execShowVariables(st *sql.ShowVariablesStmt) (*Result, error) {
	res := &Result{Columns: StringColumns("Variable_name", "Value")}
	for _, name := range s.eng.vars.names() {
		val := s.eng.vars.getGlobal(name)
		if st.Scope != sql.ScopeGlobal {
			if sv, ok := s.vars[name]; ok {
				val = sv
			}
		}
		res.AddRow(name, val)
	}
	return s.filterShow(res, st.Like, st.Where)
}

func (s *Session) execKill(st *sql.KillStmt) (*Result, error) {
	s.eng.mu.Lock()
	o, ok := s.eng.sessions[uint32(st.ConnectionID)]
	s.eng.mu.Unlock()
	if !ok {
		return nil, at(st.Pos(), "Unknown thread id: %d", st.ConnectionID)
	}
	if o.user != s.user && !s.privs().System(catalog.PrivOperate) {
		return nil, s.errAccessDenied([]string{catalog.PrivOperate}, catalog.ObjSystem, "")
	}
	// Statements here finish quickly; there is nothing to interrupt.
	return OK(), nil
}

// fixedBytes renders a size with three decimals in the largest unit it
// reaches, as SHOW COMPUTE NODES' MemLimit does ("0.000B", "21.186GB").
func fixedBytes(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		unit string
		size float64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if f >= u.size {
			return fmt.Sprintf("%.3f%s", f/u.size, u.unit)
		}
	}
	return fmt.Sprintf("%.3fB", f)
}
