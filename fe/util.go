package fe

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/fe/sqlerr"
	"github.com/minirocks/minirocks/volume"
)

// BuiltinVolume is the name of the storage volume made from fe.conf.
const BuiltinVolume = "builtin_storage_volume"

// BuiltinVolumeFromConfig builds builtin_storage_volume from the aws_s3_*
// keys of fe.conf: aws_s3_path "bucket/prefix" becomes the location
// s3://bucket/prefix. The id is left for the caller to fill.
func BuiltinVolumeFromConfig(cfg *conf.Config) catalog.StorageVolume {
	props := map[string]string{
		volume.PropEndpoint:        cfg.Get(KeyS3Endpoint),
		volume.PropRegion:          cfg.Get(KeyS3Region),
		volume.PropUseDefault:      cfg.Get(KeyS3DefaultBehavior),
		volume.PropInstanceProfile: cfg.Get(KeyS3InstanceProfile),
	}
	if cfg.Bool(KeyS3PathStyle) {
		props[volume.PropPathStyle] = "true"
	}
	if ak := cfg.Get(KeyS3AccessKey); ak != "" {
		props[volume.PropAccessKey] = ak
		props[volume.PropSecretKey] = cfg.Get(KeyS3SecretKey)
	}
	path := strings.Trim(strings.TrimPrefix(cfg.Get(KeyS3Path), "s3://"), "/")
	return catalog.StorageVolume{
		Name:       BuiltinVolume,
		Type:       "S3",
		Locations:  []string{"s3://" + path},
		Properties: props,
		Enabled:    true,
	}
}

func newUUID() string { return uuid.NewString() }

// newClusterID makes a StarRocks-style cluster id: a random positive int32.
func newClusterID() string {
	return strconv.FormatInt(int64(rand.Int32N(math.MaxInt32-1)+1), 10)
}

// frontendName makes StarRocks' FE name: host_editlogport_createtimems.
func frontendName(host string, editLogPort int) string {
	return fmt.Sprintf("%s_%d_%d", host, editLogPort, time.Now().UnixMilli())
}

// parseProps reads a key=value file (StarRocks' ROLE and VERSION files).
func parseProps(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// writeFileSync writes a small file atomically: temp file, fsync, rename,
// directory fsync.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
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

// mapJournalErr turns journal failures into errors a client understands.
func mapJournalErr(err error) error {
	switch {
	case errors.Is(err, journal.ErrNotLeader):
		return sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "This FE is not the leader and cannot write metadata; retry on the leader FE")
	case errors.Is(err, journal.ErrLeadershipLost):
		return sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "Leadership was lost while writing the edit log; the statement may or may not have been applied")
	case errors.Is(err, journal.ErrClosed):
		return sqlerr.New(sqlerr.ErUnknown, sqlerr.StateGeneral, "The FE is shutting down")
	}
	return err
}
