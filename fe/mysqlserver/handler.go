package mysqlserver

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/minirocks/minirocks/fe/query"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/types"
)

// handler adapts vitess' connection callbacks to Engine sessions.
type handler struct {
	engine Engine
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[uint32]Session
	// pending is, per connection, the rest of a multi-statement query
	// whose whole text was already checked: the next ComMultiQuery call
	// with exactly that text continues it.
	pending map[uint32]string
	// conns counts the authenticated connections (qe_max_connection).
	conns *connLimit
	// maxPrepared bounds the prepared statements of a connection.
	maxPrepared int
}

func (h *handler) session(c *mysql.Conn) Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sessions[c.ConnectionID]; ok {
		return s
	}
	info := ConnInfo{ConnectionID: c.ConnectionID, User: c.User, Host: hostOf(c.RemoteAddr())}
	if a, ok := c.UserData.(*account); ok {
		info.User, info.Account = a.user, a.account
	}
	s := h.engine.Open(info)
	h.sessions[c.ConnectionID] = s
	return s
}

func (h *handler) drop(id uint32) {
	h.mu.Lock()
	s, ok := h.sessions[id]
	delete(h.sessions, id)
	delete(h.pending, id)
	h.mu.Unlock()
	if ok {
		s.Close()
	}
}

func (h *handler) closeAll() {
	h.mu.Lock()
	ss := h.sessions
	h.sessions = map[uint32]Session{}
	h.mu.Unlock()
	for _, s := range ss {
		s.Close()
	}
}

func (h *handler) NewConnection(*mysql.Conn) {}

func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.drop(c.ConnectionID)
	h.conns.unregister(c.ConnectionID)
}

func (h *handler) ConnectionAborted(c *mysql.Conn, reason string) error {
	if h.log != nil {
		h.log.Debug("mysql connection aborted", "conn", c.ConnectionID, "reason", reason)
	}
	return nil
}

func (h *handler) ComInitDB(c *mysql.Conn, schema string) error {
	return toSQLError(h.session(c).UseDB(schema))
}

// ComQuery runs a query from a client without CLIENT_MULTI_STATEMENTS:
// one statement; a text with more is refused before anything runs.
func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, q string, cb mysql.ResultSpoolFn) error {
	res, err := h.session(c).RunOne(ctx, q)
	if err != nil {
		return toSQLError(err)
	}
	return cb(toSQLResult(res), false)
}

// ComMultiQuery runs one statement of a multi-statement query and returns
// the rest, which the server passes back for the next one. The whole text
// is parsed at its first call, so a syntax error in any statement stops
// the query before its first statement runs (as StarRocks parses a query
// whole); a statement that fails when it runs stops the ones after it.
func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, q string, cb mysql.ResultSpoolFn) (string, error) {
	s := h.session(c)
	h.mu.Lock()
	continued := h.pending[c.ConnectionID] == q && q != ""
	delete(h.pending, c.ConnectionID)
	h.mu.Unlock()
	if !continued {
		if err := s.Check(q); err != nil {
			return "", toSQLError(err)
		}
	}
	res, rest, err := s.Run(ctx, q)
	if err != nil {
		return "", toSQLError(err)
	}
	more := strings.TrimSpace(rest) != ""
	if !more {
		rest = ""
	} else {
		h.mu.Lock()
		h.pending[c.ConnectionID] = rest
		h.mu.Unlock()
	}
	return rest, cb(toSQLResult(res), more)
}

// ComPrepare accepts the statement; it is parsed and checked when
// executed. A connection holds at most maxPrepared statements (MySQL's
// max_prepared_stmt_count, per connection): each keeps its text and its
// bound values in memory.
func (h *handler) ComPrepare(_ context.Context, c *mysql.Conn, _ string, p *mysql.PrepareData) ([]*querypb.Field, error) {
	if len(c.PrepareData) > h.maxPrepared {
		delete(c.PrepareData, p.StatementID)
		return nil, mysql.NewSQLError(sqlerr.ErMaxPreparedStmtCount, sqlerr.StateSyntax,
			"Can't create more than max_prepared_stmt_count statements (current value: %d)", h.maxPrepared)
	}
	return nil, nil
}

// ComStmtExecute binds the parameters into the statement text as literals
// and runs it like a COM_QUERY.
func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, p *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	text, err := BindParams(p.PrepareStmt, p.BindVars)
	if err != nil {
		return toSQLError(err)
	}
	res, err := h.session(c).RunOne(ctx, text)
	if err != nil {
		return toSQLError(err)
	}
	return cb(toSQLResult(res))
}

func (h *handler) WarningCount(*mysql.Conn) uint16 { return 0 }

func (h *handler) ComResetConnection(c *mysql.Conn) error {
	h.drop(c.ConnectionID)
	return nil
}

