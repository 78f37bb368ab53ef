package catalog

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Automated cluster snapshots, as the catalog records them: whether
// automation is on and into which storage volume, and the snapshot jobs
// with their states, journal ids and the tablet versions each pins. The
// leader's scheduler (fe/snapshot) does the work and journals every step
// with SnapshotJobOp; every FE replays the same records, so every FE shows
// the same jobs and a new leader knows what its predecessor left unfinished.
// Replay has no side effects: objects are deleted only by the leader.

// SnapshotJobState is a snapshot job's state, as
// information_schema.cluster_snapshot_jobs shows it.
type SnapshotJobState string

// Snapshot job states. A job moves INITIALIZING -> SNAPSHOTING -> FINISHED
// -> EXPIRED -> DELETED, or from INITIALIZING or SNAPSHOTING to ERROR.
// DELETED and ERROR are terminal.
const (
	SnapshotInitializing SnapshotJobState = "INITIALIZING"
	SnapshotSnapshoting  SnapshotJobState = "SNAPSHOTING"
	SnapshotFinished     SnapshotJobState = "FINISHED"
	SnapshotExpired      SnapshotJobState = "EXPIRED"
	SnapshotDeleted      SnapshotJobState = "DELETED"
	SnapshotError        SnapshotJobState = "ERROR"
)

// SnapshotTypeAutomated is the snapshot_type of automated snapshots.
const SnapshotTypeAutomated = "AUTOMATED"

// MinSnapshotJobHistory is the least number of jobs kept whatever
// max_historical_automated_cluster_snapshot_jobs says (StarRocks' floor).
const MinSnapshotJobHistory = 2

// ErrSnapshotCancelledByOff is the error_message of a job still running
// when automation was turned off.
const ErrSnapshotCancelledByOff = "Job: %s has been cancelled because automated cluster snapshot has been turn off"

// SnapshotJob is one automated cluster snapshot job and the snapshot it
// makes (the snapshot id is the job id, as in StarRocks).
type SnapshotJob struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Type is SnapshotTypeAutomated.
	Type string `json:"type"`
	// Volume is the storage volume the snapshot is written to.
	Volume string           `json:"volume"`
	State  SnapshotJobState `json:"state"`
	// CreatedTime is when the job was created (ms); the name carries it.
	CreatedTime int64 `json:"created_time"`
	// FinishedTime is when it became FINISHED (ms); 0 until then.
	FinishedTime int64 `json:"finished_time,omitempty"`
	// FEJournalID and StarMgrJournalID are the journal ids of the image
	// the snapshot holds, from that image's header; 0 until SNAPSHOTING.
	FEJournalID      uint64 `json:"fe_journal_id,omitempty"`
	StarMgrJournalID uint64 `json:"starmgr_journal_id,omitempty"`
	// DetailInfo says what the job is doing and how far it is.
	DetailInfo string `json:"detail_info,omitempty"`
	// ErrorMessage says why the job is ERROR, or why the deletion of an
	// EXPIRED snapshot's objects has not succeeded yet.
	ErrorMessage string `json:"error_message,omitempty"`
	// Pins are the tablet versions the snapshot's image refers to, set
	// with SNAPSHOTING; garbage collection keeps them while the job is
	// SNAPSHOTING, FINISHED or EXPIRED.
	Pins []SnapshotPin `json:"pins,omitempty"`
	// Bytes is the size of the objects uploaded so far.
	Bytes int64 `json:"bytes,omitempty"`
	// Cleaned is set once the partial objects of an ERROR job are deleted.
	Cleaned bool `json:"cleaned,omitempty"`
}

// SnapshotPin is what one partition must keep for a snapshot: the
// visible version at the snapshot and the versions of the transactions
// COMMITTED but not yet published then (a restored cluster publishes
// them again).
type SnapshotPin struct {
	PartitionID int64   `json:"partition_id"`
	Versions    []int64 `json:"versions"`
}

// Unfinished reports whether the job is still running (INITIALIZING or
// SNAPSHOTING).
func (j *SnapshotJob) Unfinished() bool {
	return j.State == SnapshotInitializing || j.State == SnapshotSnapshoting
}

// pinning reports whether the job's pins protect data now.
func (j *SnapshotJob) pinning() bool {
	return j.State == SnapshotSnapshoting || j.State == SnapshotFinished || j.State == SnapshotExpired
}

