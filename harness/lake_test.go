package harness

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/volume"
)

// quickstartDupTable is the StarRocks load-documentation table.
const quickstartDupTable = `CREATE TABLE source_wiki_edit
(
    event_time      DATETIME,
    channel         VARCHAR(32)      DEFAULT '',
    user            VARCHAR(128)     DEFAULT '',
    is_anonymous    TINYINT          DEFAULT '0',
    is_minor        TINYINT          DEFAULT '0',
    is_new          TINYINT          DEFAULT '0',
    is_robot        TINYINT          DEFAULT '0',
    is_unpatrolled  TINYINT          DEFAULT '0',
    delta           INT              DEFAULT '0',
    added           INT              DEFAULT '0',
    deleted         INT              DEFAULT '0'
)
DUPLICATE KEY(
    event_time,
    channel,user,
    is_anonymous,
    is_minor,
    is_new,
    is_robot,
    is_unpatrolled
)
PARTITION BY RANGE(event_time)(
    PARTITION p06 VALUES LESS THAN ('2015-09-12 06:00:00'),
    PARTITION p12 VALUES LESS THAN ('2015-09-12 12:00:00'),
    PARTITION p18 VALUES LESS THAN ('2015-09-12 18:00:00'),
    PARTITION p24 VALUES LESS THAN ('2015-09-13 00:00:00')
)
DISTRIBUTED BY HASH(user);`

// store opens the cluster's bucket the way a compute node does.
func (c *Cluster) store(t *testing.T) *volume.Store {
	t.Helper()
	st, err := volume.Open(context.Background(), c.MinIO().Location(c.Bucket(), ""), c.MinIO().VolumeProps())
	require.NoError(t, err)
	t.Cleanup(st.Close)
	return st
}

