package harness

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testSeed returns the seed for randomised tests: $MINIROCKS_SEED or the
// clock. It is logged first, so a failure can be replayed.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MINIROCKS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "MINIROCKS_SEED")
		seed = v
	}
	t.Logf("seed %d (replay with MINIROCKS_SEED=%d)", seed, seed)
	return seed
}

// ddlStep is one statement of a worker's script and how to check its effect.
type ddlStep struct {
	sql string
	// key names the object the statement changes; a later step on the same
	// key supersedes an earlier one's expected state.
	key string
	// present checks that the statement's effect is there, whole; absent
	// checks that none of it is.
	present func(t *testing.T, fe *FE, db *sql.DB) error
	absent  func(t *testing.T, fe *FE, db *sql.DB) error
}

// workerScript builds a worker's sequence of DDL in its own namespace:
// databases, partitioned tables, users with passwords, grants, drops.
func workerScript(round, worker int, rng *rand.Rand) []ddlStep {
	var steps []ddlStep
	for i := 0; i < 400; i++ {
		name := fmt.Sprintf("r%dw%di%d", round, worker, i)
		db := "db_" + name
		parts := 1 + rng.IntN(4)
		buckets := 1 + rng.IntN(3)
		var pdefs []string
		for p := 0; p < parts; p++ {
			pdefs = append(pdefs, fmt.Sprintf("PARTITION p%d VALUES LESS THAN ('%d')", p, (p+1)*100))
		}
		user := "u_" + name
		steps = append(steps,
			ddlStep{
				key:     db + ".db",
				sql:     "CREATE DATABASE " + db,
				present: dbExists(db, true),
				absent:  dbExists(db, false),
			},
			ddlStep{
				key: db + ".t",
				sql: fmt.Sprintf("CREATE TABLE %s.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) PARTITION BY RANGE(k) (%s) DISTRIBUTED BY HASH(k) BUCKETS %d",
					db, strings.Join(pdefs, ", "), buckets),
				present: tableShape(db, "t", parts, buckets),
				absent:  tableAbsent(db, "t"),
			},
			ddlStep{
				key:     db + ".gone",
				sql:     fmt.Sprintf("CREATE TABLE %s.gone (k INT) DISTRIBUTED BY HASH(k) BUCKETS 2", db),
				present: tableShape(db, "gone", 1, 2),
				absent:  tableAbsent(db, "gone"),
			},
			ddlStep{
				key:     db + ".user",
				sql:     fmt.Sprintf("CREATE USER '%s' IDENTIFIED BY 'pw-%s'", user, name),
				present: userLogin(user, "pw-"+name, true),
				absent:  userLogin(user, "pw-"+name, false),
			},
			ddlStep{
				key:     db + ".grant",
				sql:     fmt.Sprintf("GRANT SELECT ON %s.* TO '%s'", db, user),
				present: grantShown(user, db, true),
				absent:  grantShown(user, db, false),
			},
			ddlStep{
				key:     db + ".gone",
				sql:     fmt.Sprintf("DROP TABLE %s.gone", db),
				present: tableAbsent(db, "gone"),
				absent:  tableShape(db, "gone", 1, 2),
			},
		)
	}
	return steps
}

func dbExists(db string, want bool) func(*testing.T, *FE, *sql.DB) error {
	return func(t *testing.T, _ *FE, c *sql.DB) error {
		rows := queryStrings(t, c, "SHOW DATABASES LIKE '"+db+"'")
		if (len(rows) == 1) != want {
			return fmt.Errorf("database %s exists=%v, want %v", db, len(rows) == 1, want)
		}
		return nil
	}
}

