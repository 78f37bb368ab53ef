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

// TestJudgeDDLAtCut: on a restored cluster a statement acknowledged before
// the snapshot began must be there, one sent after it finished must not,
// and one in between may go either way.
func TestJudgeDDLAtCut(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	began, finished := at(10), at(20)
	stmts := []ddlStatement{
		{create: true, table: "soak.ddl_r2_0", acked: true, sentAt: at(1), ackedAt: at(2)},
		{create: true, table: "soak.ddl_r2_1", acked: true, sentAt: at(3), ackedAt: at(4)},
		{table: "soak.ddl_r2_0", acked: true, sentAt: at(9), ackedAt: at(11)}, // across began
		{create: true, table: "soak.ddl_r2_2", acked: true, sentAt: at(12), ackedAt: at(13)},
		{table: "soak.ddl_r2_1", acked: true, sentAt: at(21), ackedAt: at(22)}, // after finished
		{create: true, table: "soak.ddl_r2_3", acked: true, sentAt: at(23), ackedAt: at(24)},
	}
	prefix := "soak.ddl_r2"
	cases := []struct {
		name   string
		tables []string
		want   []string
	}{
		{"drop across began done", []string{"ddl_r2_1"}, nil},
		{"drop across began not done, create in between done", []string{"ddl_r2_0", "ddl_r2_1", "ddl_r2_2"}, nil},
		{"table created before began missing", []string{"ddl_r2_0"}, []string{"table ddl_r2_1 was created (acknowledged) and never dropped but is missing"}},
		{"statement after finished applied", []string{"ddl_r2_1", "ddl_r2_3"}, []string{"table ddl_r2_3 is listed but no statement named it"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, judgeDDL(ddlAtCut(stmts, began, finished), tc.tables, prefix))
		})
	}
	require.True(t, stmts[2].acked, "the client's own record is unchanged")
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
