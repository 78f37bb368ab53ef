package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/snapshot/check"
	"github.com/minirocks/minirocks/volume"
)

// MarkerFile is the file in the meta dir that records a restore: what is
// restored, and whether it finished. A meta dir holding an unfinished one
// is restored again from the start; a finished one means the FE starts
// normally even with --cluster_snapshot still given.
const MarkerFile = "cluster_snapshot_restore.json"

// Marker states.
const (
	stateDownloading = "downloading"
	stateRestoring   = "restoring"
	stateFinished    = "finished"
)

// marker is the content of MarkerFile.
type marker struct {
	State string `json:"state"`
	// Path is cluster_snapshot_path as the yaml gave it ("" in manual mode).
	Path             string `json:"cluster_snapshot_path,omitempty"`
	Snapshot         string `json:"snapshot,omitempty"`
	FEJournalID      uint64 `json:"fe_journal_id,omitempty"`
	StarMgrJournalID uint64 `json:"starmgr_journal_id,omitempty"`
	Started          string `json:"started"`
	Finished         string `json:"finished,omitempty"`
}

// Options say how to prepare a restore.
type Options struct {
	// ConfPath is fe/conf/cluster_snapshot.yaml.
	ConfPath string
	// MetaDir is meta_dir (locked by the caller).
	MetaDir string
	// Reason names what asked for the restore, for the log
	// ("--cluster_snapshot" or "RESTORE_CLUSTER_SNAPSHOT=true").
	Reason string
	// Name returns this FE's name (its journal node id), once the meta dir
	// has been cleared: a restored leader is a new node.
	Name func() (string, error)
	// Advertise is this FE's host:edit_log_port.
	Advertise string
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Plan is what Prepare found and did; Finish completes it once the FE
// leads.
type Plan struct {
	// Done: the meta dir holds this restore, finished before: the FE
	// starts normally and Finish does nothing.
	Done   bool
	Config *Config
	// Snapshot is the name of the snapshot restored ("" when a manual
	// restore's image did not say).
	Snapshot         string
	FEJournalID      uint64
	StarMgrJournalID uint64
	metaDir          string
	path             string
	started          string
}

// Prepare runs before the journal opens, when the FE was started with
// --cluster_snapshot or RESTORE_CLUSTER_SNAPSHOT=true. It reads the yaml,
// applies the meta dir rules, picks a complete snapshot, downloads and
// checks it (every file by checksum, every data object its image refers
// to) and installs its image as the start of a brand-new one-member
// journal. Nothing in the meta dir changes before every check passed.
func Prepare(ctx context.Context, o Options) (*Plan, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	cfg, err := LoadConfig(o.ConfPath)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckRestorable(); err != nil {
		return nil, err
	}
	for i, f := range cfg.Frontends {
		if fmt.Sprintf("%s:%d", f.Host, f.EditLogPort) == o.Advertise {
			return nil, fmt.Errorf("%s:%d: frontends[%d]: %s:%d is this FE, the restored leader; list only the other FEs", cfg.Path, f.Line, i, f.Host, f.EditLogPort)
		}
	}
	path := ""
	if cfg.ClusterSnapshot != nil {
		path = cfg.ClusterSnapshot.ClusterSnapshotPath
	}
	mk, err := readMarker(o.MetaDir)
	if err != nil {
		return nil, err
	}
	switch {
	case mk != nil && mk.State == stateFinished && mk.Path == path:
		log.Info("the restore from this cluster snapshot was done before; starting normally",
			"snapshot", mk.Snapshot, "fe_journal_id", mk.FEJournalID, "starmgr_journal_id", mk.StarMgrJournalID,
			"finished", mk.Finished, "reason", o.Reason)
		return &Plan{Done: true, Config: cfg, Snapshot: mk.Snapshot, FEJournalID: mk.FEJournalID, StarMgrJournalID: mk.StarMgrJournalID,
			metaDir: o.MetaDir}, nil
	case mk != nil && mk.State == stateFinished:
		return nil, fmt.Errorf("meta dir %s holds a cluster restored from %s, not from %s; it is not restored again. "+
			"Start without --cluster_snapshot (and RESTORE_CLUSTER_SNAPSHOT) to run that cluster, or move the directory away to restore", o.MetaDir, orManual(mk.Path), orManual(path))
	case mk != nil:
		log.Warn("an earlier restore did not finish; restoring again from the start", "state", mk.State, "snapshot", mk.Snapshot)
	default:
		has, err := journal.HasState(o.MetaDir)
		if err != nil {
			return nil, err
		}
		if has && (cfg.ClusterSnapshot != nil || hasJournalLog(o.MetaDir)) {
			return nil, fmt.Errorf("meta dir %s already holds a cluster (its journal or images); a restore starts from an empty meta dir. "+
				"To start this FE normally, start it without --cluster_snapshot and without RESTORE_CLUSTER_SNAPSHOT=true; "+
				"to restore, move the directory away first (docs/restore.md)", o.MetaDir)
		}
	}
	log.Info("FE start to restore from a cluster snapshot ("+o.Reason+")", "cluster_snapshot_path", orManual(path))

	started := now().UTC().Format(time.RFC3339)
	staging := filepath.Join(o.MetaDir, "cluster_snapshot_download")
	plan := &Plan{Config: cfg, metaDir: o.MetaDir, path: path, started: started}
	var imagePath, versionPath string
	if cfg.ClusterSnapshot != nil {
		// Download and check everything before the meta dir changes.
		if err := os.RemoveAll(staging); err != nil {
			return nil, fmt.Errorf("clear %s: %w", staging, err)
		}
		r, err := download(ctx, cfg, staging, log)
		if err != nil {
			os.RemoveAll(staging)
			return nil, err
		}
		plan.Snapshot, plan.FEJournalID, plan.StarMgrJournalID = r.Snapshot, r.FEJournalID, r.StarMgrJournalID
		imagePath = filepath.Join(staging, fmt.Sprintf("image.%d", r.FEJournalID))
		versionPath = filepath.Join(staging, "VERSION")
	} else {
		// Manual mode: the snapshot's files were put into meta/image/ by
		// hand. They are set aside first (and found there again if this
		// restore is interrupted and started again).
		staging = filepath.Join(o.MetaDir, "cluster_snapshot_manual")
		imagePath, versionPath, err = manualImage(o.MetaDir, staging)
		if err != nil {
			return nil, err
		}
		if filepath.Dir(imagePath) != staging {
			if err := os.MkdirAll(staging, 0o755); err != nil {
				return nil, err
			}
			for _, p := range []*string{&imagePath, &versionPath} {
				dst := filepath.Join(staging, filepath.Base(*p))
				if err := os.Rename(*p, dst); err != nil {
					return nil, fmt.Errorf("set %s aside: %w", *p, err)
				}
				*p = dst
			}
		}
	}
	if err := checkImage(cfg, imagePath, plan); err != nil {
		if cfg.ClusterSnapshot != nil {
			os.RemoveAll(staging) // downloaded: a refused restore leaves nothing behind
		}
		return nil, err
	}

	// From here on the meta dir changes; the marker says so first.
	if err := writeMarker(o.MetaDir, marker{State: stateDownloading, Path: path, Snapshot: plan.Snapshot, Started: started}); err != nil {
		return nil, err
	}
	if err := clearMetaDir(o.MetaDir); err != nil {
		return nil, err
	}
	name, err := o.Name()
	if err != nil {
		return nil, err
	}
	h, err := journal.InstallImage(o.MetaDir, imagePath, name, o.Advertise, nil)
	if err != nil {
		return nil, err
	}
	version, err := os.ReadFile(versionPath)
	if err != nil {
		return nil, fmt.Errorf("read the snapshot's VERSION: %w", err)
	}
	if err := writeFileSync(filepath.Join(o.MetaDir, "image", "VERSION"), version); err != nil {
		return nil, err
	}
	plan.FEJournalID, plan.StarMgrJournalID = h.FEJournalID, meta.StarMgrJournalID(h)
	if err := writeMarker(o.MetaDir, marker{State: stateRestoring, Path: path, Snapshot: plan.Snapshot,
		FEJournalID: plan.FEJournalID, StarMgrJournalID: plan.StarMgrJournalID, Started: started}); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(staging); err != nil {
		return nil, err
	}
	log.Info("cluster snapshot installed as a new journal; this FE leads a new one-member group",
		"snapshot", orManual(plan.Snapshot), "fe_journal_id", plan.FEJournalID, "starmgr_journal_id", plan.StarMgrJournalID)
	return plan, nil
}

// download picks the snapshot the yaml names (or the newest complete one
// under its meta dir) and fetches it into dir, checking every file and
// every data object.
func download(ctx context.Context, cfg *Config, dir string, log *slog.Logger) (*check.Report, error) {
	location, serviceID, name, err := cfg.SnapshotLocation()
	if err != nil {
		return nil, err
	}
	v := cfg.Volume(cfg.ClusterSnapshot.StorageVolumeName)
	// The snapshot's table data is under the same location as the
	// snapshot, and that is where it is checked; the restored cluster
	// reads it from the volume's location the yaml gives.
	if v.Location != strings.TrimRight(location, "/") {
		return nil, fmt.Errorf("%s:%d: storage_volumes: storage volume %s is given location %s, but cluster_snapshot_path is under %s, where the snapshot's table data is; the restored cluster would read its tables from %s, where they are not",
			cfg.Path, v.Line, v.Name, v.Location, strings.TrimRight(location, "/"), v.Location)
	}
	st, err := volume.Open(ctx, location, v.Properties)
	if err != nil {
		return nil, fmt.Errorf("open %s with storage volume %s of %s: %w", location, v.Name, cfg.Path, err)
	}
	defer st.Close()
	candidates := []string{name}
	if name == "" {
		names, err := check.SnapshotNames(ctx, st, serviceID)
		if err != nil {
			return nil, fmt.Errorf("list cluster snapshots: %w", err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("No cluster snapshot found in path %s", strings.TrimRight(cfg.ClusterSnapshot.ClusterSnapshotPath, "/")+"/image/automated_cluster_snapshot_*")
		}
		candidates = names
	}
	var skipped []string
	for _, n := range candidates {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		log.Info("downloading and checking cluster snapshot", "snapshot", n, "location", location)
		r, err := check.Fetch(ctx, st, serviceID, n, dir)
		if err != nil {
			if name != "" || errors.Is(err, volume.ErrUnreachable) || errors.Is(err, volume.ErrAccessDenied) || errors.Is(err, volume.ErrBucketNotFound) {
				return nil, fmt.Errorf("cluster snapshot %s is not complete or cannot be read: %w", n, err)
			}
			skipped = append(skipped, fmt.Sprintf("%s (%v)", n, err))
			continue
		}
		if r.SnapshotDamaged() {
			if name != "" {
				return nil, fmt.Errorf("cluster snapshot %s is not complete: %s", n, problems(r))
			}
			skipped = append(skipped, fmt.Sprintf("%s (%s)", n, problems(r)))
			continue
		}
		if !r.Complete() {
			return nil, fmt.Errorf("cluster snapshot %s refers to table data that is missing from %s; it cannot be restored: %s", n, location, problems(r))
		}
		for _, s := range skipped {
			log.Warn("skipped an incomplete cluster snapshot", "snapshot", s)
		}
		log.Info("cluster snapshot downloaded and checked", "snapshot", n, "files", r.Files,
			"partitions", r.Partitions, "tablets", r.Tablets, "segments", r.Segments,
			"download_seconds", r.FilesSeconds, "verify_seconds", r.DataSeconds)
		return r, nil
	}
	return nil, fmt.Errorf("No complete cluster snapshot found in path %s: %s", cfg.ClusterSnapshot.ClusterSnapshotPath, strings.Join(skipped, "; "))
}

// problems lists a report's findings, at most ten.
func problems(r *check.Report) string {
	var out []string
	for i, p := range r.Missing {
		if i == 10 {
			out = append(out, fmt.Sprintf("and %d more", len(r.Missing)-10))
			break
		}
		out = append(out, p.Object+": "+p.Reason)
	}
	return strings.Join(out, "; ")
}

// checkImage loads the image and checks what the yaml says against it:
// every volume the yaml lists exists in the snapshot, and no table of the
// snapshot is on an HDFS volume.
func checkImage(cfg *Config, imagePath string, plan *Plan) error {
	st, h, err := meta.LoadImage(imagePath)
	if err != nil {
		return fmt.Errorf("the snapshot's image: %w", err)
	}
	cat := st.Catalog
	for _, v := range cfg.StorageVolumes {
		if cat.StorageVolume(v.Name) == nil {
			return fmt.Errorf("%s:%d: storage_volumes: Storage volume '%s' does not exist in the cluster snapshot", cfg.Path, v.Line, v.Name)
		}
	}
	for _, v := range cat.StorageVolumes() {
		if !strings.EqualFold(v.Type, "S3") && cfg.Volume(v.Name) == nil {
			return fmt.Errorf("the cluster snapshot has storage volume %s of type %s; restoring onto %s volumes is not supported", v.Name, v.Type, v.Type)
		}
	}
	if plan.Snapshot == "" {
		// Manual mode: the newest unfinished job is the snapshot's own.
		for _, j := range cat.SnapshotJobs() {
			if j.Unfinished() {
				plan.Snapshot = j.Name
			}
		}
	}
	plan.FEJournalID, plan.StarMgrJournalID = h.FEJournalID, meta.StarMgrJournalID(h)
	return nil
}

// manualImage finds the image and VERSION put into meta/image/ by hand,
// or set aside into staging by an interrupted restore.
func manualImage(metaDir, staging string) (image, version string, err error) {
	infos, err := journal.ListImages(metaDir)
	if err != nil {
		return "", "", err
	}
	if len(infos) == 0 {
		if set, _ := filepath.Glob(filepath.Join(staging, "image.*")); len(set) == 1 {
			return set[0], filepath.Join(staging, "VERSION"), nil
		}
		return "", "", fmt.Errorf("cluster_snapshot.yaml has no cluster_snapshot section, so the snapshot is expected in %s (image.<id> and VERSION copied there by hand), and there is no image", filepath.Join(metaDir, "image"))
	}
	if len(infos) > 1 {
		return "", "", fmt.Errorf("%s holds %d images; a manual restore takes exactly one snapshot's image", filepath.Join(metaDir, "image"), len(infos))
	}
	version = filepath.Join(metaDir, "image", "VERSION")
	if _, err := os.Stat(version); err != nil {
		return "", "", fmt.Errorf("a manual restore needs the snapshot's VERSION next to its image: %w", err)
	}
	return infos[0].Path, version, nil
}

// hasJournalLog reports whether the meta dir holds a raft log.
func hasJournalLog(metaDir string) bool {
	_, err := os.Stat(filepath.Join(metaDir, "bdb"))
	return err == nil
}

// clearMetaDir removes the journal and the images (the lock and the
// marker stay).
func clearMetaDir(metaDir string) error {
	for _, d := range []string{"bdb", "image"} {
		if err := os.RemoveAll(filepath.Join(metaDir, d)); err != nil {
			return fmt.Errorf("clear meta dir: %w", err)
		}
	}
	return os.MkdirAll(filepath.Join(metaDir, "image"), 0o755)
}

func readMarker(metaDir string) (*marker, error) {
	b, err := os.ReadFile(filepath.Join(metaDir, MarkerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		// A torn marker is an unfinished restore.
		return &marker{State: stateDownloading}, nil
	}
	return &m, nil
}

func writeMarker(metaDir string, m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(metaDir, MarkerFile), append(b, '\n'))
}

// writeFileSync writes a file through a temp file, fsynced and renamed.
func writeFileSync(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func orManual(path string) string {
	if path == "" {
		return "the files in meta/image (manual mode)"
	}
	return path
}

// Restoring reports whether the meta dir holds a restore that has not
// finished: GET /api/v2/get_cluster_snapshot_restore_state answers
// "restoring" then.
func Restoring(metaDir string) bool {
	m, _ := readMarker(metaDir)
	return m != nil && m.State != stateFinished
}

// markFinished records that the restore finished.
func (p *Plan) markFinished(now time.Time) error {
	return writeMarker(p.metaDir, marker{State: stateFinished, Path: p.path, Snapshot: p.Snapshot,
		FEJournalID: p.FEJournalID, StarMgrJournalID: p.StarMgrJournalID, Started: p.started,
		Finished: now.UTC().Format(time.RFC3339)})
}

var _ = catalog.SnapshotTypeAutomated