// SetAutomatedSnapshotOp turns automated cluster snapshots on (into
// Volume) or off. Turning off expires every FINISHED snapshot and ends any
// job still running in ERROR; the leader then deletes their objects.
type SetAutomatedSnapshotOp struct {
	On     bool   `json:"on"`
	Volume string `json:"volume,omitempty"`
	// Time is when the statement ran on the leader (ms).
	Time int64 `json:"time"`
}

// SnapshotJobOp creates a snapshot job (in INITIALIZING) or records its
// new state, detail and progress; the record replaces the job whole.
type SnapshotJobOp struct {
	Job SnapshotJob `json:"job"`
	// MaxHistory is max_historical_automated_cluster_snapshot_jobs on the
	// leader when it created the job; creating a job trims the oldest
	// DELETED and ERROR jobs beyond it, the same way on every replica.
	MaxHistory int `json:"max_history,omitempty"`
}

// RestoredSnapshotOp records, on a cluster restored from a snapshot, that
// the snapshot it came from is FINISHED: its image necessarily recorded
// its own job as INITIALIZING (the image is taken inside the job). The job
// gets the image's journal ids and the pins of the restored state, so the
// data it refers to stays until a newer snapshot of the restored cluster
// has finished; every other FINISHED snapshot expires, as when any
// snapshot finishes. Name empty means the newest unfinished job (a
// snapshot put into the meta dir by hand without its name).
type RestoredSnapshotOp struct {
	Name             string        `json:"name,omitempty"`
	FEJournalID      uint64        `json:"fe_journal_id"`
	StarMgrJournalID uint64        `json:"starmgr_journal_id"`
	Time             int64         `json:"time"`
	Pins             []SnapshotPin `json:"pins,omitempty"`
}

// RestoredDetail is the detail_info of the job a cluster was restored
// from (StarRocks' text).
const RestoredDetail = "Finished time was reset after cluster restored"

// ReplaceStorageVolumeOp replaces a storage volume by name, keeping its id
// and everything that refers to it by name: type, locations, properties
// and comment become the new ones. A restore applies the volumes of
// cluster_snapshot.yaml with it (a copied bucket, new credentials); tables
// follow, since their paths derive from the volume's location.
type ReplaceStorageVolumeOp struct {
	Volume StorageVolume `json:"volume"`
}

func (*SetAutomatedSnapshotOp) OpType() OpType { return OpSetAutomatedSnapshot }
func (*SnapshotJobOp) OpType() OpType          { return OpSnapshotJob }
func (*RestoredSnapshotOp) OpType() OpType     { return OpRestoredSnapshot }
func (*ReplaceStorageVolumeOp) OpType() OpType { return OpReplaceStorageVolume }

// Errors of ADMIN SET AUTOMATED CLUSTER SNAPSHOT, with StarRocks' texts.

// ErrSnapshotAlreadyOn is ON while automation is on.
func ErrSnapshotAlreadyOn() error { return sqlerr.Generic("Automated snapshot has been turn on") }

// ErrSnapshotNotOn is OFF while automation is off.
func ErrSnapshotNotOn() error { return sqlerr.Generic("Automated snapshot has not been turn on") }

// ErrSnapshotUnknownVolume is ON with a volume that does not exist.
func ErrSnapshotUnknownVolume(name string) error {
	return sqlerr.Generic("Unknown storage volume: %s", name)
}

// snapshotTransitions lists the states a job may move to from each state.
// A record that keeps the state updates detail, progress or clean-up.
var snapshotTransitions = map[SnapshotJobState][]SnapshotJobState{
	SnapshotInitializing: {SnapshotSnapshoting, SnapshotError},
	SnapshotSnapshoting:  {SnapshotSnapshoting, SnapshotFinished, SnapshotError},
	SnapshotFinished:     {SnapshotExpired},
	SnapshotExpired:      {SnapshotExpired, SnapshotDeleted},
	SnapshotError:        {SnapshotError},
	SnapshotDeleted:      nil,
}

