package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/meta"
	"github.com/minirocks/minirocks/fe/snapshot"
	"github.com/minirocks/minirocks/lake"
	"github.com/minirocks/minirocks/volume"
	"github.com/minirocks/minirocks/volume/layout"
)

// Store is what a check reads of a storage-volume location
// (volume.Store). Keys are relative to the location.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	List(ctx context.Context, prefix string) ([]volume.ObjectInfo, error)
	// Location is s3://bucket/prefix.
	Location() string
}

// Report is the outcome of a check.
type Report struct {
	Location  string `json:"location"`
	ServiceID string `json:"service_id"`
	Snapshot  string `json:"snapshot"`
	// FEJournalID and StarMgrJournalID are the manifest's.
	FEJournalID      uint64 `json:"fe_journal_id"`
	StarMgrJournalID uint64 `json:"starmgr_journal_id"`
	// Files is how many files of the manifest were checked.
	Files int `json:"files"`
	Counts
	// Skipped names partitions whose table lives on another storage volume
	// than the snapshot's location; they were not checked.
	Skipped []string `json:"skipped,omitempty"`
	// Missing lists every missing or damaged object, keys relative to the
	// location.
	Missing []Problem `json:"missing,omitempty"`
	// FilesSeconds is how long reading (and checking) the snapshot's own
	// files took; DataSeconds how long looking for the table data took.
	FilesSeconds float64 `json:"files_seconds"`
	DataSeconds  float64 `json:"data_seconds"`
}

// Complete reports whether nothing a restore needs is missing.
func (r *Report) Complete() bool { return len(r.Missing) == 0 }

