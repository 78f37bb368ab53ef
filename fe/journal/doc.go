// Package journal is the FE edit log of minirocks: every metadata change is
// an edit-log entry (a list of typed ops) replicated through hashicorp/raft
// into a caller-supplied StateMachine. The journal id of an entry is its raft
// index.
//
// # Storage layout
//
// Everything lives under Config.MetaDir:
//
//	lock                  flock'ed by the running process; holds its pid
//	bdb/raft.db           raft log store + stable store (raft-boltdb/v2, fsync on every write)
//	image/image.<id>      images (checkpoints) = raft snapshots, <id> = journal id
//	image/image.<id>.corrupt  an image that failed its checksum, moved aside for inspection
//
// # Images
//
// An image is a raft snapshot written by the journal's own raft.SnapshotStore
// as a single file (see OpenImage for the exact format). The part that raft
// streams to a lagging follower (InstallSnapshot) starts with the image
// header, so a follower's copy carries the same FE and StarMgr journal ids.
//
// # Checkpoints and log trimming
//
// raft's automatic snapshots are disabled; a loop on every node (leader,
// followers and observers) takes an image when at least Config.RollNum
// entries were applied since the newest image. The newest
// Config.ImagesRetained images are kept.
//
// Trailing-logs rule: raft never deletes a log entry newer than the oldest
// retained image. Just before raft compacts its log (right after an image
// file is finalised, and before raft's compaction step that follows), the
// journal sets raft's TrailingLogs (raft.ReloadConfig) to
//
//	LastIndex - floor + compactionSlack
//
// where floor is the journal id of the oldest image that is retained
// (0 — keep the whole log — while fewer than ImagesRetained images exist)
// and compactionSlack absorbs entries appended between that computation and
// the compaction. Hence if the newest image turns out to be corrupt at
// restart, the node starts from an older retained image and replays the log
// after it.
package journal