// objects lists every object key of the bucket but the leader's storage
// lease (<service_id>/meta/lease.json, docs/restore.md), which is neither
// table data nor a snapshot.
func (c *Cluster) objects(t *testing.T) []string {
	t.Helper()
	infos, err := c.store(t).List(context.Background(), "")
	require.NoError(t, err)
	var keys []string
	for _, o := range infos {
		if strings.HasSuffix(o.Key, "/meta/lease.json") {
			continue
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// streamLoad runs curl exactly as the StarRocks documentation does.
func streamLoad(t *testing.T, fe *FE, db, table, label string, data string, headers ...string) map[string]any {
	t.Helper()
	f := filepath.Join(t.TempDir(), "data.csv")
	require.NoError(t, os.WriteFile(f, []byte(data), 0o644))
	args := []string{"-s", "--location-trusted", "-u", "root:", "-H", "label:" + label}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, "-T", f, fmt.Sprintf("%s/api/%s/%s/_stream_load", fe.HTTPURL(), db, table))
	out, err := exec.Command("curl", args...).CombinedOutput()
	require.NoError(t, err, string(out))
	var resp map[string]any
	require.NoError(t, json.Unmarshal(out, &resp), string(out))
	return resp
}

// TestLakeQuickstart loads the StarRocks quickstart table with INSERT and
// Stream Load and checks the rows and where the objects live.
func TestLakeQuickstart(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE load_test")
	mustExec(t, db, "USE load_test")
	conn, err := sql.Open("mysql", c.FEs()[0].DSN("root", "", "load_test"))
	require.NoError(t, err)
	defer conn.Close()
	mustExec(t, conn, quickstartDupTable)
	res, err := conn.Exec(`INSERT INTO source_wiki_edit
WITH LABEL insert_load_wikipedia
VALUES
    ("2015-09-12 00:00:00","#en.wikipedia","AustinFF",0,0,0,0,0,21,5,0),
    ("2015-09-12 00:00:00","#ca.wikipedia","helloSR",0,1,0,1,0,3,23,0)`)
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.Equal(t, int64(2), n)
	require.Equal(t, [][]string{
		{"2015-09-12 00:00:00", "#ca.wikipedia", "helloSR", "0", "1", "0", "1", "0", "3", "23", "0"},
		{"2015-09-12 00:00:00", "#en.wikipedia", "AustinFF", "0", "0", "0", "0", "0", "21", "5", "0"},
	}, queryStrings(t, conn, "SELECT * FROM source_wiki_edit ORDER BY user DESC"))

	// The same label again is refused, and nothing doubles.
	_, err = conn.Exec(`INSERT INTO source_wiki_edit WITH LABEL insert_load_wikipedia VALUES ("2015-09-12 00:00:00","x","y",0,0,0,0,0,1,1,1)`)
	requireMySQLError(t, err, 1064, "fail to begin transaction. Label [insert_load_wikipedia] has already been used..")

	// A row outside every partition is an error naming it; nothing is written.
	_, err = conn.Exec(`INSERT INTO source_wiki_edit VALUES ("2015-09-14 00:00:00","#de.wikipedia","late",0,0,0,0,0,1,1,1)`)
	requireMySQLError(t, err, 1064, "The row is out of partition ranges. Please add a new partition. Row: [2015-09-14 00:00:00, #de.wikipedia, late")

	// Stream Load through the FE's redirect, with curl.
	resp := streamLoad(t, c.FEs()[0], "load_test", "source_wiki_edit", "sl1",
		"2015-09-12 07:00:00,#fr.wikipedia,PereBot,0,1,0,1,0,17,17,0\n2015-09-12 13:00:00,#cn.wikipedia,GELongstreet,0,0,0,0,0,36,36,0\n",
		"column_separator:,")
	require.Equal(t, "Success", resp["Status"], resp)
	require.Equal(t, "OK", resp["Message"])
	require.EqualValues(t, 2, resp["NumberLoadedRows"])
	resp = streamLoad(t, c.FEs()[0], "load_test", "source_wiki_edit", "sl1", "2015-09-12 07:00:00,#fr.wikipedia,Again,0,1,0,1,0,17,17,0\n", "column_separator:,")
	require.Equal(t, "Label Already Exists", resp["Status"], resp)
	require.Equal(t, "FINISHED", resp["ExistingJobStatus"])

	require.Equal(t, [][]string{{"4", "77"}}, queryStrings(t, conn, "SELECT COUNT(*), SUM(delta) FROM source_wiki_edit"))
	require.Equal(t, [][]string{{"p06", "2"}, {"p12", "1"}, {"p18", "1"}},
		queryStrings(t, conn, "SELECT CASE WHEN event_time < '2015-09-12 06:00:00' THEN 'p06' WHEN event_time < '2015-09-12 12:00:00' THEN 'p12' ELSE 'p18' END AS p, COUNT(*) FROM source_wiki_edit GROUP BY p ORDER BY p"))
	require.Equal(t, [][]string{{"GELongstreet", "36"}}, queryStrings(t, conn, "SELECT user, delta FROM source_wiki_edit WHERE delta > 21 AND channel LIKE '#cn%'"))

	loads := queryStrings(t, db, "SELECT label, state, type, sink_rows FROM information_schema.loads WHERE db_name = 'load_test' ORDER BY id")
	require.Equal(t, [][]string{{"insert_load_wikipedia", "FINISHED", "INSERT", "2"}, {"sl1", "FINISHED", "STREAM_LOAD", "2"}}, loads)

	// Objects live at <aws_s3_path>/<service_id>/db<id>/<table id>/<partition id>/{data,meta}.
	dbs := queryStrings(t, db, "SHOW PROC '/dbs'")
	var dbID string
	for _, r := range dbs {
		if r[1] == "load_test" {
			dbID = r[0]
		}
	}
	tables := queryStrings(t, db, "SHOW PROC '/dbs/"+dbID+"'")
	tableID := tables[0][0]
	parts := map[string]bool{}
	rowCounts := map[string]string{}
	for _, p := range queryStrings(t, conn, "SHOW PARTITIONS FROM source_wiki_edit") {
		parts[p[0]] = true
		rowCounts[p[1]] = p[11]
		if p[11] == "0" {
			require.Equal(t, "0B", p[10], "DataSize of an empty partition")
		} else {
			require.Regexp(t, `^\d+(\.\d)?(B|KB)$`, p[10], "DataSize")
		}
	}
	require.Equal(t, map[string]string{"p06": "2", "p12": "1", "p18": "1", "p24": "0"}, rowCounts,
		"RowCount per partition: two INSERTed rows, two Stream Loaded")
	re := regexp.MustCompile(`^TestLakeQuickstart/([0-9a-f-]{36})/db` + dbID + `/` + tableID + `/(\d+)/(data|meta)/`)
	keys := c.objects(t)
	require.NotEmpty(t, keys)
	sawMeta, sawData := false, false
	for _, k := range keys {
		m := re.FindStringSubmatch(k)
		require.NotNil(t, m, "object %s is outside the lake layout", k)
		require.True(t, parts[m[2]], "object %s is in an unknown partition", k)
		sawMeta = sawMeta || m[3] == "meta"
		sawData = sawData || m[3] == "data"
	}
	require.True(t, sawMeta && sawData)
	serviceID := re.FindStringSubmatch(keys[0])[1]
	require.Equal(t, "s3://"+c.Bucket()+"/TestLakeQuickstart/"+serviceID+"/db"+dbID+"/"+tableID, tables[0][10],
		"SHOW PROC '/dbs/<id>' shows the table's storage path")
}

// TestLakeCacheWipeAndFailover: wiping a CN's storage_root_path loses
// nothing; with two CNs, stopping one moves its tablets to the other.
func TestLakeCacheWipeAndFailover(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithComputeNodes(2))
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 8")
	var values []string
	for i := 0; i < 500; i++ {
		values = append(values, fmt.Sprintf("(%d, 'v%d')", i, i))
	}
	mustExec(t, db, "INSERT INTO d.t VALUES "+strings.Join(values, ","))
	want := [][]string{{"500", "124750"}}
	require.Equal(t, want, queryStrings(t, db, "SELECT COUNT(*), SUM(k) FROM d.t"))

	// Wipe the cache of the first CN while it is down.
	cn := c.CNs()[0]
	cn.Stop()
	require.NoError(t, cn.WipeStorage())
	require.NoError(t, cn.Start(context.Background()))
	require.NoError(t, c.WaitComputeNodes(context.Background(), 2))
	require.Equal(t, want, queryStrings(t, db, "SELECT COUNT(*), SUM(k) FROM d.t"))

	// Stop the second CN: once it is marked dead, the first serves everything.
	c.CNs()[1].Stop()
	require.NoError(t, c.WaitComputeNodes(context.Background(), 1))
	require.Equal(t, want, queryStrings(t, db, "SELECT COUNT(*), SUM(k) FROM d.t"))
	nodes := queryStrings(t, db, "SHOW COMPUTE NODES")
	alive := map[string]string{}
	for _, n := range nodes {
		alive[n[1]] = n[8] + "/" + n[24]
	}
	require.Equal(t, "true/8", alive[c.CNs()[0].Host()], "the live CN serves all 8 tablets")
	require.Equal(t, "false/0", alive[c.CNs()[1].Host()])
	mustExec(t, db, "INSERT INTO d.t VALUES (1000, 'after')")
	require.Equal(t, [][]string{{"501"}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))
}

// TestLakeStorageOutageAndCorruption: with MinIO down a load fails clearly
// and nothing becomes visible; afterwards loads work. A corrupted segment
// makes queries fail naming the object, never return wrong rows.
func TestLakeStorageOutageAndCorruption(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t VALUES (1, 'one'), (2, 'two')")

	require.NoError(t, c.MinIO().Stop())
	_, err := db.Exec("INSERT INTO d.t WITH LABEL during_outage VALUES (3, 'three')")
	require.Error(t, err)
	require.Regexp(t, `Failed to write tablet \d+ on compute node .*: s3://minirocks/.*: object storage at .* is unreachable`, err.Error())
	require.NoError(t, c.MinIO().Start(context.Background()))
	require.Equal(t, [][]string{{"1", "one"}, {"2", "two"}}, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))
	require.Equal(t, [][]string{{"CANCELLED"}}, queryStrings(t, db, "SELECT state FROM information_schema.loads WHERE label = 'during_outage'"))
	mustExec(t, db, "INSERT INTO d.t WITH LABEL during_outage VALUES (3, 'three')")
	require.Equal(t, [][]string{{"3"}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))

	// Corrupt one segment object in place.
	st := c.store(t)
	var seg string
	for _, k := range c.objects(t) {
		if strings.Contains(k, "/data/") {
			seg = k
		}
	}
	require.NotEmpty(t, seg)
	data, err := st.Get(context.Background(), seg)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x55
	require.NoError(t, st.PutBytes(context.Background(), seg, data))
	// Drop cached copies so the node reads the corrupted object.
	for _, cn := range c.CNs() {
		require.NoError(t, os.RemoveAll(filepath.Join(storageRoot(t, cn), "cache")))
	}
	_, err = db.Query("SELECT * FROM d.t")
	require.Error(t, err)
	require.Contains(t, err.Error(), "s3://minirocks/"+seg)
	require.Contains(t, err.Error(), "is corrupt")
}

