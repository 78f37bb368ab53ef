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
