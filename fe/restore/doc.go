// Package restore brings a cluster back from an automated cluster
// snapshot, as start_fe.sh --cluster_snapshot (or RESTORE_CLUSTER_SNAPSHOT=
// true) does in StarRocks: it reads fe/conf/cluster_snapshot.yaml, applies
// the meta dir rules, picks and downloads a complete snapshot, checks that
// every data object its image refers to exists, installs the image as a
// brand-new one-member journal (Prepare, before the journal opens) and,
// once the FE leads, applies the yaml's topology through journaled
// operations and marks the snapshot FINISHED (Finish). docs/restore.md is
// the runbook.
package restore
