package query

import (
	"sort"
	"strings"

	"github.com/minirocks/minirocks/types"
)

// sysVar declares a system variable: what SHOW VARIABLES lists and what
// SELECT @@name and SET name = ... accept. The set is what StarRocks answers
// to the mysql CLI, go-sql-driver, JDBC and GUI clients on connect, plus the
// StarRocks variables drills use.
type sysVar struct {
	name string
	def  string
	kind types.Kind // BigInt for numeric variables, Varchar otherwise
	// global variables may be changed only with SET GLOBAL (root).
	readOnly bool
}

func sysVars(versionComment, version string) []sysVar {
	i, s := types.BigInt, types.Varchar
	return []sysVar{
		{"auto_increment_increment", "1", i, false},
		{"autocommit", "1", i, false},
		{"character_set_client", "utf8", s, false},
		{"character_set_connection", "utf8", s, false},
		{"character_set_database", "utf8", s, false},
		{"character_set_results", "utf8", s, false},
		{"character_set_server", "utf8", s, false},
		{"collation_connection", "utf8_general_ci", s, false},
		{"collation_database", "utf8_general_ci", s, false},
		{"collation_server", "utf8_general_ci", s, false},
		{"default_storage_engine", "OLAP", s, false},
		{"activate_all_roles_on_login", "false", s, false},
		{"init_connect", "", s, false},
		{"interactive_timeout", "3600", i, false},
		{"language", "/starrocks/share/english/", s, true},
		{"license", "Apache License 2.0", s, true},
		{"lower_case_table_names", "0", i, true},
		{"max_allowed_packet", "33554432", i, false},
		{"net_buffer_length", "16384", i, false},
		{"net_read_timeout", "60", i, false},
		{"net_write_timeout", "60", i, false},
		{"performance_schema", "0", i, false},
		{"query_cache_size", "1048576", i, false},
		{"query_cache_type", "0", i, false},
		{"query_mem_limit", "0", i, false},
		{"query_timeout", "300", i, false},
		{"insert_timeout", "14400", i, false},
		{"sql_mode", "ONLY_FULL_GROUP_BY", s, false},
		{"sql_safe_updates", "0", i, false},
		{"sql_select_limit", "9223372036854775807", i, false},
		{"system_time_zone", "UTC", s, true},
		{"time_zone", "Asia/Shanghai", s, false},
		{"transaction_isolation", "REPEATABLE-READ", s, false},
		{"transaction_read_only", "0", i, false},
		{"tx_isolation", "REPEATABLE-READ", s, false},
		{"tx_read_only", "0", i, false},
		{"tx_visible_wait_timeout", "10", i, false},
		{"version", version, s, true},
		{"version_comment", versionComment, s, true},
		{"wait_timeout", "28800", i, false},
		{"workgroup_id", "0", i, false},
		{"resource_group", "", s, false},
		{"event_scheduler", "OFF", s, false},
		{"have_query_cache", "YES", s, true},
		{"hostname", "", s, true},
		{"port", "9030", i, true},
		{"profiling", "0", i, false},
		{"storage_engine", "olap", s, false},
		{"div_precision_increment", "4", i, false},
		{"big_table_limit", "0", i, false},
		{"names", "utf8", s, false},
	}
}

// varTable holds the declared variables. Their GLOBAL values are the
// defaults declared here unless SET GLOBAL changed them; changed values are
// journaled and kept in the catalog (persisted), so that every FE answers
// the same and they survive restarts, failovers and restores.
type varTable struct {
	decl      map[string]sysVar
	persisted func(name string) (string, bool)
}

func newVarTable(vars []sysVar, persisted func(name string) (string, bool)) *varTable {
	t := &varTable{decl: map[string]sysVar{}, persisted: persisted}
	for _, v := range vars {
		t.decl[v.name] = v
	}
	return t
}

func (t *varTable) lookup(name string) (sysVar, bool) {
	v, ok := t.decl[strings.ToLower(name)]
	return v, ok
}

// getGlobal returns the GLOBAL value of a declared variable ("" for an
// unknown one).
func (t *varTable) getGlobal(name string) string {
	name = strings.ToLower(name)
	if v, ok := t.persisted(name); ok {
		return v
	}
	return t.decl[name].def
}

// names returns the declared variable names, sorted.
func (t *varTable) names() []string {
	out := make([]string, 0, len(t.decl))
	for n := range t.decl {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// value renders a variable value as a typed SQL value.
func (v sysVar) value(s string) types.Value {
	if v.kind == types.BigInt {
		if n, ok := parseInt(s); ok {
			return types.IntValue(types.BigInt, n)
		}
	}
	return types.StringValue(s)
}
