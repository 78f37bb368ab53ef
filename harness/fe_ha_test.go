package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFEFollowersAndObserver deploys three followers and an observer the
// way StarRocks documents it (ADD on the leader, then start with --helper),
// checks that SHOW FRONTENDS agrees on every FE, that writes sent to any FE
// land (forwarded to the leader) and are read back on that connection.
func TestFEFollowersAndObserver(t *testing.T) {
	t.Parallel()
	leader := StartFE(t, FEOptions{Name: "fe1", Conf: "heartbeat_timeout_second = 1\n"})
	db := leader.DB(t)
	var fes = []*FE{leader}
	for i, role := range []string{"FOLLOWER", "FOLLOWER", "OBSERVER"} {
		f := NewFE(t, FEOptions{Name: "fe" + string(rune('2'+i)), Helper: leader.EditLogAddr(), Conf: "heartbeat_timeout_second = 1\n"})
		mustExec(t, db, `ALTER SYSTEM ADD `+role+` "`+f.EditLogAddr()+`"`)
		require.NoError(t, f.Start(context.Background()))
		fes = append(fes, f)
	}
	want := map[string]string{leader.Host(): "LEADER", fes[1].Host(): "FOLLOWER", fes[2].Host(): "FOLLOWER", fes[3].Host(): "OBSERVER"}
	for _, f := range fes {
		db := f.DB(t)
		waitFor(t, 30*time.Second, func() error {
			rows := queryStrings(t, db, "SHOW FRONTENDS")
			got := map[string]string{}
			allAlive := true
			for _, r := range rows {
				got[r[1]] = r[6]
				allAlive = allAlive && r[9] == "true" && r[8] == "true"
			}
			if !mapsEqual(got, want) {
				return fmt.Errorf("roles as %s sees them: %v, want %v", f.Host(), got, want)
			}
			if !allAlive || len(rows) != 4 {
				return fmt.Errorf("not every FE alive and joined as %s sees it: %v", f.Host(), rows)
			}
			return nil
		})
	}
	// Writes through any FE are forwarded to the leader and read back at once.
	for i, f := range fes {
		conn := f.DB(t)
		mustExec(t, conn, "CREATE DATABASE db_via_fe"+string(rune('1'+i)))
		require.Equal(t, [][]string{{"db_via_fe" + string(rune('1'+i))}}, queryStrings(t, conn, "SHOW DATABASES LIKE 'db_via_fe"+string(rune('1'+i))+"'"))
	}
	for _, f := range fes {
		db := f.DB(t)
		waitFor(t, 10*time.Second, func() error {
			if n := len(queryStrings(t, db, "SHOW DATABASES LIKE 'db_via_fe%'")); n != 4 {
				return fmt.Errorf("%d databases on %s, want 4", n, f.Host())
			}
			return nil
		})
	}
	// ADMIN SET FRONTEND CONFIG sent to the observer changes every FE.
	mustExec(t, fes[3].DB(t), `ADMIN SET FRONTEND CONFIG ("edit_log_roll_num" = "777")`)
	for _, f := range fes {
		require.Equal(t, "777", queryStrings(t, f.DB(t), "ADMIN SHOW FRONTEND CONFIG LIKE 'edit_log_roll_num'")[0][2], f.Host())
	}
	// SET GLOBAL sent to the observer is journaled: every FE answers it
	// (the observer at once, having replayed it before answering).
	mustExec(t, fes[3].DB(t), "SET GLOBAL query_timeout = 111")
	require.Equal(t, [][]string{{"111"}}, queryStrings(t, fes[3].DB(t), "SELECT @@query_timeout"))
	for _, f := range fes {
		fdb := f.DB(t)
		waitFor(t, 10*time.Second, func() error {
			if got := queryStrings(t, fdb, "SELECT @@global.query_timeout"); got[0][0] != "111" {
				return fmt.Errorf("query_timeout on %s is %v", f.Host(), got)
			}
			return nil
		})
	}
	// Dropping: not the leader; an unknown node; then the observer.
	_, err := fes[1].DB(t).Exec(`ALTER SYSTEM DROP FOLLOWER "` + leader.EditLogAddr() + `"`)
	requireMySQLError(t, err, 1064, "can not drop current master node.")
	_, err = db.Exec(`ALTER SYSTEM DROP FOLLOWER "` + fes[3].EditLogAddr() + `"`)
	requireMySQLError(t, err, 1064, "FOLLOWER does not exist["+fes[3].EditLogAddr()+"]")
	mustExec(t, db, `ALTER SYSTEM DROP OBSERVER "`+fes[3].EditLogAddr()+`"`)
	require.Len(t, queryStrings(t, db, "SHOW FRONTENDS"), 3)
	// The leader restarted keeps the GLOBAL value.
	require.NoError(t, leader.Restart(context.Background()))
	require.Equal(t, [][]string{{"111"}}, queryStrings(t, leader.DB(t), "SELECT @@global.query_timeout"))
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// waitLog waits until an FE's fe.log contains s.
func waitLog(t *testing.T, f *FE, s string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, func() error {
		if !strings.Contains(f.ReadLog(), s) {
			return fmt.Errorf("fe.log of %s does not say %q:\n%s", f.Host(), s, f.LogTail(30))
		}
		return nil
	})
}

