package sql

import "fmt"

// Conventions of this AST, for the analyzer and executor:
//
//   - Every node has a position (Pos(): the node's first token). Statements
//     also carry their own source text (Text()).
//   - Names keep the spelling of the source (backquotes removed, `` → `).
//     Keywords-like enumerations (types, privileges, units, ...) are
//     canonical upper case.
//   - Optional sub-nodes are nil when absent; optional lists are nil when
//     absent; optional strings that may legitimately be empty are *string.
//   - Numbers are kept as source text in Literal; the parser converts only
//     the few that must be integers (LIMIT, BUCKETS, KILL, ...).

// Pos is a position in the SQL text. Line is 1-based; Col is 0-based and
// counts characters from the start of the line, the way StarRocks (ANTLR)
// reports positions.
type Pos struct {
	Line int
	Col  int
}

// String renders the position as "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Node is implemented by every AST node.
type Node interface {
	// Pos is the position of the node's first token.
	Pos() Pos
}

// Stmt is a parsed statement. The concrete types are the *...Stmt structs
// of this package.
type Stmt interface {
	Node
	// Text is the statement's own source text, trimmed, without the ';'.
	Text() string
	stmtNode()
}

// Expr is an expression. The concrete types are *Literal, *ColumnRef,
// *VariableExpr, *ParamExpr, *UnaryExpr, *BinaryExpr, *IsExpr, *LikeExpr,
// *InExpr, *BetweenExpr, *FuncCall, *CastExpr, *CaseExpr, *IntervalExpr and
// *DefaultExpr.
type Expr interface {
	Node
	// String renders the expression as canonical SQL (StarRocks style:
	// spaces around binary operators, lower-case function names, minimal
	// parentheses). It is meant for diagnostics and column labels.
	String() string
	exprNode()
}

// StmtBase is embedded in every statement and holds its position and text.
type StmtBase struct {
	At  Pos    // position of the statement's first token
	Src string // the statement's source text, trimmed, without ';'
}

// Pos returns the position of the statement's first token.
func (b *StmtBase) Pos() Pos { return b.At }

// Text returns the statement's source text.
func (b *StmtBase) Text() string { return b.Src }

// ---------------------------------------------------------------- names

// Ident is a single name: a database, partition, column (in DDL), role,
// storage volume, label, ...
type Ident struct {
	At   Pos
	Name string
}

// Pos returns the position of the name.
func (n *Ident) Pos() Pos { return n.At }

// TableName is [[catalog.]db.]table. Catalog and Db are "" when not written.
type TableName struct {
	At      Pos
	Catalog string
	Db      string
	Name    string
}

// Pos returns the position of the first part of the name.
func (n *TableName) Pos() Pos { return n.At }

// String renders the name as written, without quoting: "db.t" or "t".
func (n *TableName) String() string {
	s := n.Name
	if n.Db != "" {
		s = n.Db + "." + s
	}
	if n.Catalog != "" {
		s = n.Catalog + "." + s
	}
	return s
}

// UserIdent is a user account 'user'@'host'. Host is "%" when not written.
type UserIdent struct {
	At   Pos
	User string
	Host string
}

// Pos returns the position of the user name.
func (u *UserIdent) Pos() Pos { return u.At }

// String renders the account as 'user'@'host'.
func (u *UserIdent) String() string { return fmt.Sprintf("'%s'@'%s'", u.User, u.Host) }

// Property is one "key" = "value" pair of a PROPERTIES (...) list or a
// similar list. Key and Value are the decoded strings.
type Property struct {
	At    Pos
	Key   string
	Value string
}

// Pos returns the position of the key.
func (p *Property) Pos() Pos { return p.At }

// ---------------------------------------------------------------- types

// TypeDef is a column or CAST type.
type TypeDef struct {
	At Pos
	// Name is canonical upper case: BOOLEAN (also for BOOL), TINYINT,
	// SMALLINT, INT (also for INTEGER), BIGINT, LARGEINT, FLOAT, DOUBLE,
	// DECIMAL, DECIMALV2, DECIMAL32, DECIMAL64, DECIMAL128, CHAR, VARCHAR,
	// STRING, DATE, DATETIME, JSON, BITMAP, HLL, BINARY, VARBINARY.
	// CAST(x AS SIGNED [INTEGER]) gives BIGINT and UNSIGNED gives LARGEINT.
	Name string
	// Len is the (n) of CHAR, VARCHAR, BINARY and VARBINARY, or the display
	// width of an integer type such as INT(11); HasLen says it was given.
	Len    int
	HasLen bool
	// Precision and Scale are the (p[, s]) of the DECIMAL types.
	Precision    int
	Scale        int
	HasPrecision bool
	HasScale     bool
}

// Pos returns the position of the type name.
func (t *TypeDef) Pos() Pos { return t.At }

// String renders the type, e.g. "VARCHAR(32)" or "DECIMAL(10,2)".
func (t *TypeDef) String() string {
	switch {
	case t.HasScale:
		return fmt.Sprintf("%s(%d,%d)", t.Name, t.Precision, t.Scale)
	case t.HasPrecision:
		return fmt.Sprintf("%s(%d)", t.Name, t.Precision)
	case t.HasLen:
		return fmt.Sprintf("%s(%d)", t.Name, t.Len)
	}
	return t.Name
}

// ---------------------------------------------------------------- expressions

// LiteralKind is the kind of a Literal.
type LiteralKind string

