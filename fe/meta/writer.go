package meta

import (
	"context"
	"errors"

	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Writer journals catalog and StarManager ops through the FE's journal. It
// is the one Proposer of a running FE.
type Writer struct {
	Journal *journal.Journal
}

// Propose journals ops as one entry and waits until it is durable and
// applied. The error is the state machine's rejection, if any, or a
// journal failure turned into an error a client understands.
func (w Writer) Propose(ctx context.Context, ops ...any) (uint64, error) {
	jops, err := EncodeOps(ops)
	if err != nil {
		return 0, err
	}
	res, id, err := w.Journal.Propose(ctx, jops...)
	if err != nil {
		return 0, JournalError(err)
	}
	if e, ok := res.(error); ok && e != nil {
		return id, e
	}
	return id, nil
}

// JournalError turns journal failures into errors a client understands;
// other errors pass unchanged.
func JournalError(err error) error {
	switch {
	case errors.Is(err, journal.ErrNotLeader):
		e := sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "This FE is not the leader and cannot write metadata; retry on the leader FE")
		e.Cause = sqlerr.ErrNotLeader
		return e
	case errors.Is(err, journal.ErrLeadershipLost):
		return sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "Leadership was lost while writing the edit log; the statement may or may not have been applied")
	case errors.Is(err, journal.ErrClosed):
		return sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "The FE is shutting down")
	}
	return err
}