func tableShape(db, tbl string, parts, buckets int) func(*testing.T, *FE, *sql.DB) error {
	return func(t *testing.T, _ *FE, c *sql.DB) error {
		rows, err := c.Query("SHOW PARTITIONS FROM " + db + "." + tbl)
		if err != nil {
			return fmt.Errorf("table %s.%s: %v", db, tbl, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			if string(vals[9]) != strconv.Itoa(buckets) {
				return fmt.Errorf("table %s.%s partition %s has %s buckets, want %d", db, tbl, vals[1], vals[9], buckets)
			}
			n++
		}
		if n != parts {
			return fmt.Errorf("table %s.%s has %d partitions, want %d", db, tbl, n, parts)
		}
		return rows.Err()
	}
}

func tableAbsent(db, tbl string) func(*testing.T, *FE, *sql.DB) error {
	return func(t *testing.T, _ *FE, c *sql.DB) error {
		rows := queryStrings(t, c, "SELECT table_name FROM information_schema.tables WHERE table_schema = '"+db+"' AND table_name = '"+tbl+"'")
		if len(rows) != 0 {
			return fmt.Errorf("table %s.%s exists, want absent", db, tbl)
		}
		return nil
	}
}

func userLogin(user, pw string, want bool) func(*testing.T, *FE, *sql.DB) error {
	return func(t *testing.T, fe *FE, _ *sql.DB) error {
		c, err := sql.Open("mysql", fe.DSN(user, pw, ""))
		if err != nil {
			return err
		}
		defer c.Close()
		err = c.Ping()
		if (err == nil) != want {
			return fmt.Errorf("login as %s: err=%v, want success=%v", user, err, want)
		}
		return nil
	}
}

func grantShown(user, db string, want bool) func(*testing.T, *FE, *sql.DB) error {
	return func(t *testing.T, _ *FE, c *sql.DB) error {
		rows, err := c.Query("SHOW GRANTS FOR '" + user + "'")
		if err != nil {
			if !want {
				return nil
			}
			return err
		}
		defer rows.Close()
		found := false
		for rows.Next() {
			var ui, cat sql.NullString
			var g string
			if err := rows.Scan(&ui, &cat, &g); err != nil {
				return err
			}
			found = found || strings.Contains(g, "ALL TABLES IN DATABASE "+db)
		}
		if found != want {
			return fmt.Errorf("grant on %s to %s shown=%v, want %v", db, user, found, want)
		}
		return rows.Err()
	}
}

// TestFECrashDuringDDL kills the FE with SIGKILL at random moments while
// several clients stream DDL, restarts it, and checks that every
// acknowledged statement survived and no statement is half applied.
func TestFECrashDuringDDL(t *testing.T) {
	t.Parallel()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fe := StartFE(t, FEOptions{Conf: "edit_log_roll_num = 40\ncheckpoint_interval_second = 1\n"})

	const workers = 4
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	type outcome struct {
		acked   []ddlStep
		pending *ddlStep
	}
	var history []outcome
	for round := 0; round < rounds; round++ {
		scripts := make([][]ddlStep, workers)
		for w := range scripts {
			scripts[w] = workerScript(round, w, rng)
		}
		killAfter := time.Duration(100+rng.IntN(700)) * time.Millisecond
		results := make([]outcome, workers)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c, err := sql.Open("mysql", fe.DSN("root", "", ""))
				if err != nil {
					return
				}
				defer c.Close()
				c.SetMaxOpenConns(1)
				for i := range scripts[w] {
					step := scripts[w][i]
					if _, err := c.Exec(step.sql); err != nil {
						results[w].pending = &step
						return
					}
					results[w].acked = append(results[w].acked, step)
				}
			}(w)
		}
		time.Sleep(killAfter) // the fault's timing, not synchronisation
		fe.Kill()
		wg.Wait()
		n := 0
		for _, r := range results {
			n += len(r.acked)
		}
		t.Logf("round %d: killed after %v with %d statements acknowledged", round, killAfter, n)
		history = append(history, results...)

		restart(t, fe)
		db := fe.DB(t)
		// Check this round's statements now and every round's at the end.
		check := results
		if round == rounds-1 {
			check = history
		}
		for _, o := range check {
			// The expected state of each object is that of its last
			// acknowledged statement.
			last := map[string]ddlStep{}
			var keys []string
			for _, st := range o.acked {
				if _, ok := last[st.key]; !ok {
					keys = append(keys, st.key)
				}
				last[st.key] = st
			}
			for _, k := range keys {
				if o.pending != nil && o.pending.key == k {
					continue
				}
				st := last[k]
				require.NoError(t, st.present(t, fe, db), "acknowledged: %s (seed %d)", st.sql, seed)
			}
			if p := o.pending; p != nil {
				// In flight at the kill: applied whole, or not at all.
				if errP := p.present(t, fe, db); errP != nil {
					before, ok := last[p.key]
					if ok {
						require.NoError(t, before.present(t, fe, db), "half-applied %s: %v; and the state before it is gone (seed %d)", p.sql, errP, seed)
					} else {
						require.NoError(t, p.absent(t, fe, db), "half-applied: %s: %v (seed %d)", p.sql, errP, seed)
					}
				}
			}
		}
		// StarManager and catalog agree: one shard group per partition,
		// live, in the recycle bin, or awaiting purge (there is no compute
		// node here to delete data).
		parts := 0
		for _, r := range queryStrings(t, db, "SHOW PROC '/statistic'") {
			p, _ := strconv.Atoi(r[3])
			parts += p
		}
		metric := func(name string) float64 {
			v, err := fe.Metric(name)
			require.NoError(t, err, name)
			return v
		}
		groups := metric("starrocks_fe_starmgr_shard_groups")
		dropped := metric("starrocks_fe_recycle_bin_partitions") + metric("starrocks_fe_purge_queue_partitions")
		require.Equal(t, float64(parts)+dropped, groups, "shard groups vs partitions (seed %d)", seed)
	}
	images, err := fe.Images()
	require.NoError(t, err)
	require.NotEmpty(t, images, "checkpoints ran during the test")
}

// TestFECorruptNewestImage corrupts the newest image: the FE starts from
// the previous image plus the journal, logs why, and loses nothing.
func TestFECorruptNewestImage(t *testing.T) {
	t.Parallel()
	fe := StartFE(t, FEOptions{Conf: "edit_log_roll_num = 20\ncheckpoint_interval_second = 1\n"})
	db := fe.DB(t)
	var created []string
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Write until two images exist and a few entries follow the newest.
	for i := 0; ; i++ {
		name := fmt.Sprintf("img_db_%d", i)
		mustExec(t, db, "CREATE DATABASE "+name)
		created = append(created, name)
		images, err := fe.Images()
		require.NoError(t, err)
		if len(images) >= 2 && i%7 == 6 {
			break
		}
		require.NoError(t, ctx.Err(), "no second image appeared")
	}
	fe.Kill()
	images, err := fe.Images()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(images), 2)
	newest := images[0]
	newestPath := filepath.Join(metaDir(t, fe), "image", newest.Name)
	data, err := os.ReadFile(newestPath)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(newestPath, data, 0o644))

	restart(t, fe)
	db = fe.DB(t)
	got := queryStrings(t, db, "SHOW DATABASES LIKE 'img_db_%'")
	var names []string
	for _, r := range got {
		names = append(names, r[0])
	}
	slices.Sort(names)
	want := slices.Clone(created)
	slices.Sort(want)
	require.Equal(t, want, names)
	require.Contains(t, fe.ReadLog(), "image "+newestPath+" is corrupt")
	_, err = os.Stat(filepath.Join(metaDir(t, fe), "image", newest.Name+".corrupt"))
	require.NoError(t, err, "the corrupt image is kept aside for inspection")
}
