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
// header, so a follower's copy carries the same journal ids. An image file is
// never rewritten: a snapshot at the index of a valid image keeps that file.
//
// The header holds the FE journal id (fe_journal_id) and, generically, the
// named journal ids the state machine reports (StateSnapshot.JournalIDs),
// each stored as "<name>_journal_id". The journal gives no name a meaning;
// the FE, for one, supplies {"starmgr": id}, stored as starmgr_journal_id.
// ImageHeader.JournalIDs returns the ids by name.
//
// # Checkpoints for callers: Checkpoint and holds
//
// Journal.Checkpoint takes an image now and returns it (ImageInfo): path,
// size and the header read back from that file, so the ids a caller learns
// are exactly those of the image (everything applied when Checkpoint was
// called is in it). With nothing applied since the newest image it returns
// that image; with nothing ever applied it fails with ErrImageNotFound.
// Checkpoints are taken one at a time, so Checkpoint is safe alongside
// Propose and the periodic loop.
//
// Journal.HoldImage holds an image open for reading (HeldImage: header,
// path, size, Reader, Verify): while any hold on an image is outstanding,
// retention does not delete it; after the last Release, the next checkpoint's
// retention does. Journal.CheckpointAndHold is Checkpoint plus a hold taken
// before any other checkpoint can run, for a caller that reads the image
// afterwards (a cluster snapshot uploading it, for instance).
//
// # Durability: sync points
//
// Nothing is acknowledged before it is on disk. A log append counts as
// stored only once raft-boltdb committed it with fdatasync, and a leader
// acknowledges a proposal only once a majority stored it; an image counts
// as taken only once its temp file was fsynced, renamed and the image
// directory fsynced. Config.Sync is called at each of these points
// (SyncLog, SyncImage, SyncImageDir) after the fsync; its error fails the
// write as a failed fsync would: the appended entries are removed again
// and raft fails the proposals in them (the leader steps down and is
// elected again), or the checkpoint fails and the image is not counted.
// InstallImage (a restore) takes the same function for its image. An FE
// leaves both nil; tests use it as a disk that refuses to flush
// (sync_test.go).
//
// # Checkpoints and log trimming
//
// raft's automatic snapshots are disabled; a loop on every node (leader,
// followers and observers) takes an image when at least Config.RollNum
// entries were applied since the newest image. The newest
// Config.ImagesRetained images are kept, plus any that are held.
//
// Trailing-logs rule: raft never deletes a log entry newer than the oldest
// retained image. Just before raft compacts its log (right after an image
// file is finalised, and before raft's compaction step that follows), the
// journal sets raft's TrailingLogs (raft.ReloadConfig) to
//
//	LastIndex - floor + compactionSlack
//
// where floor is the journal id of the oldest of the newest ImagesRetained
// images (0 — keep the whole log — while fewer exist; held images older than
// that do not count)
// and compactionSlack absorbs entries appended between that computation and
// the compaction. Hence if the newest image turns out to be corrupt at
// restart, the node starts from an older retained image and replays the log
// after it.
package journal
