package journal

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/internal/poll"
)

// TestSoleVoterElectsAtOnce: a journal that is the only voter of its group
// leads well before raft's heartbeat timeout (1 s, the least it would wait
// otherwise), both when it bootstraps and when it reopens its journal, and
// its heartbeat timeout is the configured one again afterwards.
func TestSoleVoterElectsAtOnce(t *testing.T) {
	n := newNode(t, "fe1", t.TempDir(), nil)
	want := newRaftConfig("fe1", nil).HeartbeatTimeout
	for _, round := range []string{"bootstrap", "reopen"} {
		n.start()
		poll.For(t, want-100*time.Millisecond, func() error {
			if !n.j.IsLeader() {
				return fmt.Errorf("%s: not leading yet", round)
			}
			return nil
		})
		require.Equal(t, want, n.j.raft.ReloadableConfig().HeartbeatTimeout, round)
		n.waitReady()
		n.stop()
	}
}
