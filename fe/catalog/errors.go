package catalog

import (
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Errors an op can be rejected with when it reaches the state machine. The
// executor checks the same conditions first and reports them with
// positions; these texts are what a client sees when a concurrent statement
// won the race. They carry StarRocks' numbers and texts.

// ErrDBExists is CREATE DATABASE of an existing name.
func ErrDBExists(name string) error {
	return sqlerr.New(sqlerr.ErDBCreateExists, sqlerr.StateGeneral, "Can't create database '%s'; database exists", name)
}

// ErrTableExists is CREATE TABLE of an existing name.
func ErrTableExists(name string) error {
	return sqlerr.New(sqlerr.ErTableExists, sqlerr.StateTableExists, "Table '%s' already exists", name)
}

// ErrVolumeExists is CREATE STORAGE VOLUME of an existing name.
func ErrVolumeExists(name string) error {
	return sqlerr.Generic("Storage volume '%s' already exists", name)
}

// ErrUnknownVolume is a reference to a volume that does not exist.
func ErrUnknownVolume(name string) error {
	return sqlerr.Generic("Storage volume '%s' does not exist", name)
}

// ErrUserExists is CREATE USER of an existing account.
func ErrUserExists(u UserIdent) error {
	return sqlerr.Generic("Operation CREATE USER failed for %s : user already exists", u)
}

// ErrUnknownUser is a reference to an account that does not exist.
func ErrUnknownUser(op string, u UserIdent) error {
	return sqlerr.Generic("Operation %s failed for %s : user not exists", op, u)
}

// ErrRoleExists is CREATE ROLE of an existing role.
func ErrRoleExists(name string) error {
	return sqlerr.Generic("Operation CREATE ROLE failed for %s : role already exists", name)
}

// ErrUnknownRole is a reference to a role that does not exist.
func ErrUnknownRole(name string) error {
	return sqlerr.Generic("cannot find role %s!", name)
}

// ErrInvalid is any other rejection; msg is StarRocks-like text.
func ErrInvalid(format string, args ...any) error {
	return sqlerr.Generic(format, args...)
}
