package cn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minirocks/minirocks/volume"
)

// cache keeps copies of segment files under storage_root_path/cache. Only
// segments are cached (they are never rewritten); a copy is used only when
// its size is the size the tablet metadata records and it passes the
// caller's verification (every checksum of the file): a copy damaged on
// the local disk is dropped and fetched again from object storage.
// Deleting the directory at any time loses nothing.
type cache struct{ dir string }

// cachePath maps an object to its place in the cache: bucket/key.
func cachePath(st *volume.Store, key string) string {
	return filepath.FromSlash(strings.TrimPrefix(st.URL(key), "s3://"))
}

// get returns the object, from the cache when a copy of the expected size
// that verify accepts is there, else from the store (keeping a copy).
func (c *cache) get(ctx context.Context, st *volume.Store, key string, size int64, verify func([]byte) error) ([]byte, error) {
	p := filepath.Join(c.dir, cachePath(st, key))
	if data, err := os.ReadFile(p); err == nil && (size <= 0 || int64(len(data)) == size) {
		if err := verify(data); err == nil {
			return data, nil
		}
		os.Remove(p)
	}
	data, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	c.keep(st, key, data)
	return data, nil
}

// keep stores a copy; failures only mean a later miss.
func (c *cache) keep(st *volume.Store, key string, data []byte) {
	p := filepath.Join(c.dir, cachePath(st, key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	tmp := p + ".tmp" + time.Now().Format("150405.000000000")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
	}
}

// forget drops a copy (the object was deleted).
func (c *cache) forget(st *volume.Store, key string) {
	os.Remove(filepath.Join(c.dir, cachePath(st, key)))
}

// timeFromMillis converts epoch milliseconds (0: the zero time).
func timeFromMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
