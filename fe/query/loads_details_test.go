package query

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
)

// TestRuntimeDetails: RUNTIME_DETAILS names the transaction and, once
// they happened, the journal ids of its commit and visibility.
func TestRuntimeDetails(t *testing.T) {
	for _, tc := range []struct {
		txn  catalog.Transaction
		want string
	}{
		{catalog.Transaction{ID: 10057}, `{"txn_id":10057}`},
		{catalog.Transaction{ID: 10057, CommitJournalID: 42}, `{"txn_id":10057,"commit_journal_id":42}`},
		{catalog.Transaction{ID: 10057, CommitJournalID: 42, VisibleJournalID: 47}, `{"txn_id":10057,"commit_journal_id":42,"visible_journal_id":47}`},
	} {
		require.Equal(t, tc.want, runtimeDetails(&tc.txn))
	}
}