// Literal kinds.
const (
	LitNull     LiteralKind = "NULL"     // NULL; Val is "NULL"
	LitBool     LiteralKind = "BOOL"     // TRUE/FALSE; Val is "TRUE" or "FALSE"
	LitInt      LiteralKind = "INT"      // 123; Val is the digits, any size
	LitDecimal  LiteralKind = "DECIMAL"  // 1.5, .5, 1.; Val as written
	LitFloat    LiteralKind = "FLOAT"    // 1e3, 1.5E-2; Val as written
	LitString   LiteralKind = "STRING"   // 'x' or "x"; Val is the decoded text
	LitDate     LiteralKind = "DATE"     // DATE 'x'; Val is the string x
	LitDatetime LiteralKind = "DATETIME" // DATETIME 'x' or TIMESTAMP 'x'; Val is x
)

// Literal is a constant. A minus sign directly in front of a numeric
// literal is folded into it, so "-1" is one Literal with Val "-1".
type Literal struct {
	At   Pos
	Kind LiteralKind
	Val  string
}

// ColumnRef is a column reference a, t.a or db.t.a. Db and Table are ""
// when not written.
type ColumnRef struct {
	At    Pos
	Db    string
	Table string
	Name  string
}

// VarScope is the scope written for a system variable.
type VarScope string

// Variable scopes. LOCAL is reported as ScopeSession.
const (
	ScopeDefault VarScope = ""        // no scope written
	ScopeSession VarScope = "SESSION" // SESSION or LOCAL
	ScopeGlobal  VarScope = "GLOBAL"  // GLOBAL
)

// VariableExpr is a user variable @name (System false) or a system variable
// @@name, @@session.name, @@global.name, @@local.name (System true).
type VariableExpr struct {
	At     Pos
	Name   string   // as written, without @ / @@ / scope
	System bool     // @@ rather than @
	Scope  VarScope // system variables only
}

// ParamExpr is a '?' placeholder of a prepared statement. Index counts the
// placeholders of the statement from 0 in source order.
type ParamExpr struct {
	At    Pos
	Index int
}

// UnaryOp is the operator of a UnaryExpr.
type UnaryOp string

// Unary operators.
const (
	OpNeg    UnaryOp = "-"
	OpPlus   UnaryOp = "+"
	OpNot    UnaryOp = "NOT" // NOT x and !x
	OpBitNot UnaryOp = "~"
)

// UnaryExpr is Op X.
type UnaryExpr struct {
	At Pos
	Op UnaryOp
	X  Expr
}

// BinaryOp is the operator of a BinaryExpr.
type BinaryOp string

// Binary operators. The spellings || and && parse as OR and AND, <> as
// !=, MOD as %.
const (
	OpOr     BinaryOp = "OR"
	OpXor    BinaryOp = "XOR"
	OpAnd    BinaryOp = "AND"
	OpEq     BinaryOp = "="
	OpNullEq BinaryOp = "<=>"
	OpNe     BinaryOp = "!="
	OpLt     BinaryOp = "<"
	OpLe     BinaryOp = "<="
	OpGt     BinaryOp = ">"
	OpGe     BinaryOp = ">="
	OpBitOr  BinaryOp = "|"
	OpBitAnd BinaryOp = "&"
	OpBitXor BinaryOp = "^"
	OpShl    BinaryOp = "<<"
	OpShr    BinaryOp = ">>"
	OpAdd    BinaryOp = "+"
	OpSub    BinaryOp = "-"
	OpMul    BinaryOp = "*"
	OpDiv    BinaryOp = "/"
	OpMod    BinaryOp = "%"
	OpIntDiv BinaryOp = "DIV"
)

// BinaryExpr is L Op R, for logical, comparison, bitwise and arithmetic
// operators.
type BinaryExpr struct {
	At Pos
	Op BinaryOp
	L  Expr
	R  Expr
}

// IsWhat is what an IsExpr tests for.
type IsWhat string

// IS tests.
const (
	IsNull    IsWhat = "NULL"
	IsTrue    IsWhat = "TRUE"
	IsFalse   IsWhat = "FALSE"
	IsUnknown IsWhat = "UNKNOWN"
)

// IsExpr is X IS [NOT] NULL|TRUE|FALSE|UNKNOWN.
type IsExpr struct {
	At   Pos
	X    Expr
	Not  bool
	What IsWhat
}

// LikeExpr is X [NOT] LIKE Pattern [ESCAPE Escape], or with Regexp set
// X [NOT] REGEXP|RLIKE Pattern.
type LikeExpr struct {
	At      Pos
	X       Expr
	Pattern Expr
	Escape  Expr // nil when no ESCAPE clause
	Not     bool
	Regexp  bool
}

// InExpr is X [NOT] IN (List...).
type InExpr struct {
	At   Pos
	X    Expr
	List []Expr
	Not  bool
}

// BetweenExpr is X [NOT] BETWEEN Low AND High.
type BetweenExpr struct {
	At   Pos
	X    Expr
	Low  Expr
	High Expr
	Not  bool
}

// FuncCall is a function call Name(Args...). Name is as written (compare
// case-insensitively). COUNT(*) has Star set and no Args;
// f(DISTINCT a, b) has Distinct set. Niladic keywords such as
// CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_USER written without
// parentheses are calls with no arguments, named in upper case.
type FuncCall struct {
	At       Pos
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
}

// CastExpr is CAST(X AS Type).
type CastExpr struct {
	At   Pos
	X    Expr
	Type *TypeDef
}

// When is one WHEN Cond THEN Result arm of a CaseExpr.
type When struct {
	At     Pos
	Cond   Expr
	Result Expr
}

// Pos returns the position of WHEN.
func (w *When) Pos() Pos { return w.At }

