package lake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is wrapped by ObjectStore.Get for a missing object.
var ErrNotFound = errors.New("object not found")

// ObjectStore is the little the lake needs from object storage (S3 or a
// stand-in): whole-object put and get, prefix listing and delete. Keys are
// the store's own (for S3, the object key under the bucket); callers join a
// partition directory and the relative keys of this package.
type ObjectStore interface {
	// Put stores data at key, replacing any object there.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the object at key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the objects whose keys start with prefix, sorted by key,
	// with full keys.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes the object at key; a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// Relative turns listed objects under dir into objects with keys relative
// to dir (what PlanVacuum takes), dropping any not under it.
func Relative(objs []Object, dir string) []Object {
	out := make([]Object, 0, len(objs))
	for _, o := range objs {
		if k, ok := strings.CutPrefix(o.Key, dir); ok {
			o.Key = k
			out = append(out, o)
		}
	}
	return out
}

// MemStore is an in-memory ObjectStore for tests and tools. Now (default
// time.Now) stamps Modified, so tests can control vacuum's grace period.
type MemStore struct {
	// Now returns the modification time of a Put; nil means time.Now.
	Now  func() time.Time
	mu   sync.Mutex
	objs map[string]memObject
}

type memObject struct {
	data []byte
	mod  time.Time
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{objs: map[string]memObject{}} }

// Put stores a copy of data.
func (m *MemStore) Put(_ context.Context, key string, data []byte) error {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs = map[string]memObject{}
	}
	m.objs[key] = memObject{data: slices.Clone(data), mod: now()}
	return nil
}

// Get returns a copy of the object.
func (m *MemStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return slices.Clone(o.data), nil
}

// List returns the objects under prefix in key order.
func (m *MemStore) List(_ context.Context, prefix string) ([]Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Object
	for k, o := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, Object{Key: k, Size: int64(len(o.data)), Modified: o.mod})
		}
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Delete removes the object.
func (m *MemStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}
