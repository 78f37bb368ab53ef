package harness

import (
	"context"
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
	want := map[string]string{leader.Host: "LEADER", fes[1].Host: "FOLLOWER", fes[2].Host: "FOLLOWER", fes[3].Host: "OBSERVER"}
	deadline := time.Now().Add(30 * time.Second)
	for _, f := range fes {
		for {
			rows := queryStrings(t, f.DB(t), "SHOW FRONTENDS")
			got := map[string]string{}
			allAlive := true
			for _, r := range rows {
				got[r[1]] = r[6]
				allAlive = allAlive && r[9] == "true" && r[8] == "true"
			}
			if (allAlive && len(rows) == 4 && mapsEqual(got, want)) || time.Now().After(deadline) {
				require.Equal(t, want, got, "roles as %s sees them", f.Host)
				require.True(t, allAlive, "every FE alive and joined as %s sees it: %v", f.Host, rows)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Writes through any FE are forwarded to the leader and read back at once.
	for i, f := range fes {
		conn := f.DB(t)
		mustExec(t, conn, "CREATE DATABASE db_via_fe"+string(rune('1'+i)))
		require.Equal(t, [][]string{{"db_via_fe" + string(rune('1'+i))}}, queryStrings(t, conn, "SHOW DATABASES LIKE 'db_via_fe"+string(rune('1'+i))+"'"))
	}
	for _, f := range fes {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := len(queryStrings(t, f.DB(t), "SHOW DATABASES LIKE 'db_via_fe%'"))
			if n == 4 || time.Now().After(deadline) {
				require.Equal(t, 4, n, "databases on %s", f.Host)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Dropping: not the leader; an unknown node; then the observer.
	_, err := fes[1].DB(t).Exec(`ALTER SYSTEM DROP FOLLOWER "` + leader.EditLogAddr() + `"`)
	requireMySQLError(t, err, 1064, "can not drop current master node.")
	_, err = db.Exec(`ALTER SYSTEM DROP FOLLOWER "` + fes[3].EditLogAddr() + `"`)
	requireMySQLError(t, err, 1064, "FOLLOWER does not exist["+fes[3].EditLogAddr()+"]")
	mustExec(t, db, `ALTER SYSTEM DROP OBSERVER "`+fes[3].EditLogAddr()+`"`)
	require.Len(t, queryStrings(t, db, "SHOW FRONTENDS"), 3)
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
