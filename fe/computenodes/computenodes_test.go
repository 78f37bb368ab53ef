package computenodes

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/rpc"
)

// TestRecord follows a node through sequences of heartbeat outcomes and
// checks what would be journaled after each: alive from the first answer,
// dead only after HeartbeatRetryTimes+1 failures in a row, nothing
// journaled while nothing changes.
func TestRecord(t *testing.T) {
	ok := rpc.HeartbeatResponse{BrpcPort: 8060, HTTPPort: 8040, Version: "v1"}
	down := errors.New("connection refused")
	type beat struct {
		err error
		// want: "" nothing journaled, "alive" or "dead".
		want string
	}
	tests := []struct {
		name  string
		beats []beat
	}{
		{"first answer makes it alive", []beat{{nil, "alive"}, {nil, ""}, {nil, ""}}},
		{"never answered is dead at once", []beat{{down, "dead"}, {down, ""}}},
		{"dead after four failures", []beat{{nil, "alive"}, {down, ""}, {down, ""}, {down, ""}, {down, "dead"}, {down, ""}}},
		{"a success resets the count", []beat{{nil, "alive"}, {down, ""}, {down, ""}, {down, ""}, {nil, ""}, {down, ""}, {down, ""}, {down, ""}, {down, "dead"}}},
		{"back from the dead", []beat{{nil, "alive"}, {down, ""}, {down, ""}, {down, ""}, {down, "dead"}, {nil, "alive"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Config{Catalog: catalog.New()})
			cn := &catalog.ComputeNode{ID: 7, Host: "127.0.0.21", HeartbeatPort: 9050}
			for i, b := range tc.beats {
				next := m.record(cn, ok, b.err)
				switch b.want {
				case "":
					require.Nil(t, next, "beat %d", i)
				case "alive":
					require.NotNil(t, next, "beat %d", i)
					require.True(t, next.Alive, "beat %d", i)
					require.Empty(t, next.ErrMsg, "beat %d", i)
					require.Equal(t, 8060, next.BrpcPort)
				case "dead":
					require.NotNil(t, next, "beat %d", i)
					require.False(t, next.Alive, "beat %d", i)
					require.Equal(t, down.Error(), next.ErrMsg, "beat %d", i)
				}
				if next != nil {
					cn.State = next // journaled
				}
			}
		})
	}
}

// TestLivePlacement: placement only ever picks live nodes, and every
// tablet of one reading lands on the same node each time.
func TestLivePlacement(t *testing.T) {
	l := Live{byID: map[int64]Worker{1: {ID: 1}, 3: {ID: 3}}, ids: []int64{1, 3}}
	for shard := int64(100); shard < 200; shard++ {
		w, err := l.Place(shard)
		require.NoError(t, err)
		require.Contains(t, []int64{1, 3}, w.ID)
		again, _ := l.Place(shard)
		require.Equal(t, w, again)
	}
	_, err := Live{}.Place(100)
	require.ErrorIs(t, err, ErrNoComputeNode)
}
