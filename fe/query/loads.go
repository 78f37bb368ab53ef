package query

import (
	"strconv"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/sql"
	"github.com/minirocks/minirocks/types"
)

// loadState maps a transaction's state to a load job's state as StarRocks
// shows them: INSERT jobs are PREPARED once committed, Stream Load tasks
// COMMITED (sic).
func loadState(t *catalog.Transaction) string {
	switch t.State {
	case catalog.TxnVisible:
		return "FINISHED"
	case catalog.TxnAborted:
		return "CANCELLED"
	case catalog.TxnCommitted:
		if t.Kind == catalog.TxnStreamLoad {
			return "COMMITED"
		}
		return "PREPARED"
	}
	return "LOADING"
}

// loadProgress is a job's PROGRESS.
func loadProgress(t *catalog.Transaction) string {
	done := t.State == catalog.TxnVisible
	if t.Kind == catalog.TxnStreamLoad {
		if done {
			return "100%"
		}
		return "0%"
	}
	if done {
		return "ETL:100%; LOAD:100%"
	}
	return "ETL:100%; LOAD:0%"
}

func loadType(t *catalog.Transaction) string {
	if t.Kind == catalog.TxnStreamLoad {
		return "STREAM_LOAD"
	}
	return "INSERT"
}

// loadJobs lists the load transactions the session may see (compaction
// transactions are not loads).
func (s *Session) loadJobs(dbName string) []*catalog.Transaction {
	cat := s.eng.cat
	p := s.privs()
	var out []*catalog.Transaction
	for _, t := range cat.Txns() {
		if t.Kind == catalog.TxnCompaction {
			continue
		}
		db := cat.DBByID(t.DBID)
		tbl := cat.TableByID(t.TableID)
		if db == nil || (dbName != "" && db.Name != dbName) {
			continue
		}
		// A load whose table was dropped is shown only to those who may
		// see every table of its database (root, ALL on the database, a
		// grant on db.*): its label and user must not leak to others.
		if tbl != nil && !p.AnyOnTable(db.Name, tbl.Name) || tbl == nil && !p.AnyOnTable(db.Name, "*") {
			continue
		}
		out = append(out, t)
	}
	return out
}

// loadsRows are information_schema.loads' rows.
func (s *Session) loadsRows() [][]types.Value {
	cat := s.eng.cat
	str := types.StringValue
	i64 := func(n int64) types.Value { return types.IntValue(types.BigInt, n) }
	tm := func(ms int64) types.Value {
		if ms <= 0 {
			return types.NullValue
		}
		return types.TextValue(types.DateTime, fmtMillis(ms))
	}
	var out [][]types.Value
	for _, t := range s.loadJobs("") {
		dbName, tblName := "", ""
		if db := cat.DBByID(t.DBID); db != nil {
			dbName = db.Name
		}
		if tbl := cat.TableByID(t.TableID); tbl != nil {
			tblName = tbl.Name
		}
		progress := loadProgress(t)
		errMsg := types.NullValue
		if t.Reason != "" {
			errMsg = str(t.Reason)
		}
		commit := int64(0)
		if t.State == catalog.TxnCommitted || t.State == catalog.TxnVisible {
			commit = t.CommitTime
		}
		out = append(out, []types.Value{i64(t.ID), str(t.Label), str(""), str(dbName), str(tblName), str(t.User),
			str("default_warehouse"), str(loadState(t)), str(progress), str(loadType(t)), str("NORMAL"),
			i64(t.Rows + t.FilteredRows), i64(t.Bytes), i64(t.FilteredRows), i64(0), i64(t.Rows), str(runtimeDetails(t)),
			tm(t.BeginTime), tm(t.BeginTime), tm(commit), tm(t.FinishTime), str("{}"), errMsg, types.NullValue, types.NullValue, i64(t.ID)})
	}
	return out
}

