// Package sqlerr defines the one error type that reaches a MySQL client: a
// MySQL error number, a SQLSTATE and a StarRocks-like message. Every layer
// that can reject a statement (parser, analyzer, catalog, executor) returns
// these so the MySQL front can turn them into error packets unchanged and
// tests can assert the number rather than the text.
package sqlerr

import (
	"errors"
	"fmt"
)

// Error is a client-visible SQL error.
type Error struct {
	// Number is the MySQL error number sent in the error packet (1064, 1049, ...).
	Number uint16
	// State is the five-character SQLSTATE.
	State string
	// Message is the text the client prints.
	Message string
	// Cause, when set, is a sentinel callers test with errors.Is (such as
	// ErrNotLeader); the client never sees it.
	Cause error
}

// ErrNotLeader is the Cause of an error from an FE that found it was not
// the leader before it journaled anything: the statement changed nothing
// and can be sent to the leader instead.
var ErrNotLeader = errors.New("this FE is not the leader")

// Error implements error with the message only, the way a client shows it.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the Cause, so errors.Is finds sentinels through an Error.
func (e *Error) Unwrap() error { return e.Cause }

// New builds an Error from a number, a state and a formatted message.
func New(number uint16, state, format string, args ...any) *Error {
	return &Error{Number: number, State: state, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error inside err, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Number returns the MySQL error number of err, or 0 when err is not an *Error.
func Number(err error) uint16 {
	if e, ok := As(err); ok {
		return e.Number
	}
	return 0
}

// Error numbers StarRocks sends (3.3 and later). StarRocks sends 1064 with
// SQLSTATE HY000 for every error that carries no specific code, so most
// analysis and DDL errors use ErParse.
const (
	ErDBCreateExists     = 1007 // Can't create database '%s'; database exists
	ErDBDropExists       = 1008 // Can't drop database '%s'; database doesn't exist
	ErAccessDenied       = 1045 // Access denied for user '%s' (using password: %s)
	ErNoDB               = 1046 // No database selected
	ErTableExists        = 1050 // Table '%s' already exists
	ErDupFieldName       = 1060 // Duplicate column name '%s'
	ErParse              = 1064 // syntax errors and StarRocks' generic errors
	ErUnknown            = 1105
	ErUnknownSystemVar   = 1193 // Unknown system variable '%s'
	ErGlobalVariable     = 1228 // Variable '%s' is a SESSION variable ...
	ErReadOnlyVariable   = 1621 // Variable '%s' is a read only variable
	ErNotSupported       = 1235
	ErPasswordFormat     = 5201 // Password hash should be a 41-digit hexadecimal number
	ErSpecificAccessDeny = 5203 // Access denied; you need (at least one of) ...
	ErBadDB              = 5501 // Unknown database '%s'
	ErBadTable           = 5502 // Unknown table '%s'
	ErNoDefaultVolume    = 5506 // The default storage volume does not exist ...
	ErBadField           = 5509 // Unknown column
	ErVolumeName         = 5063 // Incorrect storage volume name '%s'
	ErInsertColumnCount  = 5604 // Inserted target column count ... doesn't match ...
	ErPartitionList      = 1507 // Error in list of partitions to [%s]
	// ErNetPacketTooLarge is MySQL's 1153: a packet or statement longer
	// than max_allowed_packet.
	ErNetPacketTooLarge = 1153 // Got a packet bigger than 'max_allowed_packet' bytes
	// ErInvalidCharString is MySQL's 1300: bytes that are not UTF-8.
	ErInvalidCharString = 1300 // Invalid utf8 character string: '%s'
	// ErMaxPreparedStmtCount is MySQL's 1461: too many prepared statements.
	ErMaxPreparedStmtCount = 1461 // Can't create more than max_prepared_stmt_count statements ...
)

// SQLSTATE values used with the numbers above.
const (
	StateGeneral           = "HY000"
	StateSyntax            = "42000"
	StateTableExists       = "42S01"
	StateDupField          = "42S21"
	StateBadField          = "42S22"
	StateAccessDenied      = "28000"
	StateNoDB              = "3D000"
	StateBadDB             = "3F000"
	StateBadTable          = "42602"
	StateNoVolume          = "55000"
	StateInsertColumnCount = "42601"
	StateNetError          = "08S01"
)

// Generic returns a StarRocks error without a specific code: 1064/HY000.
func Generic(format string, args ...any) *Error {
	return New(ErParse, StateGeneral, format, args...)
}

// Analysis wraps an analyzer failure the way StarRocks prints it:
// "Getting analyzing error[ at line L, column C]. Detail message: <msg>."
// line 0 means no position. The number and state default to 1064/HY000.
func Analysis(line, col int, number uint16, state, msg string) *Error {
	if number == 0 {
		number, state = ErParse, StateGeneral
	}
	if line > 0 {
		return New(number, state, "Getting analyzing error at line %d, column %d. Detail message: %s.", line, col, msg)
	}
	return New(number, state, "Getting analyzing error. Detail message: %s.", msg)
}