func (c *Catalog) checkSnapshot(op Op) error {
	switch o := op.(type) {
	case *RestoredSnapshotOp:
		if c.restoredJob(o.Name) == nil {
			if o.Name == "" {
				return ErrInvalid("the restored image records no unfinished snapshot job")
			}
			return ErrInvalid("the restored image records no snapshot job %s", o.Name)
		}
	case *ReplaceStorageVolumeOp:
		old := c.s.Volumes[o.Volume.Name]
		if old == nil {
			return ErrInvalid("Storage volume '%s' does not exist", o.Volume.Name)
		}
		if o.Volume.ID != old.ID {
			return ErrInvalid("storage volume %s keeps its id %s", o.Volume.Name, old.ID)
		}
	case *SetAutomatedSnapshotOp:
		if !o.On {
			if c.s.AutoSnapshotVolume == "" {
				return ErrSnapshotNotOn()
			}
			return nil
		}
		if c.s.AutoSnapshotVolume != "" {
			return ErrSnapshotAlreadyOn()
		}
		if c.s.Volumes[o.Volume] == nil {
			return ErrSnapshotUnknownVolume(o.Volume)
		}
	case *SnapshotJobOp:
		j := &o.Job
		old := c.s.SnapshotJobs[j.ID]
		if old == nil {
			if j.State != SnapshotInitializing {
				return ErrInvalid("snapshot job %d does not exist", j.ID)
			}
			if c.s.AutoSnapshotVolume == "" {
				return ErrSnapshotNotOn()
			}
			if j.Volume != c.s.AutoSnapshotVolume {
				return ErrInvalid("snapshot job %s writes to storage volume %s, automated snapshots go to %s", j.Name, j.Volume, c.s.AutoSnapshotVolume)
			}
			for _, other := range c.s.SnapshotJobs {
				if other.Unfinished() {
					return ErrInvalid("snapshot job %s is still running", other.Name)
				}
				if other.Name == j.Name {
					return ErrInvalid("snapshot %s already exists", j.Name)
				}
			}
			return nil
		}
		if old.Name != j.Name || old.Volume != j.Volume || old.CreatedTime != j.CreatedTime || old.Type != j.Type {
			return ErrInvalid("snapshot job %d: name, volume, type and created time never change", j.ID)
		}
		if !slices.Contains(snapshotTransitions[old.State], j.State) {
			return ErrInvalid("snapshot job %s cannot go from %s to %s", j.Name, old.State, j.State)
		}
		if old.State == SnapshotSnapshoting && (j.FEJournalID != old.FEJournalID || j.StarMgrJournalID != old.StarMgrJournalID) {
			return ErrInvalid("snapshot job %s: journal ids never change once captured", j.Name)
		}
	}
	return nil
}

func (c *Catalog) applySnapshot(op Op) {
	switch o := op.(type) {
	case *RestoredSnapshotOp:
		target := c.restoredJob(o.Name)
		jobs := maps.Clone(c.s.SnapshotJobs)
		for id, j := range jobs {
			if j.State == SnapshotFinished && id != target.ID {
				nj := *j
				nj.State = SnapshotExpired
				nj.DetailInfo = "replaced by " + target.Name + "; deleting the snapshot's objects"
				jobs[id] = &nj
			}
		}
		nj := *target
		nj.State = SnapshotFinished
		nj.FEJournalID = o.FEJournalID
		nj.StarMgrJournalID = o.StarMgrJournalID
		nj.FinishedTime = o.Time
		nj.DetailInfo = RestoredDetail
		nj.ErrorMessage = ""
		nj.Pins = slices.Clone(o.Pins)
		jobs[nj.ID] = &nj
		c.s.SnapshotJobs = jobs
	case *ReplaceStorageVolumeOp:
		v := o.Volume
		v.Locations = slices.Clone(v.Locations)
		v.Properties = maps.Clone(v.Properties)
		c.s.Volumes[v.Name] = &v
	case *SetAutomatedSnapshotOp:
		if o.On {
			c.s.AutoSnapshotVolume = o.Volume
			c.s.AutoSnapshotOnTime = o.Time
			return
		}
		c.s.AutoSnapshotVolume = ""
		c.s.AutoSnapshotOnTime = 0
		jobs := maps.Clone(c.s.SnapshotJobs)
		for id, j := range jobs {
			switch {
			case j.State == SnapshotFinished:
				nj := *j
				nj.State = SnapshotExpired
				nj.DetailInfo = "automated cluster snapshot turned off; deleting the snapshot's objects"
				jobs[id] = &nj
			case j.Unfinished():
				nj := *j
				nj.State = SnapshotError
				nj.ErrorMessage = fmt.Sprintf(ErrSnapshotCancelledByOff, j.Name)
				nj.Pins = nil
				jobs[id] = &nj
			}
		}
		c.s.SnapshotJobs = jobs
	case *SnapshotJobOp:
		j := o.Job
		j.Pins = slices.Clone(j.Pins)
		jobs := maps.Clone(c.s.SnapshotJobs)
		if jobs == nil {
			jobs = map[int64]*SnapshotJob{}
		}
		_, existed := jobs[j.ID]
		if j.State == SnapshotError || j.State == SnapshotDeleted {
			j.Pins = nil
		}
		jobs[j.ID] = &j
		if !existed {
			trimSnapshotJobs(jobs, o.MaxHistory)
		}
		c.s.SnapshotJobs = jobs
	}
}