// CaseExpr is CASE [Operand] WHEN .. THEN .. [ELSE Else] END. Operand and
// Else are nil when absent.
type CaseExpr struct {
	At      Pos
	Operand Expr
	Whens   []*When
	Else    Expr
}

// IntervalExpr is INTERVAL Value Unit, as used in date arithmetic
// (d + INTERVAL 1 DAY, DATE_ADD(d, INTERVAL 1 DAY)). Unit is one of YEAR,
// QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND,
// MICROSECOND.
type IntervalExpr struct {
	At    Pos
	Value Expr
	Unit  string
}

// DefaultExpr is the keyword DEFAULT where a value is expected: in an
// INSERT VALUES row and as the value of SET var = DEFAULT.
type DefaultExpr struct {
	At Pos
}

// Pos returns the position of the expression's first token.
func (e *Literal) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *ColumnRef) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *VariableExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *ParamExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *UnaryExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *BinaryExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *IsExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *LikeExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *InExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *BetweenExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *FuncCall) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *CastExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *CaseExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *IntervalExpr) Pos() Pos { return e.At }

// Pos returns the position of the expression's first token.
func (e *DefaultExpr) Pos() Pos { return e.At }

func (*Literal) exprNode()      {}
func (*ColumnRef) exprNode()    {}
func (*VariableExpr) exprNode() {}
func (*ParamExpr) exprNode()    {}
func (*UnaryExpr) exprNode()    {}
func (*BinaryExpr) exprNode()   {}
func (*IsExpr) exprNode()       {}
func (*LikeExpr) exprNode()     {}
func (*InExpr) exprNode()       {}
func (*BetweenExpr) exprNode()  {}
func (*FuncCall) exprNode()     {}
func (*CastExpr) exprNode()     {}
func (*CaseExpr) exprNode()     {}
func (*IntervalExpr) exprNode() {}
func (*DefaultExpr) exprNode()  {}

// ---------------------------------------------------------------- queries

// SelectStmt is a SELECT query. INSERT ... SELECT embeds one too.
type SelectStmt struct {
	StmtBase
	Distinct bool
	Items    []*SelectItem
	From     TableExpr    // nil without FROM (and for FROM DUAL)
	Where    Expr         // nil when absent
	GroupBy  []Expr       // nil when absent
	Having   Expr         // nil when absent
	OrderBy  []*OrderItem // nil when absent
	Limit    *Limit       // nil when absent
}

// SelectItem is one item of the select list: *, t.* (Star set, StarTable
// names the table or is nil for a bare *), or Expr [[AS] Alias].
type SelectItem struct {
	At        Pos
	Star      bool
	StarTable *TableName // t.* / db.t.*; nil for *
	Expr      Expr       // nil for stars
	Alias     string     // "" when none
	// Text is the item's source text without the alias, e.g. "COUNT(*)"
	// or "@@session.auto_increment_increment"; MySQL uses it as the
	// column label.
	Text string
}

// Pos returns the position of the item.
func (s *SelectItem) Pos() Pos { return s.At }

// OrderItem is one ORDER BY element.
type OrderItem struct {
	At   Pos
	Expr Expr
	Desc bool
}

// Pos returns the position of the item.
func (o *OrderItem) Pos() Pos { return o.At }

// Limit is LIMIT Count [OFFSET Offset] or LIMIT Offset, Count. Numbers
// larger than the int64 range are clamped to math.MaxInt64.
type Limit struct {
	At     Pos
	Count  int64
	Offset int64
}

// Pos returns the position of LIMIT.
func (l *Limit) Pos() Pos { return l.At }

// TableExpr is a FROM item: *TableRef or *JoinExpr.
type TableExpr interface {
	Node
	tableExpr()
}

// TableRef is a table in FROM with an optional alias ("" when none).
type TableRef struct {
	At    Pos
	Name  *TableName
	Alias string
}

// JoinKind is the kind of a JoinExpr.
type JoinKind string

// Join kinds. A comma in FROM is a JoinCross.
const (
	JoinInner JoinKind = "INNER"
	JoinLeft  JoinKind = "LEFT"
	JoinRight JoinKind = "RIGHT"
	JoinFull  JoinKind = "FULL"
	JoinCross JoinKind = "CROSS"
)

// JoinExpr is Left JOIN Right [ON On | USING (Using)].
type JoinExpr struct {
	At    Pos
	Kind  JoinKind
	Left  TableExpr
	Right TableExpr
	On    Expr     // nil when absent
	Using []*Ident // nil when absent
}

// Pos returns the position of the table reference.
func (t *TableRef) Pos() Pos { return t.At }

// Pos returns the position of the left operand.
func (j *JoinExpr) Pos() Pos { return j.At }

func (*TableRef) tableExpr() {}
func (*JoinExpr) tableExpr() {}

func (*SelectStmt) stmtNode()  {}
func (*InsertStmt) stmtNode()  {}
func (*UseStmt) stmtNode()     {}
func (*SetStmt) stmtNode()     {}
func (*SetRoleStmt) stmtNode() {}

// ---------------------------------------------------------------- DML

// InsertStmt is INSERT INTO|OVERWRITE [db.]t [PARTITION (p, ...)] [WITH
// LABEL l] [(cols)] VALUES (...), ... | SELECT .... Exactly one of Rows
// and Select is set.
type InsertStmt struct {
	StmtBase
	Overwrite  bool
	Table      *TableName
	Partitions []*Ident // nil when absent
	Label      *Ident   // nil when absent
	Columns    []*Ident // nil when no column list
	Rows       [][]Expr // VALUES rows; an element may be *DefaultExpr
	Select     *SelectStmt
}

