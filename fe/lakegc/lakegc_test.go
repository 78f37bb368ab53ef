package lakegc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReleased(t *testing.T) {
	for _, tc := range []struct {
		before, after []int64
		want          bool
	}{
		{nil, nil, false},
		{nil, []int64{3}, false},
		{[]int64{3}, []int64{3}, false},
		{[]int64{3}, []int64{3, 5}, false},
		{[]int64{3}, nil, true},
		{[]int64{3, 5}, []int64{5}, true},
		{[]int64{3}, []int64{5}, true},
	} {
		require.Equal(t, tc.want, released(tc.before, tc.after), "%v -> %v", tc.before, tc.after)
	}
}

func TestNeedsVacuum(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	grace := 30 * time.Minute
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	tests := []struct {
		name      string
		last      vacuumMark
		vacuumed  bool
		visible   int64
		pinned    []int64
		lastAbort int64
		want      bool
	}{
		{"never vacuumed, empty partition, no abort", vacuumMark{}, false, 1, nil, 0, false},
		{"never vacuumed, has versions", vacuumMark{}, false, 3, nil, 0, true},
		{"never vacuumed, empty partition, old abort", vacuumMark{}, false, 1, nil, ms(-time.Hour), true},
		{"never vacuumed, empty partition, abort within grace", vacuumMark{}, false, 1, nil, ms(-time.Minute), false},
		{"version moved", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 4, nil, 0, true},
		{"version still, no abort", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, nil, 0, false},
		{"version still, abort too young at the last vacuum, old enough now",
			vacuumMark{Version: 3, At: now.Add(-20 * time.Minute)}, true, 3, nil, ms(-40 * time.Minute), true},
		{"version still, abort already old enough at the last vacuum",
			vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, nil, ms(-2 * time.Hour), false},
		{"version still, abort still within grace", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, nil, ms(-10 * time.Minute), false},
		{"pin released, version still", vacuumMark{Version: 3, Pinned: []int64{2}, At: now.Add(-time.Minute)}, true, 3, nil, 0, true},
		{"one of two pins released", vacuumMark{Version: 5, Pinned: []int64{2, 4}, At: now.Add(-time.Minute)}, true, 5, []int64{4}, 0, true},
		{"pins replaced by newer ones", vacuumMark{Version: 5, Pinned: []int64{2}, At: now.Add(-time.Minute)}, true, 5, []int64{5}, 0, true},
		{"pin added only", vacuumMark{Version: 5, Pinned: []int64{2}, At: now.Add(-time.Minute)}, true, 5, []int64{2, 5}, 0, false},
		{"first pin added", vacuumMark{Version: 5, At: now.Add(-time.Minute)}, true, 5, []int64{5}, 0, false},
		{"pins unchanged", vacuumMark{Version: 5, Pinned: []int64{2, 4}, At: now.Add(-time.Minute)}, true, 5, []int64{2, 4}, 0, false},
		{"pin released at the last vacuum, a grace period ago", vacuumMark{Version: 5, Released: true, At: now.Add(-grace)}, true, 5, nil, 0, true},
		{"pin released at the last vacuum, within grace", vacuumMark{Version: 5, Released: true, At: now.Add(-time.Minute)}, true, 5, nil, 0, false},
		{"never vacuumed, empty partition, pinned", vacuumMark{}, false, 1, []int64{1}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, needsVacuum(tc.last, tc.vacuumed, tc.visible, tc.pinned, tc.lastAbort, grace, now))
		})
	}
}