// restoredJob finds the job a restore names: by name, or with no name the
// newest unfinished one.
func (c *Catalog) restoredJob(name string) *SnapshotJob {
	var found *SnapshotJob
	for _, j := range c.s.SnapshotJobs {
		switch {
		case name != "" && j.Name == name:
			return j
		case name == "" && j.Unfinished() && (found == nil || j.ID > found.ID):
			found = j
		}
	}
	return found
}

// trimSnapshotJobs removes the oldest DELETED and ERROR jobs while there
// are more than max(maxHistory, MinSnapshotJobHistory) jobs; other jobs
// are never removed.
func trimSnapshotJobs(jobs map[int64]*SnapshotJob, maxHistory int) {
	limit := max(maxHistory, MinSnapshotJobHistory)
	if len(jobs) <= limit {
		return
	}
	ids := slices.Sorted(maps.Keys(jobs))
	for _, id := range ids {
		if len(jobs) <= limit {
			return
		}
		if s := jobs[id].State; s == SnapshotDeleted || s == SnapshotError {
			delete(jobs, id)
		}
	}
}

// AutomatedSnapshotVolume returns the storage volume automated snapshots
// go to, or "" when automation is off.
func (c *Catalog) AutomatedSnapshotVolume() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.AutoSnapshotVolume
}

// AutomatedSnapshotOnTime returns when automation was last turned on (ms),
// or 0 when it is off.
func (c *Catalog) AutomatedSnapshotOnTime() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.s.AutoSnapshotOnTime
}

// SnapshotJobs returns copies of every snapshot job, by id ascending.
func (c *Catalog) SnapshotJobs() []SnapshotJob {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]SnapshotJob, 0, len(c.s.SnapshotJobs))
	for _, id := range slices.Sorted(maps.Keys(c.s.SnapshotJobs)) {
		out = append(out, *c.s.SnapshotJobs[id])
	}
	return out
}

// SnapshotJob returns a copy of job id.
func (c *Catalog) SnapshotJob(id int64) (SnapshotJob, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	j, ok := c.s.SnapshotJobs[id]
	if !ok {
		return SnapshotJob{}, false
	}
	return *j, true
}

// Snapshots returns the snapshots information_schema.cluster_snapshots
// lists: the newest FINISHED one and the EXPIRED ones whose objects are
// not deleted yet, by id ascending.
func (c *Catalog) Snapshots() []SnapshotJob {
	var out []SnapshotJob
	for _, j := range c.SnapshotJobs() {
		if j.State == SnapshotFinished || j.State == SnapshotExpired {
			out = append(out, j)
		}
	}
	return out
}