// ---------------------------------------------------------------- session

// UseStmt is USE [catalog.]db.
type UseStmt struct {
	StmtBase
	Catalog *Ident // nil when not written
	Db      *Ident
}

// SetKind is the kind of a SetAssignment.
type SetKind string

// Kinds of SET assignments.
const (
	SetSystemVar SetKind = "SYSTEM"  // [SESSION|GLOBAL|LOCAL] var = v, @@[scope.]var = v
	SetUserVar   SetKind = "USER"    // @var = v
	SetNames     SetKind = "NAMES"   // SET NAMES cs [COLLATE co]
	SetCharset   SetKind = "CHARSET" // SET CHARACTER SET cs, SET CHARSET cs
)

// SetStmt is SET assignment[, assignment...].
type SetStmt struct {
	StmtBase
	Assignments []*SetAssignment
}

// SetAssignment is one assignment of a SetStmt.
type SetAssignment struct {
	At    Pos
	Kind  SetKind
	Scope VarScope // SetSystemVar only
	Name  string   // SetSystemVar / SetUserVar: variable name as written
	// Value is the assigned expression (SetSystemVar, SetUserVar). A bare
	// word is turned into a string literal (SET sql_mode = ANSI gives
	// 'ANSI'), as are ON and ALL; DEFAULT gives *DefaultExpr.
	Value Expr
	// Charset is the character set of NAMES / CHARSET; "" means DEFAULT.
	Charset string
	// Collate is the COLLATE of SET NAMES; "" when not written.
	Collate string
}

// Pos returns the position of the assignment.
func (a *SetAssignment) Pos() Pos { return a.At }

// RoleSpec says which roles a SetRoleStmt names.
type RoleSpec string

// Role specs.
const (
	RolesList    RoleSpec = "LIST"    // the roles in Roles
	RolesAll     RoleSpec = "ALL"     // ALL [EXCEPT Roles]
	RolesNone    RoleSpec = "NONE"    // NONE
	RolesDefault RoleSpec = "DEFAULT" // DEFAULT (SET ROLE only)
)

// SetRoleStmt is SET ROLE DEFAULT|NONE|ALL [EXCEPT r, ...]|r[, r...]
// (Default false) or SET DEFAULT ROLE NONE|ALL|r[, r...] TO user (Default
// true, User set).
type SetRoleStmt struct {
	StmtBase
	Default bool
	Spec    RoleSpec
	Roles   []*Ident   // the listed roles, or the EXCEPT list of ALL
	User    *UserIdent // SET DEFAULT ROLE only
}

// SetPasswordStmt is SET PASSWORD [FOR user] = PASSWORD('p') (Hashed
// false, Password p) or = 'hash' (Hashed true).
type SetPasswordStmt struct {
	StmtBase
	User     *UserIdent // nil for the current user
	Password string
	Hashed   bool
}

// ---------------------------------------------------------------- SHOW / DESC

// ShowKind is the kind of a generic ShowStmt.
type ShowKind string

// Kinds of generic SHOW statements.
const (
	ShowDatabases      ShowKind = "DATABASES"       // SHOW DATABASES|SCHEMAS [LIKE|WHERE]
	ShowFrontends      ShowKind = "FRONTENDS"       // SHOW FRONTENDS
	ShowBackends       ShowKind = "BACKENDS"        // SHOW BACKENDS
	ShowComputeNodes   ShowKind = "COMPUTE NODES"   // SHOW COMPUTE NODES
	ShowStorageVolumes ShowKind = "STORAGE VOLUMES" // SHOW STORAGE VOLUMES [LIKE]
	ShowRoles          ShowKind = "ROLES"           // SHOW ROLES
	ShowUsers          ShowKind = "USERS"           // SHOW USERS
	ShowProcesslist    ShowKind = "PROCESSLIST"     // SHOW [FULL] PROCESSLIST
	ShowStatus         ShowKind = "STATUS"          // SHOW [GLOBAL|SESSION] STATUS [LIKE|WHERE]
	ShowEngines        ShowKind = "ENGINES"         // SHOW ENGINES
	ShowCharset        ShowKind = "CHARSET"         // SHOW CHARSET|CHARACTER SET [LIKE|WHERE]
	ShowCollation      ShowKind = "COLLATION"       // SHOW COLLATION [LIKE|WHERE]
	ShowCatalogs       ShowKind = "CATALOGS"        // SHOW CATALOGS
)

// ShowStmt is one of the SHOW statements without operands (see ShowKind).
type ShowStmt struct {
	StmtBase
	Kind  ShowKind
	Full  bool     // SHOW FULL PROCESSLIST
	Scope VarScope // SHOW GLOBAL|SESSION STATUS
	Like  *string  // LIKE pattern; nil when absent
	Where Expr     // nil when absent
}

// ShowVariablesStmt is SHOW [GLOBAL|SESSION|LOCAL] VARIABLES [LIKE 'p' |
// WHERE expr].
type ShowVariablesStmt struct {
	StmtBase
	Scope VarScope
	Like  *string
	Where Expr
}

// ShowTablesStmt is SHOW [FULL] TABLES [FROM|IN db] [LIKE 'p' | WHERE e].
type ShowTablesStmt struct {
	StmtBase
	Full  bool
	Db    *Ident // nil for the current database
	Like  *string
	Where Expr
}

