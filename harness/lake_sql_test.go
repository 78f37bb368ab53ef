package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLakeSQLSurface runs the read and write statements of the data path
// against real compute nodes and MinIO, through the mysql CLI and the Go
// driver, and checks exact rows: INSERT with a column list and from a
// SELECT, WHERE with every predicate form, GROUP BY aggregates, ORDER BY,
// LIMIT, partition pruning, and removing a compute node.
func TestLakeSQLSurface(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, WithComputeNodes(2))
	db := c.FEs()[0].DB(t)
	out, err := mysqlCLI(t, c.FEs()[0], `
CREATE DATABASE shop;
USE shop;
CREATE TABLE orders (
    id INT NOT NULL,
    day DATE NOT NULL,
    customer VARCHAR(32),
    amount DECIMAL(10, 2),
    note VARCHAR(64) DEFAULT 'none'
) DUPLICATE KEY(id)
PARTITION BY RANGE(day) (
    PARTITION p1 VALUES LESS THAN ('2024-02-01'),
    PARTITION p2 VALUES LESS THAN ('2024-03-01'),
    PARTITION p3 VALUES LESS THAN MAXVALUE
)
DISTRIBUTED BY HASH(id) BUCKETS 3;
INSERT INTO orders VALUES
    (1, '2024-01-05', 'ann', 10.50, 'first'),
    (2, '2024-01-20', 'bob', 20.00, NULL),
    (3, '2024-02-03', 'ann', 5.25, 'gift'),
    (4, '2024-02-14', NULL, 99.99, 'valentine'),
    (5, '2024-03-01', 'cid', 1.00, 'march');
INSERT INTO orders (id, day, amount) VALUES (6, '2024-03-15', 7.75);
SELECT * FROM orders WHERE id = 6;
`)
	require.NoError(t, err, out)
	require.Contains(t, out, "id\tday\tcustomer\tamount\tnote\n6\t2024-03-15\tNULL\t7.75\tnone\n",
		"unnamed columns take their default or NULL")

	for _, tc := range []struct {
		query string
		want  [][]string
	}{
		{"SELECT id FROM shop.orders WHERE amount >= 10 AND customer <> 'bob' ORDER BY id", [][]string{{"1"}}},
		{"SELECT id FROM shop.orders WHERE amount > 10 OR customer = 'cid' ORDER BY id", [][]string{{"1"}, {"2"}, {"4"}, {"5"}}},
		{"SELECT id FROM shop.orders WHERE NOT (amount < 10) ORDER BY id", [][]string{{"1"}, {"2"}, {"4"}}},
		{"SELECT id FROM shop.orders WHERE id IN (2, 4, 9) ORDER BY id", [][]string{{"2"}, {"4"}}},
		{"SELECT id FROM shop.orders WHERE day BETWEEN '2024-01-20' AND '2024-02-14' ORDER BY id", [][]string{{"2"}, {"3"}, {"4"}}},
		{"SELECT id FROM shop.orders WHERE customer IS NULL ORDER BY id", [][]string{{"4"}, {"6"}}},
		{"SELECT id FROM shop.orders WHERE note IS NOT NULL AND note LIKE '%i%' ORDER BY id", [][]string{{"1"}, {"3"}, {"4"}}},
		{"SELECT customer, COUNT(*), SUM(amount), MIN(day), MAX(amount), AVG(amount) FROM shop.orders WHERE customer IS NOT NULL GROUP BY customer ORDER BY customer",
			[][]string{{"ann", "2", "15.75", "2024-01-05", "10.50", "7.87500000"}, {"bob", "1", "20.00", "2024-01-20", "20.00", "20.00000000"}, {"cid", "1", "1.00", "2024-03-01", "1.00", "1.00000000"}}},
		{"SELECT COUNT(*), COUNT(customer), SUM(amount) FROM shop.orders", [][]string{{"6", "4", "144.49"}}},
		{"SELECT id, amount FROM shop.orders ORDER BY amount DESC LIMIT 2", [][]string{{"4", "99.99"}, {"2", "20.00"}}},
		{"SELECT id FROM shop.orders ORDER BY id LIMIT 2 OFFSET 3", [][]string{{"4"}, {"5"}}},
	} {
		require.Equal(t, tc.want, queryStrings(t, db, tc.query), tc.query)
	}

	// A Stream Load naming a column twice is refused, nothing loaded.
	resp, err := c.FEs()[0].StreamLoad(context.Background(), "shop", "orders", "dup_columns", []byte("7,2024-01-01,7\n"),
		map[string]string{"column_separator": ",", "columns": "id,day,id"})
	require.NoError(t, err)
	require.Equal(t, "Fail", resp["Status"])
	require.Equal(t, "Duplicate column: id", resp["Message"])
	require.Equal(t, [][]string{{"6"}}, queryStrings(t, db, "SELECT COUNT(*) FROM shop.orders"))

	// INSERT ... SELECT copies through the compute nodes.
	mustExec(t, db, "CREATE TABLE shop.big_orders (id INT, customer VARCHAR(32), amount DECIMAL(10, 2)) DISTRIBUTED BY HASH(id) BUCKETS 2")
	res, err := db.Exec("INSERT INTO shop.big_orders SELECT id, customer, amount FROM shop.orders WHERE amount > 7")
	require.NoError(t, err)
	n, _ := res.RowsAffected()
	require.Equal(t, int64(4), n)
	require.Equal(t, [][]string{{"1", "ann", "10.50"}, {"2", "bob", "20.00"}, {"4", "NULL", "99.99"}, {"6", "NULL", "7.75"}},
		queryStrings(t, db, "SELECT * FROM shop.big_orders ORDER BY id"))

	// Partition pruning: with p2's objects gone, queries that cannot
	// touch p2 still answer; one that reads it fails naming the object.
	var p2 string
	for _, p := range queryStrings(t, db, "SHOW PARTITIONS FROM shop.orders") {
		if p[1] == "p2" {
			p2 = p[0]
		}
	}
	st := c.store(t)
	removed := 0
	for _, k := range c.objects(t) {
		if strings.Contains(k, "/"+p2+"/data/") {
			require.NoError(t, st.Delete(context.Background(), k))
			removed++
		}
	}
	require.Positive(t, removed)
	for _, cn := range c.CNs() {
		require.NoError(t, os.RemoveAll(filepath.Join(storageRoot(t, cn), "cache")))
	}
	require.Equal(t, [][]string{{"1"}, {"2"}}, queryStrings(t, db, "SELECT id FROM shop.orders WHERE day < '2024-02-01' ORDER BY id"))
	require.Equal(t, [][]string{{"5"}, {"6"}}, queryStrings(t, db, "SELECT id FROM shop.orders WHERE day >= '2024-03-01' ORDER BY id"))
	_, err = db.Query("SELECT id FROM shop.orders WHERE day = '2024-02-14'")
	require.Error(t, err)
	require.Contains(t, err.Error(), "/"+p2+"/data/")

	// Dropping a compute node: its tablets move to the other; an unknown
	// node is refused with StarRocks' message.
	_, err = db.Exec(`ALTER SYSTEM DROP COMPUTE NODE "127.0.0.1:9050"`)
	requireMySQLError(t, err, 1064, "compute node does not exists[127.0.0.1:9050]")
	mustExec(t, db, `ALTER SYSTEM DROP COMPUTE NODE "`+c.CNs()[1].HeartbeatAddr()+`"`)
	nodes := queryStrings(t, db, "SHOW COMPUTE NODES")
	require.Len(t, nodes, 1)
	require.Equal(t, c.CNs()[0].Host(), nodes[0][1])
	require.Equal(t, [][]string{{"1", "ann", "10.50"}, {"2", "bob", "20.00"}, {"4", "NULL", "99.99"}, {"6", "NULL", "7.75"}},
		queryStrings(t, db, "SELECT * FROM shop.big_orders ORDER BY id"))
}
