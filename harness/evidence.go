package harness

import (
	"context"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/minio/minio-go/v7"
)

// This file gathers evidence after a failed drill: what the bucket and
// the nodes' meta dirs held, for a person to read next to the logs.

// ObjectInfo is one object of the cluster's bucket.
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
}

// ListObjects lists every object under location (s3://bucket/prefix; the
// cluster's own Location when empty), sorted by key.
func (c *Cluster) ListObjects(ctx context.Context, location string) ([]ObjectInfo, error) {
	if location == "" {
		location = c.Location()
	}
	bucket, prefix, err := splitLocation(location)
	if err != nil {
		return nil, err
	}
	client, err := c.objectClient()
	if err != nil {
		return nil, err
	}
	var out []ObjectInfo
	for o := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix + "/", Recursive: true}) {
		if o.Err != nil {
			return out, fmt.Errorf("list %s: %w", location, o.Err)
		}
		out = append(out, ObjectInfo{Key: o.Key, Size: o.Size, LastModified: o.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// MetaListing names the files of an FE's meta dir, its image directory
// and its raft log directory ("meta/image/image.123"), for a report: what
// a person would look at with ls after a failed restore.
func (f *FE) MetaListing() ([]string, error) {
	var out []string
	for _, dir := range []string{"meta", "meta/image", "meta/bdb"} {
		names, err := f.node.ListDir(dir)
		if err != nil {
			return out, fmt.Errorf("list %s of %s: %w", dir, f.Name(), err)
		}
		for _, n := range names {
			out = append(out, path.Join(dir, n))
		}
	}
	return out, nil
}