// ShowColumnsStmt is SHOW [FULL] COLUMNS|FIELDS FROM|IN t [FROM|IN db]
// [LIKE 'p' | WHERE e].
type ShowColumnsStmt struct {
	StmtBase
	Full  bool
	Table *TableName
	Db    *Ident // the second FROM db; nil when absent
	Like  *string
	Where Expr
}

// ShowCreateTableStmt is SHOW CREATE TABLE [db.]t.
type ShowCreateTableStmt struct {
	StmtBase
	Table *TableName
}

// ShowCreateDatabaseStmt is SHOW CREATE DATABASE|SCHEMA db.
type ShowCreateDatabaseStmt struct {
	StmtBase
	Db *Ident
}

// DescTableStmt is DESC|DESCRIBE [db.]t [ALL].
type DescTableStmt struct {
	StmtBase
	Table *TableName
	All   bool
}

// ShowProcStmt is SHOW PROC '/path'.
type ShowProcStmt struct {
	StmtBase
	Path string
}

// ShowGrantsStmt is SHOW GRANTS [FOR user | FOR ROLE r] or SHOW ALL GRANTS.
type ShowGrantsStmt struct {
	StmtBase
	All  bool       // SHOW ALL GRANTS
	User *UserIdent // nil when no FOR user
	Role *Ident     // FOR ROLE r; nil otherwise
}

// ShowWarningsStmt is SHOW WARNINGS|ERRORS [LIMIT ...].
type ShowWarningsStmt struct {
	StmtBase
	Errors bool
	Limit  *Limit
}

// ShowPartitionsStmt is SHOW [TEMPORARY] PARTITIONS FROM [db.]t [WHERE e]
// [ORDER BY ...] [LIMIT ...].
type ShowPartitionsStmt struct {
	StmtBase
	Temporary bool
	Table     *TableName
	Where     Expr
	OrderBy   []*OrderItem
	Limit     *Limit
}

// ShowLoadStmt is SHOW LOAD [FROM db] [WHERE e] [ORDER BY ...] [LIMIT ...].
type ShowLoadStmt struct {
	StmtBase
	Db      *Ident
	Where   Expr
	OrderBy []*OrderItem
	Limit   *Limit
}

// ShowDataStmt is SHOW DATA [FROM [db.]t]. A one-part name is a table of
// the current database.
type ShowDataStmt struct {
	StmtBase
	Table *TableName
}

// ShowTransactionStmt is SHOW TRANSACTION [FROM db] [WHERE id = n].
type ShowTransactionStmt struct {
	StmtBase
	Db    *Ident
	Where Expr
}

// ---------------------------------------------------------------- databases and tables

// CreateDatabaseStmt is CREATE DATABASE|SCHEMA [IF NOT EXISTS] db
// [PROPERTIES (...)].
type CreateDatabaseStmt struct {
	StmtBase
	IfNotExists bool
	Db          *Ident
	Properties  []*Property
}

// DropDatabaseStmt is DROP DATABASE|SCHEMA [IF EXISTS] db [FORCE].
type DropDatabaseStmt struct {
	StmtBase
	IfExists bool
	Db       *Ident
	Force    bool
}

// KeysType is the table model of a KeysDesc.
type KeysType string

// Table models.
const (
	KeysDuplicate KeysType = "DUPLICATE"
	KeysAggregate KeysType = "AGGREGATE"
	KeysUnique    KeysType = "UNIQUE"
	KeysPrimary   KeysType = "PRIMARY"
)

// KeysDesc is DUPLICATE|AGGREGATE|UNIQUE|PRIMARY KEY (cols).
type KeysDesc struct {
	At      Pos
	Type    KeysType
	Columns []*Ident
}

// Pos returns the position of the model keyword.
func (k *KeysDesc) Pos() Pos { return k.At }

// AggType is the aggregation of a column of an AGGREGATE KEY table.
type AggType string

// Aggregation types.
const (
	AggNone             AggType = ""
	AggSum              AggType = "SUM"
	AggMax              AggType = "MAX"
	AggMin              AggType = "MIN"
	AggReplace          AggType = "REPLACE"
	AggReplaceIfNotNull AggType = "REPLACE_IF_NOT_NULL"
	AggHllUnion         AggType = "HLL_UNION"
	AggBitmapUnion      AggType = "BITMAP_UNION"
	AggPercentileUnion  AggType = "PERCENTILE_UNION"
)

// Nullability is what a column definition says about NULL.
type Nullability string

// Nullabilities.
const (
	NullUnspecified Nullability = ""
	NullAllowed     Nullability = "NULL"
	NotNull         Nullability = "NOT NULL"
)

// ColumnDef is one column of CREATE TABLE:
// name type [KEY] [agg] [NULL|NOT NULL] [DEFAULT ...] [AUTO_INCREMENT]
// [COMMENT 'c'].
type ColumnDef struct {
	At    Pos
	Name  string
	Type  *TypeDef
	IsKey bool // the optional KEY marker after the type
	Agg   AggType
	Null  Nullability
	// Default is nil without DEFAULT; otherwise a *Literal (string,
	// number or NULL), a *FuncCall named CURRENT_TIMESTAMP, or the
	// expression written in parentheses.
	Default       Expr
	AutoIncrement bool
	Comment       string
}

// Pos returns the position of the column name.
func (c *ColumnDef) Pos() Pos { return c.At }

// IndexDef is INDEX name (cols) [USING BITMAP] [COMMENT 'c'] in CREATE TABLE.
type IndexDef struct {
	At      Pos
	Name    string
	Columns []*Ident
	Using   string // "BITMAP", or "" when not written
	Comment string
}

// Pos returns the position of INDEX.
func (i *IndexDef) Pos() Pos { return i.At }

