package fe

import (
	crand "crypto/rand"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe/catalog"
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

// newClusterToken makes the secret cluster token: 32 random bytes, hex.
func newClusterToken() string {
	b := make([]byte, 32)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// newClusterID makes a StarRocks-style cluster id: a random positive int32.
func newClusterID() string {
	return strconv.FormatInt(int64(rand.Int32N(math.MaxInt32-1)+1), 10)
}