// TestLakeVacuum: after loads and a compaction, vacuum leaves exactly the
// files the visible version references.
func TestLakeVacuum(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFEConf("lake_autovacuum_grace_period_minutes = 0\nlake_compaction_score_selector_min_score = 4\n"))
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v INT SUM) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	for i := 0; i < 6; i++ {
		mustExec(t, db, fmt.Sprintf("INSERT INTO d.t VALUES (1, %d), (%d, 1)", i, i+10))
	}
	// Automatic compaction (4 versions since the last) and vacuum run in the background.
	waitFor(t, 60*time.Second, func() error {
		if parts := queryStrings(t, db, "SHOW PARTITIONS FROM d.t"); parts[0][2] == "0" {
			return fmt.Errorf("no compaction ran yet (CompactVersion 0): %v", parts[0])
		}
		return nil
	})
	require.Equal(t, [][]string{{"1", "15"}, {"10", "1"}, {"15", "1"}},
		queryStrings(t, db, "SELECT k, v FROM d.t WHERE k IN (1, 10, 15) ORDER BY k"))

	st := c.store(t)
	expected := func() []string {
		// The visible version's metas and the segments they reference.
		visible := queryStrings(t, db, "SHOW PARTITIONS FROM d.t")[0][3]
		var want []string
		for _, k := range c.objects(t) {
			if strings.Contains(k, "/meta/") && strings.HasSuffix(k, fmt.Sprintf("_%016X.meta", mustAtoi(t, visible))) {
				want = append(want, k)
				data, err := st.Get(context.Background(), k)
				require.NoError(t, err)
				m, err := lake.DecodeMeta(k, data)
				require.NoError(t, err)
				dir := k[:strings.Index(k, "/meta/")+1]
				for _, n := range m.SegmentNames() {
					want = append(want, dir+n)
				}
			}
		}
		sort.Strings(want)
		return want
	}
	var got, want []string
	waitFor(t, 60*time.Second, func() error {
		got, want = c.objects(t), expected()
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("vacuum leaves %v, the visible version references %v", got, want)
		}
		return nil
	})
	require.Len(t, want, 2+2, "two tablets: one meta and one compacted segment each")
}

