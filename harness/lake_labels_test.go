package harness

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLakeLabelsExpire checks StarRocks' label cleaning end to end:
// label_clean_interval_second from fe.conf, label_keep_max_second changed
// at run time; once a finished load is older than the keep time it leaves
// information_schema.loads and its label loads again.
func TestLakeLabelsExpire(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFEConf("label_clean_interval_second = 1\n"))
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t WITH LABEL l1 VALUES (1, 'one')")
	loads := func() [][]string {
		return queryStrings(t, db, "SELECT label, state FROM information_schema.loads WHERE db_name = 'd' ORDER BY id")
	}
	require.Equal(t, [][]string{{"l1", "FINISHED"}}, loads())

	cfg := queryStrings(t, db, "ADMIN SHOW FRONTEND CONFIG LIKE 'label_%'")
	require.Len(t, cfg, 2)
	require.Equal(t, []string{"label_clean_interval_second", "1"}, []string{cfg[0][0], cfg[0][2]})
	require.Equal(t, []string{"label_keep_max_second", "259200"}, []string{cfg[1][0], cfg[1][2]})

	// Kept for three days by default: the label is taken.
	_, err := db.Exec("INSERT INTO d.t WITH LABEL l1 VALUES (2, 'two')")
	requireMySQLError(t, err, 1064, "Label [l1] has already been used.")

	// A bad value is refused and changes nothing.
	_, err = db.Exec(`ADMIN SET FRONTEND CONFIG ("label_keep_max_second" = "0")`)
	require.ErrorContains(t, err, `invalid value "0": must be between 1 and`)
	require.Equal(t, "259200", queryStrings(t, db, "ADMIN SHOW FRONTEND CONFIG LIKE 'label_keep_max_second'")[0][2])

	mustExec(t, db, `ADMIN SET FRONTEND CONFIG ("label_keep_max_second" = "2")`)
	waitFor(t, 60*time.Second, func() error {
		if got := loads(); len(got) != 0 {
			return fmt.Errorf("information_schema.loads still lists %v", got)
		}
		return nil
	})
	mustExec(t, db, "INSERT INTO d.t WITH LABEL l1 VALUES (2, 'two')")
	require.Equal(t, [][]string{{"1", "one"}, {"2", "two"}}, queryStrings(t, db, "SELECT k, v FROM d.t ORDER BY k"))
	require.Equal(t, [][]string{{"l1", "FINISHED"}}, loads())
}
