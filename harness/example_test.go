package harness_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver for c.DSN()

	"github.com/minirocks/minirocks/harness"
)

// ExampleLaunch starts one FE, one compute node and a MinIO, writes and
// reads through the leader-following DSN, kills the FE as a crash would,
// restarts it and reads the rows back once the cluster answers again.
// A module of your own can copy it as is (go get
// github.com/minirocks/minirocks; the binary is built from the module).
func ExampleLaunch() {
	ctx := context.Background()
	c, err := harness.Launch(ctx, harness.WithName("example"), harness.WithComputeNodes(1))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	db, err := sql.Open("mysql", c.DSN())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT NOT NULL, amount DECIMAL(10, 2)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2",
		"INSERT INTO shop.orders VALUES (1, 10.50), (2, 20.00)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Fatal(err)
		}
	}

	// Crash the leader and bring it back.
	leader, err := c.Leader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := leader.Kill(); err != nil {
		log.Fatal(err)
	}
	if err := leader.Start(ctx); err != nil {
		log.Fatal(err)
	}

	// The same DSN reaches the cluster again; wait until the rows read back.
	var n int
	err = harness.WaitFor(ctx, time.Minute, func() error {
		return db.QueryRowContext(ctx, "SELECT COUNT(*) FROM shop.orders").Scan(&n)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows after the crash:", n)
}

// ExampleRestore is a disaster-recovery drill in a few lines: a cluster
// with data takes a snapshot, gets a row it will lose, dies entirely, and
// comes back on new hosts from object storage alone, as StarRocks' runbook
// does it (cluster_snapshot.yaml, start_fe.sh --cluster_snapshot, --helper,
// clean compute nodes).
func ExampleRestore() {
	ctx := context.Background()
	src, err := harness.Launch(ctx, harness.WithName("example-src"), harness.WithComputeNodes(1))
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	db, err := sql.Open("mysql", src.DSN())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT NOT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2",
		"INSERT INTO shop.orders VALUES (1), (2)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Fatal(err)
		}
	}
	snap, err := src.TakeSnapshot(ctx, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO shop.orders VALUES (3)"); err != nil {
		log.Fatal(err)
	}
	if err := src.KillAll(); err != nil { // every machine lost; the bucket stays
		log.Fatal(err)
	}

	restored, times, err := harness.Restore(ctx, src, "example-restored",
		harness.RestoreSpec{Snapshot: snap, Followers: 1, ComputeNodes: 1})
	if restored != nil {
		defer restored.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
	rdb, err := sql.Open("mysql", restored.DSN())
	if err != nil {
		log.Fatal(err)
	}
	defer rdb.Close()
	var n int
	if err := rdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM shop.orders").Scan(&n); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows after the restore:", n, "(first query within a minute:", times.FirstQuery < time.Minute, ")")
}
