package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestJudgeTable: after a restore a load is judged by its commit journal
// id exactly at the snapshot's fe_journal_id, and only a load whose id is
// unknown by time; without a restore no acknowledged load may be lost;
// partial and doubled loads and foreign rows are named.
func TestJudgeTable(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	load := func(id int, rows int, sent, acked float64, journal uint64) Write {
		w := Write{ID: id, Label: "l_" + string(rune('0'+id)), Rows: rows, Sent: at(sent), JournalID: journal}
		if acked > 0 {
			w.Acked = at(acked)
		}
		return w
	}
	full := func(rows int) map[int]int {
		m := map[int]int{}
		for i := 0; i < rows; i++ {
			m[i] = 1
		}
		return m
	}
	cutTime, disaster := at(10), at(12)
	for _, tc := range []struct {
		name     string
		history  []Write
		present  map[int]map[int]int
		cut      uint64
		mustHave time.Time
		noAfter  time.Time
		want     []string
		lost     int
	}{
		{
			name:    "exactly the snapshot's loads",
			history: []Write{load(0, 2, 1, 2, 40), load(1, 1, 9, 10.5, 50), load(2, 1, 10.6, 11, 51)},
			present: map[int]map[int]int{0: full(2), 1: full(1)},
			cut:     50, mustHave: cutTime, noAfter: disaster,
			lost: 1,
		},
		{
			name:    "committed inside, missing",
			history: []Write{load(0, 2, 1, 2, 40), load(1, 1, 10.1, 10.2, 50)},
			present: map[int]map[int]int{0: full(2)},
			cut:     50, mustHave: cutTime, noAfter: disaster,
			want: []string{"load l_1 was committed at journal id 50, inside the snapshot (fe_journal_id 50), but is missing"},
			lost: 1,
		},
		{
			name:    "committed after, present",
			history: []Write{load(0, 1, 1, 2, 40), load(1, 1, 9.5, 9.7, 51)},
			present: map[int]map[int]int{0: full(1), 1: full(1)},
			cut:     50, mustHave: cutTime, noAfter: disaster,
			want: []string{"load l_1 was committed at journal id 51, after the snapshot (fe_journal_id 50), but is present"},
		},
		{
			name:    "unknown journal id: judged by time",
			history: []Write{load(0, 1, 1, 2, 0), load(1, 1, 9, 0, 0), load(2, 1, 12.5, 0, 0)},
			present: map[int]map[int]int{1: full(1), 2: full(1)},
			cut:     50, mustHave: cutTime, noAfter: disaster,
			want: []string{"load l_0 was acknowledged 8s before the cut but is missing", "load l_2 was sent after the disaster but is present"},
			lost: 1,
		},
		{
			name:     "no restore: nothing acknowledged may be lost",
			history:  []Write{load(0, 1, 1, 2, 40), load(1, 1, 3, 0, 0)},
			present:  map[int]map[int]int{},
			mustHave: at(100),
			want:     []string{"load l_0 was acknowledged 1m38s before the cut but is missing"},
			lost:     1,
		},
		{
			name:    "partial, doubled and foreign rows",
			history: []Write{load(0, 3, 1, 2, 40), load(1, 2, 3, 4, 41)},
			present: map[int]map[int]int{0: {0: 1, 1: 1}, 1: {0: 1, 1: 2}, 7: {0: 1}},
			cut:     50, mustHave: cutTime, noAfter: disaster,
			want: []string{"load l_0 has 2 of its 3 rows", "load l_1 row 1 is there 2 times", "rows of load 7 that no client of this workload sent"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := judgeTable(tc.history, tc.present, tc.mustHave, tc.noAfter, tc.cut)
			require.Equal(t, tc.want, got.Failures)
			require.Equal(t, tc.lost, got.LostAcknowledged)
			require.Equal(t, len(tc.history), got.Sent)
		})
	}
}