// TestFEJoinRefusals: each wrong way to join is refused with a clear
// message; a node that was not added waits, as StarRocks does, and joins
// once it is added.
func TestFEJoinRefusals(t *testing.T) {
	t.Parallel()
	leader := StartFE(t, FEOptions{Name: "leader"})
	db := leader.DB(t)

	// Not added: the node retries with StarRocks' message; adding it lets it in.
	late := NewFE(t, FEOptions{Name: "late", Helper: leader.EditLogAddr()})
	require.NoError(t, late.StartNoWait(context.Background()))
	waitLog(t, late, "current node is not added to the group. please add it first. sleep 5 seconds and retry, current helper nodes: ["+leader.EditLogAddr()+"]", 20*time.Second)
	mustExec(t, db, `ALTER SYSTEM ADD FOLLOWER "`+late.EditLogAddr()+`"`)
	require.NoError(t, late.WaitReady(context.Background(), 30*time.Second), late.LogTail(30))

	// Wrong helper address: nothing listens there; the node says so and retries.
	lost := NewFE(t, FEOptions{Name: "lost", Helper: "127.0.0.1:1"})
	require.NoError(t, lost.StartNoWait(context.Background()))
	waitLog(t, lost, "failed to get fe node type from helper node: 127.0.0.1:1", 20*time.Second)
	lost.Kill()

	// A helper that is not a frontend's edit_log_port (the leader's query port).
	wrong := NewFE(t, FEOptions{Name: "wrong", Helper: leader.Host() + ":9030"})
	require.NoError(t, wrong.StartNoWait(context.Background()))
	code, err := wrong.ExitCode(30 * time.Second)
	require.NoError(t, err)
	require.NotZero(t, code)
	require.Contains(t, wrong.LogTail(20), "helper node "+leader.Host()+":9030 did not answer as a frontend's edit_log_port")

	// A meta dir of another cluster, pointed at this cluster's helper.
	other := StartFE(t, FEOptions{Name: "other"})
	other.Stop()
	other.SetHelper(leader.EditLogAddr())
	require.NoError(t, other.StartNoWait(context.Background()))
	code, err = other.ExitCode(30 * time.Second)
	require.NoError(t, err)
	require.NotZero(t, code)
	require.Contains(t, other.LogTail(20), "cluster id is not equal with helper node "+leader.EditLogAddr()+". will exit.")
}