// SnapshotPins returns what the catalog's current state needs kept in
// object storage, per partition: the visible version and the versions of
// COMMITTED transactions, for every partition of live and recycled tables
// and every recycled partition, by partition id. Run on the catalog read
// from a snapshot's image, it is exactly what that snapshot refers to.
func (c *Catalog) SnapshotPins() []SnapshotPin {
	c.mu.RLock()
	defer c.mu.RUnlock()
	versions := map[int64][]int64{}
	addTable := func(t *Table) {
		for _, p := range t.Partitions {
			versions[p.ID] = append(versions[p.ID], p.VisibleVersion)
		}
	}
	for _, t := range c.s.Tables {
		addTable(t)
	}
	for _, rt := range c.s.RecycledTables {
		addTable(rt.Table)
	}
	for _, rp := range c.s.RecycledPartitions {
		versions[rp.Partition.ID] = append(versions[rp.Partition.ID], rp.Partition.VisibleVersion)
	}
	for id := range c.liveTxns {
		t := c.s.Txns[id]
		if t.State != TxnCommitted {
			continue
		}
		for _, p := range t.Partitions {
			if _, ok := versions[p.PartitionID]; ok {
				versions[p.PartitionID] = append(versions[p.PartitionID], p.Version)
			}
		}
	}
	out := make([]SnapshotPin, 0, len(versions))
	for id, vs := range versions {
		slices.Sort(vs)
		out = append(out, SnapshotPin{PartitionID: id, Versions: slices.Compact(vs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PartitionID < out[j].PartitionID })
	return out
}

// SnapshotGuard is what cluster snapshots forbid garbage collection to
// delete, as of one moment. It is the one place the pin rule lives:
// vacuum, compaction clean-up (a vacuum), recycle-bin purge, DROP ...
// FORCE and TRUNCATE all ask it.
type SnapshotGuard struct {
	// Hold is set while a job is INITIALIZING: its image is being taken
	// and its pins are not journaled yet, so nothing is deleted at all.
	// A job stays INITIALIZING only for its checkpoint; a leader change
	// ends it in ERROR.
	Hold bool
	// Pins are the versions to keep by partition id, from the jobs that
	// are SNAPSHOTING, FINISHED or EXPIRED (until their objects are gone).
	Pins map[int64][]int64
}

// SnapshotGuard returns the guard as of now.
func (c *Catalog) SnapshotGuard() SnapshotGuard {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return snapshotGuard(c.s.SnapshotJobs)
}

func snapshotGuard(jobs map[int64]*SnapshotJob) SnapshotGuard {
	g := SnapshotGuard{}
	for _, j := range jobs {
		if j.State == SnapshotInitializing {
			g.Hold = true
		}
		if !j.pinning() {
			continue
		}
		for _, p := range j.Pins {
			if g.Pins == nil {
				g.Pins = map[int64][]int64{}
			}
			g.Pins[p.PartitionID] = append(g.Pins[p.PartitionID], p.Versions...)
		}
	}
	for id, vs := range g.Pins {
		slices.Sort(vs)
		g.Pins[id] = slices.Compact(vs)
	}
	return g
}

// MayVacuum reports whether vacuum may run now at all.
func (g SnapshotGuard) MayVacuum() bool { return !g.Hold }

// PinnedVersions returns the versions of partitionID that vacuum must keep
// readable, ascending.
func (g SnapshotGuard) PinnedVersions(partitionID int64) []int64 {
	return slices.Clone(g.Pins[partitionID])
}

// MayPurge reports whether the data directory of an erased partition may
// be deleted: not while a snapshot refers to it.
func (g SnapshotGuard) MayPurge(partitionID int64) bool {
	if g.Hold {
		return false
	}
	_, pinned := g.Pins[partitionID]
	return !pinned
}

// PinKey is a string that changes whenever the versions pinned for a
// partition change, so a vacuum can run again once a pin is released.
func (g SnapshotGuard) PinKey(partitionID int64) string {
	vs := g.Pins[partitionID]
	b := make([]byte, 0, 8*len(vs))
	for _, v := range vs {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
	}
	return string(b)
}

// checkVolumeSnapshots refuses to drop a volume that automated snapshots
// write to or whose snapshots still exist.
func (c *Catalog) checkVolumeSnapshots(name string) error {
	if c.s.AutoSnapshotVolume == name {
		return ErrInvalid("Storage volume '%s' is used by automated cluster snapshots and can not be removed; run ADMIN SET AUTOMATED CLUSTER SNAPSHOT OFF first", name)
	}
	for _, j := range c.s.SnapshotJobs {
		if j.Volume == name && (j.pinning() || j.Unfinished()) {
			return ErrInvalid("Storage volume '%s' still holds cluster snapshot %s (%s) and can not be removed", name, j.Name, j.State)
		}
	}
	return nil
}

// NextAutomatedSnapshotTime is when the next automated snapshot is due
// (ms): interval after the later of the moment automation was turned on
// and the creation of the newest job; 0 while automation is off. The
// leader's scheduler and ADMIN SHOW AUTOMATED CLUSTER SNAPSHOT both use it,
// so what is shown is what happens.
func (c *Catalog) NextAutomatedSnapshotTime(intervalMs int64) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.s.AutoSnapshotVolume == "" {
		return 0
	}
	last := c.s.AutoSnapshotOnTime
	for _, j := range c.s.SnapshotJobs {
		last = max(last, j.CreatedTime)
	}
	return last + intervalMs
}

// LastAutomatedSnapshotTime is the creation time (ms) of the newest
// FINISHED snapshot, or 0 when there is none.
func (c *Catalog) LastAutomatedSnapshotTime() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var last int64
	for _, j := range c.s.SnapshotJobs {
		if j.State == SnapshotFinished {
			last = max(last, j.CreatedTime)
		}
	}
	return last
}