// runtimeDetails is RUNTIME_DETAILS: a JSON object with the transaction's
// id and, once they happened, the journal ids of its commit and of its
// visibility (a cluster snapshot whose fe_journal_id is at least the
// commit's holds the load).
func runtimeDetails(t *catalog.Transaction) string {
	b := []byte(`{"txn_id":`)
	b = strconv.AppendInt(b, t.ID, 10)
	if t.CommitJournalID != 0 {
		b = append(b, `,"commit_journal_id":`...)
		b = strconv.AppendUint(b, t.CommitJournalID, 10)
	}
	if t.VisibleJournalID != 0 {
		b = append(b, `,"visible_journal_id":`...)
		b = strconv.AppendUint(b, t.VisibleJournalID, 10)
	}
	return string(append(b, '}'))
}

// loadsColumns are information_schema.loads' columns (StarRocks 3.3).
func loadsColumns() []Column {
	b := func(n string) Column { return Column{Name: n, Type: types.TBigInt} }
	v := func(n string) Column { return Column{Name: n, Type: types.VarcharOf(256)} }
	d := func(n string) Column { return Column{Name: n, Type: types.TDateTime} }
	return []Column{b("ID"), v("LABEL"), v("PROFILE_ID"), v("DB_NAME"), v("TABLE_NAME"), v("USER"), v("WAREHOUSE"),
		v("STATE"), v("PROGRESS"), v("TYPE"), v("PRIORITY"), b("SCAN_ROWS"), b("SCAN_BYTES"), b("FILTERED_ROWS"),
		b("UNSELECTED_ROWS"), b("SINK_ROWS"), v("RUNTIME_DETAILS"), d("CREATE_TIME"), d("LOAD_START_TIME"),
		d("LOAD_COMMIT_TIME"), d("LOAD_FINISH_TIME"), v("PROPERTIES"), v("ERROR_MSG"), v("TRACKING_SQL"),
		v("REJECTED_RECORD_PATH"), b("JOB_ID")}
}

// execShowLoad lists load jobs of a database as SHOW LOAD does.
func (s *Session) execShowLoad(st *sql.ShowLoadStmt) (*Result, error) {
	db := s.db
	pos := st.Pos()
	if st.Db != nil {
		db, pos = st.Db.Name, st.Db.At
	}
	if db == "" {
		return nil, errNoDB(pos)
	}
	if s.eng.cat.DB(db) == nil {
		return nil, errUnknownDB(pos, db)
	}
	res := &Result{Columns: StringColumns("JobId", "Label", "State", "Progress", "Type", "Priority", "ScanRows",
		"FilteredRows", "UnselectedRows", "SinkRows", "EtlInfo", "TaskInfo", "ErrorMsg", "CreateTime", "EtlStartTime",
		"EtlFinishTime", "LoadStartTime", "LoadFinishTime", "TrackingSQL", "JobDetails", "Warehouse")}
	for _, t := range s.loadJobs(db) {
		if t.Kind != catalog.TxnInsert {
			continue // SHOW LOAD lists INSERT (and broker) jobs, not stream loads
		}
		res.AddRow(strconv.FormatInt(t.ID, 10), t.Label, loadState(t), loadProgress(t), loadType(t), "NORMAL",
			strconv.FormatInt(t.Rows+t.FilteredRows, 10), strconv.FormatInt(t.FilteredRows, 10), "0", strconv.FormatInt(t.Rows, 10),
			"NULL", "resource:N/A; timeout(s):"+strconv.FormatInt(t.TimeoutSec, 10)+"; max_filter_ratio:0.0", t.Reason,
			fmtMillis(t.BeginTime), fmtMillis(t.BeginTime), fmtMillis(t.BeginTime), fmtMillis(t.BeginTime), fmtMillis(t.FinishTime),
			"NULL", "{}", "default_warehouse")
	}
	if st.Where != nil {
		return s.filterShow(res, nil, st.Where)
	}
	return res, nil
}
