package journal

import "os"

// MetaLock is an exclusive hold on a meta dir (an flock on <dir>/lock
// holding the owner's pid). A node takes it before anything else touches the
// meta dir or binds its ports, so that a second process started on the same
// meta dir fails at once with a message naming the holder, and hands it to
// Open through Config.Lock.
type MetaLock struct{ f *os.File }

// LockMetaDir locks dir, creating it if needed. It fails at once, wrapping
// ErrMetaDirLocked, when another process holds the lock.
func LockMetaDir(dir string) (*MetaLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := lockMetaDir(dir)
	if err != nil {
		return nil, err
	}
	return &MetaLock{f: f}, nil
}

// Unlock releases the lock; a lock handed to Open is released by Close.
func (l *MetaLock) Unlock() error {
	if l == nil {
		return nil
	}
	return unlockMetaDir(l.f)
}