// PartitionValue is one value of VALUES LESS THAN (...): a string (or
// number, kept as text) or MAXVALUE.
type PartitionValue struct {
	At       Pos
	Value    string
	MaxValue bool
}

// Pos returns the position of the value.
func (v *PartitionValue) Pos() Pos { return v.At }

// RangePartition is PARTITION [IF NOT EXISTS] p VALUES LESS THAN
// ('v'[, ...]) | MAXVALUE [(properties)]. "LESS THAN MAXVALUE" gives one
// value with MaxValue set.
type RangePartition struct {
	At          Pos
	IfNotExists bool
	Name        string
	LessThan    []*PartitionValue
	Properties  []*Property
}

// Pos returns the position of PARTITION.
func (r *RangePartition) Pos() Pos { return r.At }

// PartitionBatch is START ('a') END ('b') EVERY (INTERVAL n unit) or
// EVERY (n): a run of partitions created in one go.
type PartitionBatch struct {
	At    Pos
	Start string
	End   string
	Every int64
	Unit  string // DAY, WEEK, MONTH, YEAR, HOUR, ... ; "" for EVERY (n)
}

// Pos returns the position of START.
func (b *PartitionBatch) Pos() Pos { return b.At }

// PartitionDesc is PARTITION BY RANGE (cols) (...). Ranges and Batches
// hold the PARTITION ... and START ... END ... EVERY items (either may be
// nil; the list may also be empty).
type PartitionDesc struct {
	At      Pos
	Columns []*Ident
	Ranges  []*RangePartition
	Batches []*PartitionBatch
}

// Pos returns the position of PARTITION.
func (p *PartitionDesc) Pos() Pos { return p.At }

// DistributionType is HASH or RANDOM.
type DistributionType string

// Distribution types.
const (
	DistHash   DistributionType = "HASH"
	DistRandom DistributionType = "RANDOM"
)

// DistributionDesc is DISTRIBUTED BY HASH (cols) [BUCKETS n] or
// DISTRIBUTED BY RANDOM [BUCKETS n].
type DistributionDesc struct {
	At      Pos
	Type    DistributionType
	Columns []*Ident // HASH only
	Buckets int      // 0 when BUCKETS is not written
}

// Pos returns the position of DISTRIBUTED.
func (d *DistributionDesc) Pos() Pos { return d.At }

// CreateTableStmt is CREATE TABLE. Optional clauses are nil / "" when
// absent.
type CreateTableStmt struct {
	StmtBase
	IfNotExists  bool
	Table        *TableName
	Columns      []*ColumnDef
	Indexes      []*IndexDef
	Engine       string // ENGINE = x as written; "" when absent
	Keys         *KeysDesc
	Comment      string
	Partition    *PartitionDesc
	Distribution *DistributionDesc
	OrderBy      []*Ident // ORDER BY (cols)
	Properties   []*Property
}

// DropTableStmt is DROP TABLE [IF EXISTS] [db.]t [FORCE].
type DropTableStmt struct {
	StmtBase
	IfExists bool
	Table    *TableName
	Force    bool
}

// TruncateTableStmt is TRUNCATE TABLE [db.]t [PARTITION (p1, p2)].
type TruncateTableStmt struct {
	StmtBase
	Table      *TableName
	Partitions []*Ident
}

// RecoverTableStmt is RECOVER TABLE [db.]t.
type RecoverTableStmt struct {
	StmtBase
	Table *TableName
}

// RecoverPartitionStmt is RECOVER PARTITION p FROM [db.]t.
type RecoverPartitionStmt struct {
	StmtBase
	Partition *Ident
	Table     *TableName
}

// RecoverDatabaseStmt is RECOVER DATABASE db.
type RecoverDatabaseStmt struct {
	StmtBase
	Db *Ident
}

// AlterTableStmt is ALTER TABLE [db.]t clause[, clause...].
type AlterTableStmt struct {
	StmtBase
	Table   *TableName
	Clauses []AlterClause
}

// AlterClause is a clause of ALTER TABLE: *AddPartitionClause,
// *DropPartitionClause, *CompactClause or *SetPropertiesClause.
type AlterClause interface {
	Node
	alterClause()
}

// AddPartitionClause is ADD PARTITION p VALUES LESS THAN (...)
// [DISTRIBUTED BY ...].
type AddPartitionClause struct {
	At           Pos
	Partition    *RangePartition
	Distribution *DistributionDesc
}

// DropPartitionClause is DROP PARTITION [IF EXISTS] p [FORCE].
type DropPartitionClause struct {
	At       Pos
	IfExists bool
	Name     *Ident
	Force    bool
}

// CompactClause is COMPACT [p | (p1, p2)]; Partitions is nil for the whole
// table.
type CompactClause struct {
	At         Pos
	Partitions []*Ident
}

// SetPropertiesClause is SET ("k" = "v", ...).
type SetPropertiesClause struct {
	At         Pos
	Properties []*Property
}

// Pos returns the position of ADD.
func (c *AddPartitionClause) Pos() Pos { return c.At }

// Pos returns the position of DROP.
func (c *DropPartitionClause) Pos() Pos { return c.At }

// Pos returns the position of COMPACT.
func (c *CompactClause) Pos() Pos { return c.At }

// Pos returns the position of SET.
func (c *SetPropertiesClause) Pos() Pos { return c.At }

func (*AddPartitionClause) alterClause()  {}
func (*DropPartitionClause) alterClause() {}
func (*CompactClause) alterClause()       {}
func (*SetPropertiesClause) alterClause() {}

// ---------------------------------------------------------------- storage volumes