func (h *handler) ParserOptionsForConnection(*mysql.Conn) (sqlparser.ParserOptions, error) {
	return sqlparser.ParserOptions{}, nil
}

// fieldType maps a minirocks type to the MySQL column type StarRocks sends.
func fieldType(t types.Type) (querypb.Type, uint32, uint32) {
	const binary, utf8 = 63, 33
	switch t.Kind {
	case types.Boolean, types.TinyInt:
		return querypb.Type_INT8, 4, binary
	case types.SmallInt:
		return querypb.Type_INT16, 6, binary
	case types.Int:
		return querypb.Type_INT32, 11, binary
	case types.BigInt:
		return querypb.Type_INT64, 20, binary
	case types.LargeInt:
		return querypb.Type_VARCHAR, 40 * 3, utf8
	case types.Float:
		return querypb.Type_FLOAT32, 12, binary
	case types.Double:
		return querypb.Type_FLOAT64, 22, binary
	case types.Decimal:
		return querypb.Type_DECIMAL, uint32(t.Precision + 2), binary
	case types.Char:
		return querypb.Type_CHAR, uint32(t.Len * 3), utf8
	case types.Date:
		return querypb.Type_DATE, 10, binary
	case types.DateTime:
		return querypb.Type_DATETIME, 26, binary
	case types.Null:
		return querypb.Type_NULL_TYPE, 0, binary
	default:
		n := t.Len
		if n <= 0 {
			n = 256
		}
		return querypb.Type_VARCHAR, uint32(n * 3), utf8
	}
}

func toSQLResult(r *query.Result) *sqltypes.Result {
	out := &sqltypes.Result{}
	if r == nil {
		return out
	}
	out.RowsAffected = r.AffectedRows
	out.Info = r.Info
	if len(r.Columns) == 0 {
		return out
	}
	ftypes := make([]querypb.Type, len(r.Columns))
	for i, col := range r.Columns {
		ft, length, charset := fieldType(col.Type)
		ftypes[i] = ft
		f := &querypb.Field{Name: col.Name, OrgName: col.Name, Type: ft, ColumnLength: length, Charset: charset}
		if col.Type.Kind == types.Decimal {
			f.Decimals = uint32(col.Type.Scale)
		}
		if charset == 63 && ft != querypb.Type_NULL_TYPE {
			f.Flags = uint32(querypb.MySqlFlag_BINARY_FLAG)
			if sqltypes.IsIntegral(ft) || sqltypes.IsFloat(ft) || ft == querypb.Type_DECIMAL {
				f.Flags |= uint32(querypb.MySqlFlag_NUM_FLAG)
			}
		}
		out.Fields = append(out.Fields, f)
	}
	out.Rows = make([][]sqltypes.Value, len(r.Rows))
	for i, row := range r.Rows {
		vals := make([]sqltypes.Value, len(row))
		for j, v := range row {
			if v.IsNull() {
				vals[j] = sqltypes.NULL
				continue
			}
			vals[j] = sqltypes.MakeTrusted(ftypes[j], []byte(v.String()))
		}
		out.Rows[i] = vals
	}
	return out
}

// BindParams replaces the `?` placeholders of a prepared statement (those
// outside strings, quoted names and comments) with SQL literals of the
// bound values v1, v2, ...
func BindParams(stmt string, vars map[string]*querypb.BindVariable) (string, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(stmt); i++ {
		ch := stmt[i]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			j := skipQuoted(stmt, i)
			b.WriteString(stmt[i:j])
			i = j - 1
		case ch == '-' && strings.HasPrefix(stmt[i:], "--"), ch == '#':
			j := strings.IndexByte(stmt[i:], '\n')
			if j < 0 {
				j = len(stmt) - i
			}
			b.WriteString(stmt[i : i+j])
			i += j - 1
		case ch == '/' && strings.HasPrefix(stmt[i:], "/*"):
			j := strings.Index(stmt[i+2:], "*/")
			end := len(stmt)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(stmt[i:end])
			i = end - 1
		case ch == '?':
			n++
			bv, ok := vars["v"+strconv.Itoa(n)]
			if !ok || bv == nil {
				return "", sqlerr.New(sqlerr.ErParse, sqlerr.StateSyntax, "No value bound for parameter %d", n)
			}
			b.WriteString(literal(bv))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func literal(bv *querypb.BindVariable) string {
	switch {
	case bv.Type == querypb.Type_NULL_TYPE:
		return "NULL"
	case sqltypes.IsIntegral(bv.Type) || sqltypes.IsFloat(bv.Type) || bv.Type == querypb.Type_DECIMAL:
		return string(bv.Value)
	default:
		return QuoteString(string(bv.Value))
	}
}

// QuoteString renders s as a single-quoted SQL string literal.
func QuoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b.WriteString("\\'")
		case '\\':
			b.WriteString("\\\\")
		case 0:
			b.WriteString("\\0")
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
