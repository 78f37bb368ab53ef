package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// This file holds the disasters that happen to a cluster's object storage
// and the restore an operator does on the machines the cluster already
// had: the parts of the fault catalogue that are not a node's process.

// objectClient is a client of the cluster's object storage: the cluster's
// own MinIO when it has one, else the storage WithObjectStorage gave.
func (c *Cluster) objectClient() (*minio.Client, error) {
	if c.minio != nil {
		return c.minio.adminClient()
	}
	return minio.New(c.storage.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.storage.AccessKey, c.storage.SecretKey, ""),
		Region:       MinIORegion,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   3,
	})
}

// splitLocation splits s3://bucket/prefix into the bucket and the prefix.
func splitLocation(loc string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// location", loc)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/"), nil
}

// Location is the cluster's storage volume location: s3://bucket/<name>,
// or for a cluster made by Restore the location its cluster_snapshot.yaml
// gave the volume.
func (c *Cluster) Location() string {
	if c.location != "" {
		return c.location
	}
	return "s3://" + c.storage.Bucket + "/" + c.cfg.name
}

// SnapshotObjects lists the keys (relative to the bucket) of the objects
// in snapshot s's own directory: its image, VERSION and ROLE.
func (c *Cluster) SnapshotObjects(ctx context.Context, s Snapshot) ([]string, error) {
	bucket, prefix, err := splitLocation(s.StoragePath)
	if err != nil {
		return nil, err
	}
	client, err := c.objectClient()
	if err != nil {
		return nil, err
	}
	var keys []string
	for o := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix + "/", Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s: %w", s.StoragePath, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

// MatchSnapshotObjects is the keys of SnapshotObjects whose base name
// matches the glob pattern (path.Match), e.g. "image.*" or "VERSION".
func (c *Cluster) MatchSnapshotObjects(ctx context.Context, s Snapshot, pattern string) ([]string, error) {
	keys, err := c.SnapshotObjects(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		ok, err := path.Match(pattern, path.Base(k))
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		if ok {
			out = append(out, k)
		}
	}
	return out, nil
}

// CorruptObject overwrites the object key of the cluster's bucket with
// the same number of bytes, every one of them flipped: what a bad disk or
// a broken copy leaves behind.
func (c *Cluster) CorruptObject(ctx context.Context, key string) error {
	client, err := c.objectClient()
	if err != nil {
		return err
	}
	obj, err := client.GetObject(ctx, c.storage.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	b, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if len(b) == 0 {
		b = []byte("corrupt")
	}
	for i := range b {
		b[i] ^= 0xff
	}
	if _, err := client.PutObject(ctx, c.storage.Bucket, key, strings.NewReader(string(b)), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("overwrite %s: %w", key, err)
	}
	return nil
}

// DeleteObject deletes the object key of the cluster's bucket.
func (c *Cluster) DeleteObject(ctx context.Context, key string) error {
	client, err := c.objectClient()
	if err != nil {
		return err
	}
	if err := client.RemoveObject(ctx, c.storage.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// CopyVolume copies every object of the cluster's volume location
// (Location: s3://bucket/<name>/..., or a restored cluster's) into a new
// bucket named after base, under prefix, as a cross-region replication
// would; with deleteOriginal the originals and then the original bucket
// are deleted (the region is lost). It returns the copy's location,
// s3://<new bucket>/<prefix>/<the location's prefix>, which a restore
// names in cluster_snapshot.yaml.
func (c *Cluster) CopyVolume(ctx context.Context, base, prefix string, deleteOriginal bool) (string, error) {
	if c.minio == nil {
		return "", errors.New("CopyVolume needs the cluster's own MinIO (a new bucket is made on it)")
	}
	client, err := c.objectClient()
	if err != nil {
		return "", err
	}
	bucket, err := c.minio.NewBucket(ctx, base)
	if err != nil {
		return "", err
	}
	dst := strings.Trim(prefix, "/")
	if dst != "" {
		dst += "/"
	}
	srcBucket, srcPrefix, err := splitLocation(c.Location())
	if err != nil {
		return "", err
	}
	var keys []string
	for o := range client.ListObjects(ctx, srcBucket, minio.ListObjectsOptions{Prefix: srcPrefix + "/", Recursive: true}) {
		if o.Err != nil {
			return "", fmt.Errorf("list %s: %w", c.Location(), o.Err)
		}
		if _, err := client.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: dst + o.Key}, minio.CopySrcOptions{Bucket: srcBucket, Object: o.Key}); err != nil {
			return "", fmt.Errorf("copy %s: %w", o.Key, err)
		}
		keys = append(keys, o.Key)
	}
	if deleteOriginal {
		// Everything in the bucket goes, not only this cluster's prefix:
		// the region is lost.
		for o := range client.ListObjects(ctx, srcBucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				return "", fmt.Errorf("list %s: %w", srcBucket, o.Err)
			}
			if err := client.RemoveObject(ctx, srcBucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
				return "", fmt.Errorf("delete %s: %w", o.Key, err)
			}
		}
		if err := client.RemoveBucket(ctx, srcBucket); err != nil {
			return "", fmt.Errorf("delete bucket %s: %w", srcBucket, err)
		}
	}
	c.cfg.logf("harness: %s: copied %d objects of %s to s3://%s/%s%s", c.cfg.name, len(keys), c.Location(), bucket, dst, srcPrefix)
	return "s3://" + bucket + "/" + dst + srcPrefix, nil
}

// RestoreInPlace restores c from a snapshot onto the machines it already
// has, the way the Kubernetes operator does: every node is stopped (kill
// -9 when it still runs), every FE's meta directory and every compute
// node's storage_root_path are wiped, the first FE starts with
// RESTORE_CLUSTER_SNAPSHOT=true and a cluster_snapshot.yaml naming only
// the snapshot and the storage volume (the catalog already lists these
// hosts), then the other FEs and the compute nodes start as before. It
// returns once every node serves.
func RestoreInPlace(ctx context.Context, c *Cluster, spec RestoreSpec) (RestoreTimes, error) {
	var times RestoreTimes
	if err := c.KillAll(); err != nil {
		return times, err
	}
	fes, cns := c.FEs(), c.CNs()
	if len(fes) == 0 {
		return times, errors.New("restore in place: the cluster has no FE")
	}
	for _, f := range fes {
		if err := f.WipeMeta(); err != nil {
			return times, fmt.Errorf("wipe the meta dir of %s: %w", f.Name(), err)
		}
	}
	for _, n := range cns {
		if err := n.WipeStorage(); err != nil {
			return times, fmt.Errorf("wipe the storage_root_path of %s: %w", n.Name(), err)
		}
	}
	leader := fes[0]
	yaml := spec.YAML(c.nodeStorage(), c.Location(), nil, nil)
	start := time.Now()
	times.Started = start
	if err := leader.StartRestore(ctx, yaml, true); err != nil {
		return times, fmt.Errorf("restore %s in place: %w", c.Name(), err)
	}
	times.FirstQuery = time.Since(start)
	for _, f := range fes[1:] {
		f.SetHelper(leader.EditLogAddr())
		if err := f.Start(ctx); err != nil {
			return times, fmt.Errorf("restore %s in place: %w", c.Name(), err)
		}
	}
	for _, n := range cns {
		if err := n.Start(ctx); err != nil {
			return times, fmt.Errorf("restore %s in place: %w", c.Name(), err)
		}
	}
	if err := c.WaitComputeNodes(ctx, len(cns)); err != nil {
		return times, fmt.Errorf("restore %s in place: %w", c.Name(), err)
	}
	times.AllServing = time.Since(start)
	times.fromLog(leader.ReadLog())
	return times, nil
}

// archivePrefix is where ArchiveSnapshot keeps copies, in the cluster's
// bucket beside (not under) the cluster's location.
const archivePrefix = "snapshot-archive/"

// ArchiveSnapshot copies the objects of snapshot s's directory aside
// (snapshot-archive/<key> in the bucket), so that a drill can put them
// back with PutBackSnapshot after the cluster deleted the snapshot (it
// keeps only the newest).
func (c *Cluster) ArchiveSnapshot(ctx context.Context, s Snapshot) error {
	return c.copySnapshot(ctx, s, "", archivePrefix)
}

// PutBackSnapshot copies an archived snapshot's objects back to where the
// cluster wrote them.
func (c *Cluster) PutBackSnapshot(ctx context.Context, s Snapshot) error {
	return c.copySnapshot(ctx, s, archivePrefix, "")
}

func (c *Cluster) copySnapshot(ctx context.Context, s Snapshot, from, to string) error {
	bucket, prefix, err := splitLocation(s.StoragePath)
	if err != nil {
		return err
	}
	client, err := c.objectClient()
	if err != nil {
		return err
	}
	n := 0
	for o := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: from + prefix + "/", Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("list %s: %w", from+prefix, o.Err)
		}
		key := to + strings.TrimPrefix(o.Key, from)
		if _, err := client.CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: key}, minio.CopySrcOptions{Bucket: bucket, Object: o.Key}); err != nil {
			return fmt.Errorf("copy %s to %s: %w", o.Key, key, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("snapshot %s: no object under %s", s.Name, from+prefix)
	}
	return nil
}