// CreateStorageVolumeStmt is CREATE STORAGE VOLUME [IF NOT EXISTS] v
// TYPE = S3 LOCATIONS = ('s3://...', ...) [COMMENT 'c'] [PROPERTIES (...)].
type CreateStorageVolumeStmt struct {
	StmtBase
	IfNotExists bool
	Name        *Ident
	Type        string // upper case, e.g. "S3"
	Locations   []string
	Comment     string
	Properties  []*Property
}

// AlterStorageVolumeStmt is ALTER STORAGE VOLUME v SET (...) and/or
// COMMENT = 'c' (comma separated).
type AlterStorageVolumeStmt struct {
	StmtBase
	Name       *Ident
	Properties []*Property // nil when no SET clause
	Comment    *string     // nil when no COMMENT clause
}

// DropStorageVolumeStmt is DROP STORAGE VOLUME [IF EXISTS] v.
type DropStorageVolumeStmt struct {
	StmtBase
	IfExists bool
	Name     *Ident
}

// DescStorageVolumeStmt is DESC|DESCRIBE STORAGE VOLUME v.
type DescStorageVolumeStmt struct {
	StmtBase
	Name *Ident
}

// SetDefaultStorageVolumeStmt is SET v AS DEFAULT STORAGE VOLUME.
type SetDefaultStorageVolumeStmt struct {
	StmtBase
	Name *Ident
}

// ---------------------------------------------------------------- users and privileges

// AuthOption is the IDENTIFIED clause of CREATE/ALTER USER:
// IDENTIFIED BY 'p' (Password p), IDENTIFIED BY PASSWORD 'hash' (Hashed),
// IDENTIFIED WITH plugin [BY 'p' | AS 'hash'].
type AuthOption struct {
	At       Pos
	Plugin   string // as written; "" when not given
	Password string
	Hashed   bool // Password is an authentication string, not plain text
}

// Pos returns the position of IDENTIFIED.
func (a *AuthOption) Pos() Pos { return a.At }

// CreateUserStmt is CREATE USER [IF NOT EXISTS] user [auth] [DEFAULT ROLE
// r, ...].
type CreateUserStmt struct {
	StmtBase
	IfNotExists  bool
	User         *UserIdent
	Auth         *AuthOption // nil when no IDENTIFIED clause
	DefaultRoles []*Ident
}

// AlterUserStmt is ALTER USER [IF EXISTS] user auth.
type AlterUserStmt struct {
	StmtBase
	IfExists bool
	User     *UserIdent
	Auth     *AuthOption
}

// DropUserStmt is DROP USER [IF EXISTS] user.
type DropUserStmt struct {
	StmtBase
	IfExists bool
	User     *UserIdent
}

// CreateRoleStmt is CREATE ROLE [IF NOT EXISTS] r[, r...] [COMMENT 'c'].
type CreateRoleStmt struct {
	StmtBase
	IfNotExists bool
	Roles       []*Ident
	Comment     string
}

// DropRoleStmt is DROP ROLE [IF EXISTS] r[, r...].
type DropRoleStmt struct {
	StmtBase
	IfExists bool
	Roles    []*Ident
}

// Grantee is who a GRANT/REVOKE is for: a user (TO [USER] u) or a role
// (TO ROLE r). Exactly one field is set.
type Grantee struct {
	At   Pos
	User *UserIdent
	Role *Ident
}

// Pos returns the position of the grantee.
func (g *Grantee) Pos() Pos { return g.At }

// ObjectType is the kind of object of a privilege.
type ObjectType string

// Privilege object types.
const (
	ObjTable         ObjectType = "TABLE"
	ObjView          ObjectType = "VIEW"
	ObjMaterialized  ObjectType = "MATERIALIZED VIEW"
	ObjDatabase      ObjectType = "DATABASE"
	ObjCatalog       ObjectType = "CATALOG"
	ObjStorageVolume ObjectType = "STORAGE VOLUME"
	ObjSystem        ObjectType = "SYSTEM"
)

// PrivObject is the ON part of GRANT/REVOKE:
//
//	db.tbl, TABLE db.tbl      Type TABLE, Db db ("" for tbl alone), Name tbl
//	db.*                      Type TABLE, Db db, AllNames
//	ALL TABLES IN DATABASE db Type TABLE, Db db, AllNames
//	*.*                       Type TABLE, AllNames, AllDatabases
//	ALL TABLES IN ALL DATABASES  Type TABLE, AllNames, AllDatabases
//	DATABASE db               Type DATABASE, Db db
//	ALL DATABASES             Type DATABASE, AllNames
//	STORAGE VOLUME v          Type STORAGE VOLUME, Name v
//	ALL STORAGE VOLUMES       Type STORAGE VOLUME, AllNames
//	CATALOG c / ALL CATALOGS  Type CATALOG, Name c / AllNames
//	SYSTEM                    Type SYSTEM
//
// VIEW and MATERIALIZED VIEW take the same forms as TABLE.
type PrivObject struct {
	At           Pos
	Type         ObjectType
	Db           string
	Name         string
	AllNames     bool
	AllDatabases bool
}

// Pos returns the position of the object.
func (o *PrivObject) Pos() Pos { return o.At }

// GrantPrivilegeStmt is GRANT priv[, priv...] ON object TO grantee [WITH
// GRANT OPTION]. Privileges are upper case, multi-word ones joined by a
// space ("CREATE TABLE"); ALL [PRIVILEGES] is "ALL".
type GrantPrivilegeStmt struct {
	StmtBase
	Privileges      []string
	Object          *PrivObject
	Grantee         *Grantee
	WithGrantOption bool
}