// TestFEFollowerCatchesUpFromImage: a follower that was down while the
// leader checkpointed and trimmed its log past the follower's last entry
// is caught up from the leader's image, then from the log.
func TestFEFollowerCatchesUpFromImage(t *testing.T) {
	t.Parallel()
	conf := "edit_log_roll_num = 20\ncheckpoint_interval_second = 1\n"
	leader := StartFE(t, FEOptions{Name: "leader", Conf: conf})
	db := leader.DB(t)
	var followers []*FE
	for i := 0; i < 2; i++ {
		f := NewFE(t, FEOptions{Name: "follower", Helper: leader.EditLogAddr(), Conf: conf})
		mustExec(t, db, `ALTER SYSTEM ADD FOLLOWER "`+f.EditLogAddr()+`"`)
		require.NoError(t, f.Start(context.Background()))
		followers = append(followers, f)
	}
	behind := followers[1]
	mustExec(t, db, "CREATE DATABASE before_stop")
	behind.Stop()
	// Batches of DDL with a checkpoint after each: the leader keeps three
	// images and its log back to the oldest of them (less a slack of 256
	// entries), which then no longer reaches the follower's last entry.
	newest := func() uint64 {
		images, err := leader.Images()
		require.NoError(t, err)
		var ids []uint64
		for _, im := range images {
			ids = append(ids, im.JournalID)
		}
		return slices.Max(append(ids, 0))
	}
	oldest := func() uint64 {
		images, err := leader.Images()
		require.NoError(t, err)
		if len(images) < 3 {
			return 0
		}
		var ids []uint64
		for _, im := range images {
			ids = append(ids, im.JournalID)
		}
		return slices.Min(ids)
	}
	batches := 0
	for ; oldest() <= 256+20; batches++ {
		require.Less(t, batches, 20)
		before := newest()
		for i := 0; i < 100; i++ {
			mustExec(t, db, fmt.Sprintf("CREATE DATABASE while_down_%d", batches*100+i))
		}
		waitFor(t, 30*time.Second, func() error {
			if newest() == before {
				return fmt.Errorf("the leader has not checkpointed past image %d", before)
			}
			return nil
		})
	}
	restart(t, behind)
	waitLog(t, behind, "journal: state restored from image", 30*time.Second)
	bdb := behind.DB(t)
	waitFor(t, 30*time.Second, func() error {
		if n := len(queryStrings(t, bdb, "SHOW DATABASES LIKE 'while_down_%'")); n != batches*100 {
			return fmt.Errorf("%d databases on the follower, want %d", n, batches*100)
		}
		return nil
	})
}

// TestFEQuorumLoss: with two of three followers' machines lost (killed,
// meta dirs wiped), writes fail with a clear error instead of succeeding
// silently; reads still answer; once the two come back (rejoining with
// --helper and empty meta dirs) writes work again everywhere.
func TestFEQuorumLoss(t *testing.T) {
	t.Parallel()
	leader := StartFE(t, FEOptions{Name: "leader"})
	db := leader.DB(t)
	var followers []*FE
	for i := 0; i < 2; i++ {
		f := NewFE(t, FEOptions{Name: "follower", Helper: leader.EditLogAddr()})
		mustExec(t, db, `ALTER SYSTEM ADD FOLLOWER "`+f.EditLogAddr()+`"`)
		require.NoError(t, f.Start(context.Background()))
		followers = append(followers, f)
	}
	mustExec(t, db, "CREATE DATABASE before_loss")
	for _, f := range followers {
		f.Kill()
		require.NoError(t, f.WipeMeta())
	}
	// The leader steps down; writes fail clearly, none silently succeeds.
	var errs []string
	for i := 0; i < 2; i++ {
		_, err := db.Exec(fmt.Sprintf("CREATE DATABASE during_loss_%d", i))
		require.Error(t, err, "a write without quorum must not succeed")
		errs = append(errs, err.Error())
	}
	require.Contains(t, errs[1], "the frontends have lost their quorum")
	require.Equal(t, [][]string{{"before_loss"}}, queryStrings(t, db, "SHOW DATABASES LIKE 'before_loss'"), "reads still answer")
	// The two machines come back with empty meta dirs and rejoin.
	for _, f := range followers {
		require.NoError(t, f.StartNoWait(context.Background()))
	}
	for _, f := range followers {
		require.NoError(t, f.WaitReady(context.Background(), 60*time.Second), f.LogTail(30))
	}
	mustExec(t, db, "CREATE DATABASE after_loss")
	for _, f := range append([]*FE{leader}, followers...) {
		fdb := f.DB(t)
		var got [][]string
		waitFor(t, 20*time.Second, func() error {
			got = queryStrings(t, fdb, "SHOW DATABASES LIKE '%_loss%'")
			if !slices.ContainsFunc(got, func(r []string) bool { return r[0] == "after_loss" }) {
				return fmt.Errorf("%s shows %v, without after_loss", f.Host(), got)
			}
			return nil
		})
		require.Contains(t, got, []string{"before_loss"}, f.Host())
		require.NotContains(t, got, []string{"during_loss_1"}, "a refused write never appears (%s)", f.Host())
	}
	t.Logf("errors while quorum was lost: %q", errs)
}
