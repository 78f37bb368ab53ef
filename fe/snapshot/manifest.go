package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/minirocks/minirocks/volume/layout"
)

// ManifestFormatVersion is the FormatVersion of manifests written now.
const ManifestFormatVersion = 1

// Manifest is the last object written into a snapshot directory
// (layout.SnapshotManifest). It names the snapshot, its journal ids and
// every other object of the directory with its size and SHA-256, so that a
// reader can tell a complete snapshot from a partial upload and detect a
// damaged object. Its presence, parsed and matching the directory's name,
// is what makes a directory a snapshot.
type Manifest struct {
	FormatVersion    int    `json:"format_version"`
	SnapshotName     string `json:"snapshot_name"`
	SnapshotType     string `json:"snapshot_type"`
	StorageVolume    string `json:"storage_volume"`
	ClusterID        string `json:"cluster_id"`
	ServiceID        string `json:"service_id"`
	JobID            int64  `json:"job_id"`
	CreatedTime      int64  `json:"created_time"` // ms
	FEJournalID      uint64 `json:"fe_journal_id"`
	StarMgrJournalID uint64 `json:"starmgr_journal_id"`
	// Image is the name of the image file among Files ("image.<fe journal id>").
	Image string         `json:"image"`
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one object of a snapshot directory, by its name relative
// to the directory.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

var snapshotNameRE = regexp.MustCompile(`^` + layout.SnapshotPrefix + `[0-9]+$`)

// ValidSnapshotName reports whether name is an automated snapshot's name.
func ValidSnapshotName(name string) bool { return snapshotNameRE.MatchString(name) }

// ParseManifest decodes and checks a manifest read from the directory
// named dirName: the names agree, the image is listed, no file name leaves
// the directory.
func ParseManifest(dirName string, b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("snapshot %s: manifest %s is not valid JSON: %w", dirName, layout.SnapshotManifest, err)
	}
	if m.FormatVersion < 1 || m.FormatVersion > ManifestFormatVersion {
		return nil, fmt.Errorf("snapshot %s: manifest format version %d is not supported (this build reads 1..%d)", dirName, m.FormatVersion, ManifestFormatVersion)
	}
	if m.SnapshotName != dirName {
		return nil, fmt.Errorf("snapshot %s: manifest names snapshot %q", dirName, m.SnapshotName)
	}
	if m.FEJournalID == 0 || m.Image == "" {
		return nil, fmt.Errorf("snapshot %s: manifest names no image", dirName)
	}
	image := false
	for _, f := range m.Files {
		if f.Name == "" || f.Name != path.Clean(f.Name) || strings.HasPrefix(f.Name, "/") || strings.HasPrefix(f.Name, "..") || f.Name == layout.SnapshotManifest {
			return nil, fmt.Errorf("snapshot %s: manifest lists a bad file name %q", dirName, f.Name)
		}
		if len(f.SHA256) != sha256.Size*2 || f.Size < 0 {
			return nil, fmt.Errorf("snapshot %s: manifest entry %s has no valid size and sha256", dirName, f.Name)
		}
		image = image || f.Name == m.Image
	}
	if !image {
		return nil, fmt.Errorf("snapshot %s: manifest does not list its image %s", dirName, m.Image)
	}
	return &m, nil
}

// File returns the manifest entry called name.
func (m *Manifest) File(name string) (ManifestFile, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return ManifestFile{}, false
}

// Digest counts and hashes what is written through it, to fill a
// ManifestFile or to check one.
type Digest struct {
	h hash.Hash
	n int64
}

// NewDigest returns an empty Digest.
func NewDigest() *Digest { return &Digest{h: sha256.New()} }

// Write implements io.Writer.
func (d *Digest) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return d.h.Write(p)
}

// File returns the entry for name with the size and hash written so far.
func (d *Digest) File(name string) ManifestFile {
	return ManifestFile{Name: name, Size: d.n, SHA256: hex.EncodeToString(d.h.Sum(nil))}
}

// CheckFile reads r to the end and compares its size and SHA-256 with want.
func CheckFile(r io.Reader, want ManifestFile) error {
	d := NewDigest()
	if _, err := io.Copy(d, r); err != nil {
		return fmt.Errorf("read %s: %w", want.Name, err)
	}
	got := d.File(want.Name)
	if got.Size != want.Size {
		return fmt.Errorf("%s is %d bytes, the manifest says %d", want.Name, got.Size, want.Size)
	}
	if got.SHA256 != want.SHA256 {
		return fmt.Errorf("%s has sha256 %s, the manifest says %s", want.Name, got.SHA256, want.SHA256)
	}
	return nil
}