// TestLakeVacuumFailedLoad: the files a failed load wrote are reclaimed
// by vacuum even though no later load moves the partition's visible
// version.
func TestLakeVacuumFailedLoad(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFEConf("lake_autovacuum_grace_period_minutes = 0\n"))
	fe := c.FEs()[0]
	db := fe.DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
	mustExec(t, db, "INSERT INTO d.t VALUES (1, 1)")
	mustExec(t, db, "INSERT INTO d.t VALUES (2, 2)")
	files := func(kind string) []string {
		var out []string
		for _, k := range c.objects(t) {
			if strings.Contains(k, "/"+kind+"/") {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	// Vacuum has run at version 3: the metadata of version 2 is gone.
	waitFor(t, 60*time.Second, func() error {
		if metas := files("meta"); len(metas) != 1 {
			return fmt.Errorf("metas %v, want only version 3's", metas)
		}
		return nil
	})
	kept := files("data")
	require.Len(t, kept, 2, "one segment per load")

	// A Stream Load whose bad row exceeds max_filter_ratio (0) fails after
	// its good rows were written.
	resp := streamLoad(t, fe, "d", "t", "failed_1", "3,3\n4,x\n", "column_separator:,")
	require.Equal(t, "Fail", resp["Status"], resp)
	require.Equal(t, [][]string{{"2"}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))
	require.Greater(t, len(files("data")), len(kept), "the failed load left a segment behind")

	waitFor(t, 60*time.Second, func() error {
		if got := files("data"); strings.Join(got, ",") != strings.Join(kept, ",") {
			return fmt.Errorf("data files %v, want only the visible version's %v", got, kept)
		}
		return nil
	})
	require.Equal(t, [][]string{{"1", "1"}, {"2", "2"}}, queryStrings(t, db, "SELECT k, v FROM d.t ORDER BY k"))
}

func mustAtoi(t *testing.T, s string) int64 {
	var n int64
	_, err := fmt.Sscan(s, &n)
	require.NoError(t, err)
	return n
}

// TestLakeRecycleBin: DROP TABLE and RECOVER TABLE, TRUNCATE, and the purge
// of expired entries from object storage.
func TestLakeRecycleBin(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithFEConf("catalog_trash_expire_second = 3\n"))
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1")
	mustExec(t, db, "INSERT INTO d.t VALUES (1), (2)")
	mustExec(t, db, "DROP TABLE d.t")
	_, err := db.Query("SELECT * FROM d.t")
	requireMySQLError(t, err, 5502, "Unknown table 'd.t'")
	mustExec(t, db, "RECOVER TABLE d.t")
	require.Equal(t, [][]string{{"2"}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))

	mustExec(t, db, "TRUNCATE TABLE d.t")
	require.Equal(t, [][]string{{"0"}}, queryStrings(t, db, "SELECT COUNT(*) FROM d.t"))
	mustExec(t, db, "INSERT INTO d.t VALUES (3)")
	require.Equal(t, [][]string{{"3"}}, queryStrings(t, db, "SELECT k FROM d.t"))

	// Drop for good: after catalog_trash_expire_second the data is purged.
	mustExec(t, db, "DROP TABLE d.t")
	_, err = db.Exec("RECOVER TABLE d.nope")
	requireMySQLError(t, err, 5502, "Unknown table 'nope'")
	waitFor(t, 60*time.Second, func() error {
		if objs := c.objects(t); len(objs) > 0 {
			return fmt.Errorf("erased tables leave objects: %v", objs)
		}
		return nil
	})
	_, err = db.Exec("RECOVER TABLE d.t")
	requireMySQLError(t, err, 5502, "Unknown table 't'")
}

// TestLakeCorruptCacheRefetched: a cached segment copy damaged on disk
// (same size, so its size still matches the metadata) is detected by its
// checksums, dropped and fetched again from object storage: the query
// returns the right rows and the copy is repaired.
func TestLakeCorruptCacheRefetched(t *testing.T) {
	t.Parallel()
	c := StartCluster(t)
	db := c.FEs()[0].DB(t)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "CREATE TABLE d.t (k INT, v VARCHAR(20)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2")
	mustExec(t, db, "INSERT INTO d.t VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')")
	want := [][]string{{"1", "one"}, {"2", "two"}, {"3", "three"}, {"4", "four"}}
	require.Equal(t, want, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))

	// The query filled the cache; damage every cached segment in place.
	cacheDir := filepath.Join(storageRoot(t, c.CNs()[0]), "cache")
	var cached []string
	require.NoError(t, filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".dat") {
			cached = append(cached, p)
		}
		return err
	}))
	require.NotEmpty(t, cached, "the query cached the segments it read")
	for _, p := range cached {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		data[len(data)/2] ^= 0x55
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	require.Equal(t, want, queryStrings(t, db, "SELECT * FROM d.t ORDER BY k"))
	// The copies were replaced by the objects' bytes.
	st := c.store(t)
	for _, p := range cached {
		key := strings.TrimPrefix(filepath.ToSlash(strings.TrimPrefix(p, cacheDir+string(filepath.Separator))), c.Bucket()+"/")
		obj, err := st.Get(context.Background(), key)
		require.NoError(t, err, key)
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, obj, got, p)
	}
}
