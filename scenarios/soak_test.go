package scenarios

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPlanRound(t *testing.T) {
	a, b := planRound(42, 6, 5), planRound(42, 6, 5)
	require.Equal(t, a, b, "the same seed makes the same plan")
	require.Len(t, a.kills, 6)
	for _, k := range roundKinds {
		require.Contains(t, a.kills, k, "every kind in every round")
	}
	restores := 0
	for seed := uint64(1); seed <= 200; seed++ {
		if planRound(seed, 4, 5).restore {
			restores++
		}
		require.True(t, planRound(seed, 4, 1).restore, "RestoreEvery 1: every round")
	}
	require.InDelta(t, 40, restores, 20, "about one round in five restores")
}

func TestJudgeDDL(t *testing.T) {
	stmts := []ddlStatement{
		{create: true, table: "soak.ddl_r1_0", acked: true},
		{create: true, table: "soak.ddl_r1_1", acked: true},
		{table: "soak.ddl_r1_0", acked: true},
		{create: true, table: "soak.ddl_r1_2", acked: true},
		{table: "soak.ddl_r1_1", err: "invalid connection"},
		{create: true, table: "soak.ddl_r1_3", err: "invalid connection"},
		{table: "soak.ddl_r1_2", acked: true},
		{create: true, table: "soak.ddl_r1_4", acked: true},
	}
	// Unknown outcomes may go either way.
	require.Empty(t, judgeDDL(stmts, []string{"ddl_r1_1", "ddl_r1_3", "ddl_r1_4", "r1", "ddl_r0_9"}, "soak.ddl_r1"))
	require.Empty(t, judgeDDL(stmts, []string{"ddl_r1_4"}, "soak.ddl_r1"))
	require.Equal(t, []string{
		"table ddl_r1_0 was dropped (acknowledged) but is listed",
		"table ddl_r1_4 was created (acknowledged) and never dropped but is missing",
		"table ddl_r1_7 is listed but no statement named it",
	}, judgeDDL(stmts, []string{"ddl_r1_0", "ddl_r1_7"}, "soak.ddl_r1"))
}

// TestSoakRound runs one round of the soak with a restore: every kind of
// crash point once, then the cluster lost and restored with its leader
// killed half-way; the round passes.
func TestSoakRound(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clusters")
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Soak(ctx, SoakOptions{Seed: 3, Rounds: 1, KillsPerRound: 4, RestoreEvery: 1, Dir: t.TempDir(), Out: &out})
	t.Log(out.String())
	require.NoError(t, err)
	require.Equal(t, 1, res.Rounds)
	require.Equal(t, 6, res.CrashPoints)
	for _, k := range append(roundKinds, CrashLoseAll, CrashRestore) {
		require.Equal(t, 1, res.ByKind[k], "crash points of kind %s", k)
	}
	require.Equal(t, 1, res.Restores)
	require.Zero(t, res.FailedRound)
	require.Positive(t, res.Acknowledged)
	require.Contains(t, out.String(), "soak: PASS: 6 crash points survived in 1 rounds (seed 3)")
	require.Equal(t, 6, strings.Count(out.String(), " crash point "))
}