// FindServiceID returns the one service id under the location that holds
// cluster snapshots: the <service_id> of <service_id>/meta/image/<name>/
// keys with name an automated snapshot's. None or several is an error that
// names them. It lists the whole location.
func FindServiceID(ctx context.Context, st Store) (string, error) {
	objs, err := st.List(ctx, "")
	if err != nil {
		return "", fmt.Errorf("list %s: %w", st.Location(), err)
	}
	var ids []string
	for _, o := range objs {
		svc, rest, ok := strings.Cut(o.Key, "/")
		if !ok {
			continue
		}
		dir, _, ok := strings.Cut(strings.TrimPrefix(rest, "meta/image/"), "/")
		if ok && strings.HasPrefix(rest, "meta/image/") && snapshot.ValidSnapshotName(dir) && !slices.Contains(ids, svc) {
			ids = append(ids, svc)
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no cluster snapshot under %s (no <service_id>/meta/image/%s<ms>/)", st.Location(), layout.SnapshotPrefix)
	case 1:
		return ids[0], nil
	}
	slices.Sort(ids)
	return "", fmt.Errorf("%s holds the snapshots of several services (%s); choose one with --service-id", st.Location(), strings.Join(ids, ", "))
}

// snapshotNames returns the names of the snapshot directories of a
// service, newest first.
func snapshotNames(ctx context.Context, st Store, serviceID string) ([]string, error) {
	dir := layout.SnapshotsDir(serviceID)
	objs, err := st.List(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var names []string
	for _, o := range objs {
		name, _, ok := strings.Cut(strings.TrimPrefix(o.Key, dir), "/")
		if ok && snapshot.ValidSnapshotName(name) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	ms := func(n string) int64 {
		v, _ := strconv.ParseInt(strings.TrimPrefix(n, layout.SnapshotPrefix), 10, 64)
		return v
	}
	sort.Slice(names, func(i, j int) bool { return ms(names[i]) > ms(names[j]) })
	return names, nil
}

// readManifest reads and parses the manifest of snapshot name.
func readManifest(ctx context.Context, st Store, serviceID, name string) (*snapshot.Manifest, error) {
	key := layout.SnapshotDir(serviceID, name) + layout.SnapshotManifest
	b, err := st.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: read manifest: %w", name, err)
	}
	return snapshot.ParseManifest(name, b)
}

// Verify checks snapshot name of serviceID in st (the newest snapshot with
// a valid manifest when name is empty): every file of the manifest by size
// and SHA-256, then the image is loaded and every object of table data it
// refers to is looked for. Missing or damaged objects are in the report;
// an error means the check could not be made (no snapshot, no valid
// manifest, object storage unreachable). tmpDir holds the downloaded image
// while it is read ("" for the system's).
func Verify(ctx context.Context, st Store, serviceID, name, tmpDir string) (*Report, error) {
	return verify(ctx, st, serviceID, name, tmpDir, "")
}

// Fetch is Verify that also keeps the snapshot: every file of the
// manifest, checked, is written (and fsynced) into dstDir under its name.
// A restore downloads a snapshot with it; what it fetched is usable only
// when the report is Complete.
func Fetch(ctx context.Context, st Store, serviceID, name, dstDir string) (*Report, error) {
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot download dir: %w", err)
	}
	return verify(ctx, st, serviceID, name, "", dstDir)
}

// SnapshotNames returns the names of the snapshot directories of a
// service under st, newest first (whether or not they are complete).
func SnapshotNames(ctx context.Context, st Store, serviceID string) ([]string, error) {
	return snapshotNames(ctx, st, serviceID)
}

// SnapshotDamaged reports whether a problem is in the snapshot's own
// files (manifest, image, VERSION, ROLE) rather than in the table data it
// refers to: such a snapshot is incomplete, and a restore does not use it.
func (r *Report) SnapshotDamaged() bool {
	dir := layout.SnapshotDir(r.ServiceID, r.Snapshot)
	for _, p := range r.Missing {
		if strings.HasPrefix(p.Object, dir) {
			return true
		}
	}
	return false
}

func verify(ctx context.Context, st Store, serviceID, name, tmpDir, keepDir string) (*Report, error) {
	var m *snapshot.Manifest
	if name == "" {
		names, err := snapshotNames(ctx, st, serviceID)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, n := range names {
			mm, err := readManifest(ctx, st, serviceID, n)
			if err == nil {
				m = mm
				break
			}
			errs = append(errs, err)
		}
		if m == nil {
			return nil, fmt.Errorf("no snapshot with a valid manifest under %s/%s: %w", st.Location(), layout.SnapshotsDir(serviceID), errors.Join(errs...))
		}
	} else {
		if !snapshot.ValidSnapshotName(name) {
			return nil, fmt.Errorf("%q is not a cluster snapshot name (%s<ms>)", name, layout.SnapshotPrefix)
		}
		var err error
		if m, err = readManifest(ctx, st, serviceID, name); err != nil {
			return nil, err
		}
	}
	r := &Report{Location: st.Location(), ServiceID: serviceID, Snapshot: m.SnapshotName,
		FEJournalID: m.FEJournalID, StarMgrJournalID: m.StarMgrJournalID}
	dir := layout.SnapshotDir(serviceID, m.SnapshotName)
	if m.ServiceID != "" && m.ServiceID != serviceID {
		r.Missing = append(r.Missing, Problem{Object: dir + layout.SnapshotManifest,
			Reason: fmt.Sprintf("manifest names service %s, the snapshot is under service %s", m.ServiceID, serviceID)})
	}
	tmp := keepDir
	if tmp == "" {
		var err error
		if tmp, err = os.MkdirTemp(tmpDir, "snapshot-check-"); err != nil {
			return nil, fmt.Errorf("temp dir for the image: %w", err)
		}
		defer os.RemoveAll(tmp)
	}
	imagePath := filepath.Join(tmp, m.Image)
	imageOK := false
	filesStart := time.Now()
	for _, f := range m.Files {
		r.Files++
		var dst io.Writer = io.Discard
		var file *os.File
		path := filepath.Join(tmp, f.Name)
		if f.Name == m.Image || keepDir != "" {
			var err error
			if file, err = os.Create(path); err != nil {
				return nil, fmt.Errorf("create %s: %w", path, err)
			}
			dst = file
		}
		err := checkObject(ctx, st, dir+f.Name, f, dst)
		if file != nil {
			if err == nil && keepDir != "" {
				err = file.Sync()
			}
			if cerr := file.Close(); err == nil && cerr != nil {
				return nil, fmt.Errorf("write %s: %w", path, cerr)
			}
		}
		if err != nil {
			if !isObjectProblem(err) {
				return nil, err
			}
			r.Missing = append(r.Missing, Problem{Object: dir + f.Name, Reason: err.Error()})
			continue
		}
		imageOK = imageOK || f.Name == m.Image
	}
	r.FilesSeconds = time.Since(filesStart).Seconds()
	if !imageOK {
		return r, nil
	}
	dataStart := time.Now()
	defer func() { r.DataSeconds = time.Since(dataStart).Seconds() }()
	state, h, err := meta.LoadImage(imagePath)
	if err != nil {
		r.Missing = append(r.Missing, Problem{Object: dir + m.Image, Reason: "image cannot be loaded: " + err.Error()})
		return r, nil
	}
	if h.FEJournalID != m.FEJournalID || meta.StarMgrJournalID(h) != m.StarMgrJournalID {
		r.Missing = append(r.Missing, Problem{Object: dir + m.Image, Reason: fmt.Sprintf(
			"image holds journal ids fe %d, starmgr %d; the manifest says fe %d, starmgr %d",
			h.FEJournalID, meta.StarMgrJournalID(h), m.FEJournalID, m.StarMgrJournalID)})
	}
	cat := state.Catalog
	for _, p := range Partitions(cat) {
		if !sameLocation(cat.StorageVolume(p.Volume), p.Volume, m.StorageVolume, st.Location()) {
			r.Skipped = append(r.Skipped, fmt.Sprintf("partition %d (table %d) is on storage volume %s", p.ID, p.TableID, p.Volume))
			continue
		}
		probs, c, err := checkPartition(ctx, st, serviceID, p)
		if err != nil {
			return nil, err
		}
		r.Counts.add(c)
		r.Missing = append(r.Missing, probs...)
	}
	return r, nil
}

// sameLocation reports whether a table's volume is at the snapshot's
// location: the snapshot's own volume, or one whose first location is it.
func sameLocation(v *catalog.StorageVolume, name, snapVolume, location string) bool {
	if name == snapVolume {
		return true
	}
	if v == nil || len(v.Locations) == 0 {
		return false
	}
	return strings.TrimRight(v.Locations[0], "/") == strings.TrimRight(location, "/")
}

// checkPartition lists one partition directory, reads what Check needs and
// returns its problems with keys relative to the location.
func checkPartition(ctx context.Context, st Store, serviceID string, p Partition) ([]Problem, Counts, error) {
	prefix := layout.Key(serviceID, p.Dir(), "")
	objs, err := st.List(ctx, prefix)
	if err != nil {
		return nil, Counts{}, fmt.Errorf("list %s: %w", prefix, err)
	}
	listing := make(map[string]int64, len(objs))
	for _, o := range objs {
		listing[strings.TrimPrefix(o.Key, prefix)] = o.Size
	}
	metas := map[string]*lake.TabletMeta{}
	logs := map[string]*lake.TxnLog{}
	unreadable := map[string]error{} // why a key could not be read
	for _, k := range ToRead(p, listing) {
		b, err := st.Get(ctx, prefix+k)
		if err != nil {
			if !isObjectProblem(err) {
				return nil, Counts{}, err
			}
			unreadable[k] = err
			continue
		}
		if kind, _, _, _ := layout.ParseKey(k); kind == layout.KindLog {
			if logs[k], err = lake.DecodeTxnLog(prefix+k, b); err != nil {
				delete(logs, k)
				unreadable[k] = err
			}
			continue
		}
		if metas[k], err = lake.DecodeMeta(prefix+k, b); err != nil {
			delete(metas, k)
			unreadable[k] = err
		}
	}
	probs, c := Check(p, listing, metas, logs)
	for i := range probs {
		if err := unreadable[probs[i].Object]; err != nil {
			probs[i].Reason += ": " + err.Error()
		}
		probs[i].Object = prefix + probs[i].Object
		probs[i].Reason += fmt.Sprintf(" (table %s, partition %s, id %d)", p.Table, p.Name, p.ID)
	}
	return probs, c, nil
}

// checkObject streams key through the manifest entry's size and SHA-256
// check, copying it to dst.
func checkObject(ctx context.Context, st Store, key string, f snapshot.ManifestFile, dst io.Writer) error {
	rc, _, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	return snapshot.CheckFile(io.TeeReader(rc, dst), f)
}

// isObjectProblem tells an object that is missing or damaged (a finding)
// from a failure to reach the object storage (the check cannot go on).
func isObjectProblem(err error) bool {
	return !errors.Is(err, volume.ErrUnreachable) && !errors.Is(err, volume.ErrAccessDenied) &&
		!errors.Is(err, volume.ErrBucketNotFound) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
