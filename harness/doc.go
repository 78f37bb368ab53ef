// Package harness starts minirocks clusters for tests, drills and other
// projects' Go tests: Launch(ctx, opts...) returns a Cluster of FEs and
// compute nodes with its own object storage (a MinIO), whose DSN follows
// the leader, whose nodes can be killed, stopped, paused, restarted and
// wiped, and whose Close removes what it made.
//
// Seams: nodes run on a Backend (ProcessBackend: child processes on
// reserved loopback hosts, in StarRocks install trees laid out by package
// deploy and started with start_fe.sh / start_cn.sh; DockerBackend: a
// container per node and MinIO on a private network per cluster, images
// built locally FROM scratch). The harness talks to nodes only
// through their public surfaces: SQL on the query port, HTTP (/metrics,
// /api/health, Stream Load), their logs and the names of user-visible
// files (Images); never through an FE's internal formats. Every wait is
// WaitFor, a condition polled to a deadline that reports its last error.
//
// The package does not import testing; package harnesstest is the thin
// layer for testing.T users.
package harness