// RevokePrivilegeStmt is REVOKE priv[, priv...] ON object FROM grantee.
type RevokePrivilegeStmt struct {
	StmtBase
	Privileges []string
	Object     *PrivObject
	Grantee    *Grantee
}

// GrantRoleStmt is GRANT role[, role...] TO [USER] user | ROLE r.
type GrantRoleStmt struct {
	StmtBase
	Roles   []*Ident
	Grantee *Grantee
}

// RevokeRoleStmt is REVOKE role[, role...] FROM [USER] user | ROLE r.
type RevokeRoleStmt struct {
	StmtBase
	Roles   []*Ident
	Grantee *Grantee
}

// ---------------------------------------------------------------- admin and system

// AdminSetConfigStmt is ADMIN SET FRONTEND CONFIG ("k" = "v"[, ...]).
type AdminSetConfigStmt struct {
	StmtBase
	Configs []*Property
}

// AdminShowConfigStmt is ADMIN SHOW FRONTEND CONFIG [LIKE 'p'].
type AdminShowConfigStmt struct {
	StmtBase
	Like *string
}

// AlterSystemOp is the operation of an AlterSystemStmt.
type AlterSystemOp string

// ALTER SYSTEM operations.
const (
	SystemAdd          AlterSystemOp = "ADD"
	SystemDrop         AlterSystemOp = "DROP"
	SystemDecommission AlterSystemOp = "DECOMMISSION" // BACKEND / COMPUTE NODE only
)

// NodeType is the kind of node of an AlterSystemStmt.
type NodeType string

// Node types.
const (
	NodeFollower    NodeType = "FOLLOWER"
	NodeObserver    NodeType = "OBSERVER"
	NodeBackend     NodeType = "BACKEND"
	NodeComputeNode NodeType = "COMPUTE NODE"
)

// AlterSystemStmt is ALTER SYSTEM ADD|DROP|DECOMMISSION FOLLOWER|OBSERVER|
// BACKEND|COMPUTE NODE "host:port"[, ...]. FOLLOWER and OBSERVER take one
// host.
type AlterSystemStmt struct {
	StmtBase
	Op    AlterSystemOp
	Node  NodeType
	Hosts []string
}

// AdminSetClusterSnapshotStmt is ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON
// [STORAGE VOLUME v] (On true) or ... OFF.
type AdminSetClusterSnapshotStmt struct {
	StmtBase
	On            bool
	StorageVolume *Ident // nil when not written
}

// AdminShowClusterSnapshotStmt is ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT:
// one row saying whether automated cluster snapshots are on, their
// interval, volume and last and next snapshot times.
type AdminShowClusterSnapshotStmt struct {
	StmtBase
}

// KillStmt is KILL [CONNECTION|QUERY] id.
type KillStmt struct {
	StmtBase
	Query        bool // KILL QUERY: stop the running statement only
	ConnectionID int64
}

func (*SetPasswordStmt) stmtNode()              {}
func (*ShowStmt) stmtNode()                     {}
func (*ShowVariablesStmt) stmtNode()            {}
func (*ShowTablesStmt) stmtNode()               {}
func (*ShowColumnsStmt) stmtNode()              {}
func (*ShowCreateTableStmt) stmtNode()          {}
func (*ShowCreateDatabaseStmt) stmtNode()       {}
func (*DescTableStmt) stmtNode()                {}
func (*ShowProcStmt) stmtNode()                 {}
func (*ShowGrantsStmt) stmtNode()               {}
func (*ShowWarningsStmt) stmtNode()             {}
func (*ShowPartitionsStmt) stmtNode()           {}
func (*ShowLoadStmt) stmtNode()                 {}
func (*ShowDataStmt) stmtNode()                 {}
func (*ShowTransactionStmt) stmtNode()          {}
func (*CreateDatabaseStmt) stmtNode()           {}
func (*DropDatabaseStmt) stmtNode()             {}
func (*CreateTableStmt) stmtNode()              {}
func (*DropTableStmt) stmtNode()                {}
func (*TruncateTableStmt) stmtNode()            {}
func (*RecoverTableStmt) stmtNode()             {}
func (*RecoverPartitionStmt) stmtNode()         {}
func (*RecoverDatabaseStmt) stmtNode()          {}
func (*AlterTableStmt) stmtNode()               {}
func (*CreateStorageVolumeStmt) stmtNode()      {}
func (*AlterStorageVolumeStmt) stmtNode()       {}
func (*DropStorageVolumeStmt) stmtNode()        {}
func (*DescStorageVolumeStmt) stmtNode()        {}
func (*SetDefaultStorageVolumeStmt) stmtNode()  {}
func (*CreateUserStmt) stmtNode()               {}
func (*AlterUserStmt) stmtNode()                {}
func (*DropUserStmt) stmtNode()                 {}
func (*CreateRoleStmt) stmtNode()               {}
func (*DropRoleStmt) stmtNode()                 {}
func (*GrantPrivilegeStmt) stmtNode()           {}
func (*RevokePrivilegeStmt) stmtNode()          {}
func (*GrantRoleStmt) stmtNode()                {}
func (*RevokeRoleStmt) stmtNode()               {}
func (*AdminSetConfigStmt) stmtNode()           {}
func (*AdminShowConfigStmt) stmtNode()          {}
func (*AlterSystemStmt) stmtNode()              {}
func (*AdminSetClusterSnapshotStmt) stmtNode()  {}
func (*AdminShowClusterSnapshotStmt) stmtNode() {}
func (*KillStmt) stmtNode()                     {}
