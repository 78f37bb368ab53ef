package lakegc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNeedsVacuum(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	grace := 30 * time.Minute
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	tests := []struct {
		name      string
		last      vacuumMark
		vacuumed  bool
		visible   int64
		lastAbort int64
		want      bool
	}{
		{"never vacuumed, empty partition, no abort", vacuumMark{}, false, 1, 0, false},
		{"never vacuumed, has versions", vacuumMark{}, false, 3, 0, true},
		{"never vacuumed, empty partition, old abort", vacuumMark{}, false, 1, ms(-time.Hour), true},
		{"never vacuumed, empty partition, abort within grace", vacuumMark{}, false, 1, ms(-time.Minute), false},
		{"version moved", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 4, 0, true},
		{"version still, no abort", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, 0, false},
		{"version still, abort too young at the last vacuum, old enough now",
			vacuumMark{Version: 3, At: now.Add(-20 * time.Minute)}, true, 3, ms(-40 * time.Minute), true},
		{"version still, abort already old enough at the last vacuum",
			vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, ms(-2 * time.Hour), false},
		{"version still, abort still within grace", vacuumMark{Version: 3, At: now.Add(-time.Minute)}, true, 3, ms(-10 * time.Minute), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, needsVacuum(tc.last, tc.vacuumed, tc.visible, tc.lastAbort, grace, now))
		})
	}
}
