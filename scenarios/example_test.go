package scenarios_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/minirocks/minirocks/harness"
	"github.com/minirocks/minirocks/scenarios"
)

// ExampleCheckRestored is a restore drill in a user's own test: a
// workload loads while snapshots are taken, every machine is lost, the
// cluster is restored onto new hosts, and the restored table is checked
// against the workload's history at the snapshot's cut.
func ExampleCheckRestored() {
	ctx := context.Background()
	src, err := harness.Launch(ctx, harness.WithName("shop"), harness.WithComputeNodes(1),
		harness.WithFEConf("automated_cluster_snapshot_interval_seconds = 2"))
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	db, err := sql.Open("mysql", src.DSN())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE DATABASE shop", "ADMIN SET AUTOMATED CLUSTER SNAPSHOT ON"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Fatal(err)
		}
	}
	w, err := scenarios.StartWorkload(ctx, db, "shop.orders", "shop", 2, 42)
	if err != nil {
		log.Fatal(err)
	}
	var snaps []harness.Snapshot
	if err := harness.WaitFor(ctx, time.Minute, func() error {
		if snaps, err = src.Snapshots(ctx); err == nil && len(snaps) == 0 {
			err = fmt.Errorf("no snapshot yet")
		}
		return err
	}); err != nil {
		log.Fatal(err)
	}
	disaster := time.Now()
	if err := src.KillAll(); err != nil {
		log.Fatal(err)
	}
	history := w.Stop()

	snap := snaps[len(snaps)-1]
	restored, times, err := harness.Restore(ctx, src, "shop-restored", harness.RestoreSpec{Snapshot: snap, ComputeNodes: 1})
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
	check, err := scenarios.CheckRestored(ctx, rdb, "shop.orders", history, times.Restored(snaps, snap), disaster)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("differences:", len(check.Failures), "acknowledged loads lost:", check.LostAcknowledged)
}
