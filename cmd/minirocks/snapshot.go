package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/minirocks/minirocks/fe/snapshot/check"
	"github.com/minirocks/minirocks/volume"
)

const snapshotUsage = `usage: minirocks snapshot verify --location s3://BUCKET/PREFIX --endpoint HOST:PORT --access-key AK
                                [--region R] [--service-id ID] [--snapshot NAME]

Checks from the bucket alone that a cluster snapshot can be restored: its
manifest, every file's size and SHA-256, the image, and every tablet
metadata, segment and txn log the image refers to. The secret key is read
from the environment variable AWS_SECRET_ACCESS_KEY and never printed.

--service-id   the cluster's service id; when omitted the location is listed
               and must hold the snapshots of exactly one service
               (<service_id>/meta/image/automated_cluster_snapshot_<ms>/)
--snapshot     the snapshot's name; when omitted the newest snapshot with a
               valid manifest is checked

Exit status: 0 when the snapshot is complete, 1 when an object is missing or
damaged (each is listed) or the check could not be made.
`

// errIncomplete is returned when the check found missing objects; the
// report has already been printed.
var errIncomplete = errors.New("snapshot is not restorable: objects are missing or damaged")

func runSnapshot(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, snapshotUsage)
		if len(args) == 0 {
			return errors.New("snapshot: no subcommand given")
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			return nil
		}
		return fmt.Errorf("snapshot: unknown subcommand %q", args[0])
	}
	fs := flag.NewFlagSet("snapshot verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, snapshotUsage) }
	location := fs.String("location", "", "s3://bucket/prefix of the storage volume holding the snapshot")
	endpoint := fs.String("endpoint", "", "object storage endpoint, host:port (http://, https:// allowed)")
	accessKey := fs.String("access-key", "", "access key (the secret key is AWS_SECRET_ACCESS_KEY)")
	region := fs.String("region", "", "region (optional)")
	serviceID := fs.String("service-id", "", "service id; default: the one service under the location")
	name := fs.String("snapshot", "", "snapshot name; default: the newest with a valid manifest")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("snapshot verify: unexpected argument %q", fs.Arg(0))
	}
	if *location == "" {
		return errors.New("snapshot verify: --location is required")
	}
	props := map[string]string{volume.PropEndpoint: *endpoint, volume.PropRegion: *region}
	if *accessKey != "" {
		props[volume.PropAccessKey] = *accessKey
		props[volume.PropSecretKey] = os.Getenv("AWS_SECRET_ACCESS_KEY")
	} else {
		props[volume.PropUseDefault] = "true"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := volume.Open(ctx, *location, props)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := *serviceID
	if svc == "" {
		if svc, err = check.FindServiceID(ctx, st); err != nil {
			return err
		}
	}
	r, err := check.Verify(ctx, st, svc, *name, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "snapshot %s of service %s at %s\n", r.Snapshot, r.ServiceID, r.Location)
	fmt.Fprintf(stdout, "fe_journal_id %d, starmgr_journal_id %d\n", r.FEJournalID, r.StarMgrJournalID)
	fmt.Fprintf(stdout, "checked %d files, %d partitions, %d tablets, %d tablet metadata, %d segments, %d txn logs\n",
		r.Files, r.Partitions, r.Tablets, r.Metas, r.Segments, r.TxnLogs)
	for _, s := range r.Skipped {
		fmt.Fprintf(stdout, "not checked: %s\n", s)
	}
	if r.Complete() {
		fmt.Fprintln(stdout, "complete: the snapshot is restorable")
		return nil
	}
	fmt.Fprintf(stdout, "missing or damaged: %d\n", len(r.Missing))
	for _, p := range r.Missing {
		fmt.Fprintf(stdout, "  %s: %s\n", p.Object, p.Reason)
	}
	return errIncomplete
}
